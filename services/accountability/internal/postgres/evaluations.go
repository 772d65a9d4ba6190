package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	accountabilityv1 "github.com/parindex/platform/proto/gen/go/par/accountability/v1"
	"github.com/parindex/platform/services/accountability/internal/app"
	"github.com/parindex/platform/services/accountability/internal/evaluation"
	"github.com/parindex/platform/services/kit/outbox"
)

// Subjects of evaluation events.
const (
	SubjectHeadEvaluated    = "accountability.v1.evaluation.published"
	SubjectSanctionProposed = "accountability.v1.sanction.proposed"
)

// LatestPolicy implements app.Tx; version 0 and no error when the province stored none.
func (t *TxStore) LatestPolicy(ctx context.Context, province string) ([]byte, int, time.Time, error) {
	var b []byte
	var v int
	var at time.Time
	err := t.tx.QueryRow(ctx, `SELECT policy, version, created_at FROM evaluation_policy WHERE province_unit_id = $1
		ORDER BY version DESC LIMIT 1`, province).Scan(&b, &v, &at)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, 0, time.Time{}, nil
	}
	return b, v, at.UTC(), err
}

// InsertPolicy implements app.Tx: the next version, with its audit record.
func (t *TxStore) InsertPolicy(ctx context.Context, province string, policy []byte, actor app.Actor, at time.Time) (int, error) {
	var v int
	if err := t.tx.QueryRow(ctx, `
		INSERT INTO evaluation_policy (province_unit_id, version, policy, created_by, created_at)
		SELECT $1, coalesce(max(version), 0) + 1, $2, $3, $4 FROM evaluation_policy WHERE province_unit_id = $1
		RETURNING version`, province, policy, actor.UserID, at).Scan(&v); err != nil {
		return 0, fmt.Errorf("insert policy: %w", err)
	}
	var after any
	_ = json.Unmarshal(policy, &after)
	return v, addAudit(ctx, t.tx, "evaluation_policy", fmt.Sprintf("%s/%d", province, v),
		app.Change{Action: "policy_stored", Actor: actor}, nil, after)
}

// UnitResults implements app.Tx: every unit with a published index for the year, other
// than the province itself.
func (t *TxStore) UnitResults(ctx context.Context, year int) ([]app.UnitIndex, error) {
	rows, _ := t.tx.Query(ctx, `SELECT unit_id::text, subject_kind, coalesce(index_percent::text, '')
		FROM published_result WHERE year = $1 AND subject_kind <> 'province' ORDER BY subject_kind, unit_id`, year)
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (app.UnitIndex, error) {
		var u app.UnitIndex
		err := row.Scan(&u.UnitID, &u.Kind, &u.Index)
		return u, err
	})
}

// DeterminedCause implements app.Tx: the cause the secretariat determined when concluding
// the Art. 14.1 explanation of the year, node and unit on the provincial index (the
// unit's own index has nodes of the same codes, which Art. 17.1 and 19.1 do not count).
func (t *TxStore) DeterminedCause(ctx context.Context, year int, node, unit string) (string, string, error) {
	var id string
	var causes []byte
	err := t.tx.QueryRow(ctx, `SELECT id::text, determined_causes FROM explanation
		WHERE kind = 'score_fell' AND index_unit_id = province_unit_id AND year = $1 AND node_code = $2 AND unit_id = $3
			AND status = 'concluded'`,
		year, node, unit).Scan(&id, &causes)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", "", nil
	}
	if err != nil {
		return "", "", err
	}
	var dc []struct {
		NodeCode string `json:"node_code"`
		Cause    string `json:"cause"`
	}
	if string(causes) != "{}" {
		if err := json.Unmarshal(causes, &dc); err != nil {
			return "", "", err
		}
	}
	for _, c := range dc {
		if c.NodeCode == node {
			return c.Cause, id, nil
		}
	}
	return "", id, nil
}

// ReplaceDraftEvaluations implements app.Tx.
func (t *TxStore) ReplaceDraftEvaluations(ctx context.Context, province string, year int, units []string, evs []evaluation.HeadEvaluation, actor app.Actor) error {
	if _, err := t.tx.Exec(ctx, `DELETE FROM head_evaluation WHERE province_unit_id = $1 AND year = $2 AND published_at IS NULL
		AND unit_id::text = ANY($3::text[])`, province, year, units); err != nil {
		return fmt.Errorf("delete drafts: %w", err)
	}
	for _, e := range evs {
		lines, err := json.Marshal(e.Result.Inputs)
		if err != nil {
			return err
		}
		input, err := json.Marshal(e.Input)
		if err != nil {
			return err
		}
		if _, err := t.tx.Exec(ctx, `INSERT INTO head_evaluation (id, province_unit_id, year, unit_id, unit_kind, head_user_id, head_name,
			tier, rule, legal_basis, explanation, input_lines, input, policy_version, created_at)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15)`,
			e.ID, province, year, e.UnitID, e.UnitKind, e.HeadUserID, e.HeadName, e.Result.Tier, e.Result.Rule,
			e.Result.LegalBasis, e.Result.Explanation, lines, input, e.PolicyVersion, e.CreateTime); err != nil {
			return fmt.Errorf("insert evaluation: %w", err)
		}
		if err := addAudit(ctx, t.tx, "head_evaluation", e.ID, app.Change{Action: "evaluated", Actor: actor, Reason: e.Result.Rule},
			nil, map[string]any{"tier": e.Result.Tier, "rule": e.Result.Rule, "legal_basis": e.Result.LegalBasis, "inputs": e.Result.Inputs}); err != nil {
			return err
		}
	}
	return nil
}

const evaluationColumns = `id::text, province_unit_id::text, year, unit_id::text, unit_kind, head_user_id, head_name, tier, rule,
	legal_basis, explanation, input_lines, input, policy_version, published_at, created_at`

func scanEvaluation(row pgx.CollectableRow) (evaluation.HeadEvaluation, error) {
	var e evaluation.HeadEvaluation
	var lines, input []byte
	var published *time.Time
	if err := row.Scan(&e.ID, &e.ProvinceUnitID, &e.Year, &e.UnitID, &e.UnitKind, &e.HeadUserID, &e.HeadName, &e.Result.Tier,
		&e.Result.Rule, &e.Result.LegalBasis, &e.Result.Explanation, &lines, &input, &e.PolicyVersion, &published, &e.CreateTime); err != nil {
		return e, err
	}
	if err := json.Unmarshal(lines, &e.Result.Inputs); err != nil {
		return e, err
	}
	if err := json.Unmarshal(input, &e.Input); err != nil {
		return e, err
	}
	if published != nil {
		e.PublishTime = published.UTC()
	}
	e.CreateTime = e.CreateTime.UTC()
	return e, nil
}

// Evaluations implements app.Tx.
func (t *TxStore) Evaluations(ctx context.Context, province string, year int) ([]evaluation.HeadEvaluation, error) {
	rows, _ := t.tx.Query(ctx, `SELECT `+evaluationColumns+` FROM head_evaluation WHERE province_unit_id = $1 AND year = $2
		ORDER BY unit_kind, unit_id`, province, year)
	return pgx.CollectRows(rows, scanEvaluation)
}

// PublishEvaluation implements app.Tx: marks it published and records HeadEvaluated.
func (t *TxStore) PublishEvaluation(ctx context.Context, e evaluation.HeadEvaluation, actor app.Actor, at time.Time) error {
	tag, err := t.tx.Exec(ctx, `UPDATE head_evaluation SET published_at = $2 WHERE id = $1 AND published_at IS NULL`, e.ID, at)
	if err != nil {
		return fmt.Errorf("publish evaluation: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return nil
	}
	if err := addAudit(ctx, t.tx, "head_evaluation", e.ID, app.Change{Action: "published", Actor: actor}, nil, map[string]any{"tier": e.Result.Tier}); err != nil {
		return err
	}
	_, err = outbox.Add(ctx, t.tx, SubjectHeadEvaluated, &accountabilityv1.HeadEvaluated{
		EvaluationId: e.ID, Year: int32(e.Year), UnitId: e.UnitID, HeadUserId: e.HeadUserID, HeadName: e.HeadName, // #nosec G115 -- year, rank, count or row number of this service: far below 2^31
		Tier: e.Result.Tier, Rule: e.Result.Rule,
	})
	return err
}

// PublishedTier implements app.Tx: a unit's published tier of a year, "" when none.
func (t *TxStore) PublishedTier(ctx context.Context, year int, unit string) (string, error) {
	var tier string
	err := t.tx.QueryRow(ctx, `SELECT tier FROM head_evaluation WHERE year = $1 AND unit_id = $2 AND published_at IS NOT NULL`, year, unit).Scan(&tier)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	return tier, err
}

// InsertProposal implements app.Tx; false when the head already has a proposal of that
// kind for the year.
func (t *TxStore) InsertProposal(ctx context.Context, p evaluation.SanctionProposal, actor app.Actor) (bool, error) {
	evidence, err := json.Marshal(p.Evidence)
	if err != nil {
		return false, err
	}
	tag, err := t.tx.Exec(ctx, `INSERT INTO sanction_proposal (id, province_unit_id, year, unit_id, evaluation_id, head_user_id, head_name,
		kind, legal_basis, evidence, status, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,'proposed',$11)
		ON CONFLICT (year, unit_id, kind) DO NOTHING`,
		p.ID, p.ProvinceUnitID, p.Year, p.UnitID, p.EvaluationID, p.HeadUserID, p.HeadName, p.Kind, p.LegalBasis, evidence, p.CreateTime)
	if err != nil {
		return false, fmt.Errorf("insert proposal: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return false, nil
	}
	if err := addAudit(ctx, t.tx, "sanction_proposal", p.ID, app.Change{Action: "proposed", Actor: actor, Reason: p.LegalBasis},
		nil, map[string]any{"kind": p.Kind, "evidence": p.Evidence}); err != nil {
		return false, err
	}
	_, err = outbox.Add(ctx, t.tx, SubjectSanctionProposed, &accountabilityv1.SanctionProposed{
		ProposalId: p.ID, Year: int32(p.Year), UnitId: p.UnitID, HeadUserId: p.HeadUserID, HeadName: p.HeadName, // #nosec G115 -- year, rank, count or row number of this service: far below 2^31
		Kind: p.Kind, LegalBasis: p.LegalBasis,
	})
	return err == nil, err
}

const proposalColumns = `id::text, province_unit_id::text, year, unit_id::text, evaluation_id::text, head_user_id, head_name, kind,
	legal_basis, evidence, status, decided_by, decision_note, decided_at, created_at`

func scanProposal(row pgx.CollectableRow) (evaluation.SanctionProposal, error) {
	var p evaluation.SanctionProposal
	var evidence []byte
	var decided *time.Time
	if err := row.Scan(&p.ID, &p.ProvinceUnitID, &p.Year, &p.UnitID, &p.EvaluationID, &p.HeadUserID, &p.HeadName, &p.Kind,
		&p.LegalBasis, &evidence, &p.Status, &p.DecidedBy, &p.DecisionNote, &decided, &p.CreateTime); err != nil {
		return p, err
	}
	if decided != nil {
		p.DecideTime = decided.UTC()
	}
	p.CreateTime = p.CreateTime.UTC()
	return p, json.Unmarshal(evidence, &p.Evidence)
}

// Proposals implements app.Tx.
func (t *TxStore) Proposals(ctx context.Context, province string, year int) ([]evaluation.SanctionProposal, error) {
	rows, _ := t.tx.Query(ctx, `SELECT `+proposalColumns+` FROM sanction_proposal WHERE province_unit_id = $1 AND year = $2
		ORDER BY unit_id, kind`, province, year)
	return pgx.CollectRows(rows, scanProposal)
}

// ProposalForUpdate implements app.EvaluationTx.
func (t *TxStore) ProposalForUpdate(ctx context.Context, id string) (evaluation.SanctionProposal, error) {
	rows, _ := t.tx.Query(ctx, `SELECT `+proposalColumns+` FROM sanction_proposal WHERE id = $1 FOR UPDATE`, id)
	p, err := pgx.CollectExactlyOneRow(rows, scanProposal)
	if errors.Is(err, pgx.ErrNoRows) {
		return p, evaluation.ErrNotFound
	}
	return p, err
}

// DecideProposal implements app.Tx: a person's decision, recorded once.
func (t *TxStore) DecideProposal(ctx context.Context, id string, approve bool, note string, actor app.Actor, at time.Time) (evaluation.SanctionProposal, error) {
	rows, _ := t.tx.Query(ctx, `SELECT `+proposalColumns+` FROM sanction_proposal WHERE id = $1 FOR UPDATE`, id)
	p, err := pgx.CollectExactlyOneRow(rows, scanProposal)
	if errors.Is(err, pgx.ErrNoRows) {
		return p, evaluation.ErrNotFound
	}
	if err != nil {
		return p, err
	}
	if p.Status != evaluation.StatusProposed {
		return p, evaluation.ErrAlreadyDecided
	}
	before := map[string]any{"status": p.Status}
	p.Status = evaluation.StatusRejected
	if approve {
		p.Status = evaluation.StatusApproved
	}
	p.DecidedBy, p.DecisionNote, p.DecideTime = actor.Name, note, at
	if _, err := t.tx.Exec(ctx, `UPDATE sanction_proposal SET status = $2, decided_by = $3, decision_note = $4, decided_at = $5 WHERE id = $1`,
		id, p.Status, p.DecidedBy, note, at); err != nil {
		return p, err
	}
	return p, addAudit(ctx, t.tx, "sanction_proposal", id, app.Change{Action: "decided", Actor: actor, Reason: note},
		before, map[string]any{"status": p.Status, "decided_by": actor.Name, "note": note})
}

// SubjectDistrictReportSubmitted carries DistrictReportSubmitted.
const SubjectDistrictReportSubmitted = "accountability.v1.district_report.submitted"

// PutDistrictReport implements app.EvaluationTx: stores the district's report of the year,
// replacing an earlier one (revision + 1, same id), with its audit record and
// DistrictReportSubmitted. It returns the report as stored.
func (t *TxStore) PutDistrictReport(ctx context.Context, r evaluation.DistrictReport, actor app.Actor) (evaluation.DistrictReport, error) {
	var before any
	old, err := t.districtReports(ctx, `WHERE province_unit_id = $1 AND year = $2 AND district_unit_id = $3 FOR UPDATE`,
		r.ProvinceUnitID, r.Year, r.DistrictUnitID)
	if err != nil {
		return r, err
	}
	r.Revision = 1
	if len(old) == 1 {
		r.ID, r.Revision, before = old[0].ID, old[0].Revision+1, old[0]
	}
	lines, err := json.Marshal(r.Lines)
	if err != nil {
		return r, err
	}
	if _, err := t.tx.Exec(ctx, `INSERT INTO district_report (id, province_unit_id, year, district_unit_id, revision,
			document_number, summary, lines, unevaluated, submitted_by, submitter_name, submitted_at)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9::text[]::uuid[],$10,$11,$12)
		ON CONFLICT (province_unit_id, year, district_unit_id) DO UPDATE SET revision = EXCLUDED.revision,
			document_number = EXCLUDED.document_number, summary = EXCLUDED.summary, lines = EXCLUDED.lines, unevaluated = EXCLUDED.unevaluated,
			submitted_by = EXCLUDED.submitted_by, submitter_name = EXCLUDED.submitter_name, submitted_at = EXCLUDED.submitted_at`,
		r.ID, r.ProvinceUnitID, r.Year, r.DistrictUnitID, r.Revision, r.DocumentNumber, r.Summary, lines, nonNil(r.Unevaluated),
		r.SubmittedBy, r.SubmitterName, r.SubmitTime); err != nil {
		return r, fmt.Errorf("upsert district report: %w", err)
	}
	if err := addAudit(ctx, t.tx, "district_report", r.ID, app.Change{Action: "submitted", Actor: actor, Reason: evaluation.DistrictReportBasis},
		before, r); err != nil {
		return r, err
	}
	ev := &accountabilityv1.DistrictReportSubmitted{
		ReportId: r.ID, ProvinceUnitId: r.ProvinceUnitID, Year: int32(r.Year), DistrictUnitId: r.DistrictUnitID, // #nosec G115 -- year, rank, count or row number of this service: far below 2^31
		Revision: int32(r.Revision), DocumentNumber: r.DocumentNumber, // #nosec G115 -- year, rank, count or row number of this service: far below 2^31
	}
	for _, c := range r.Counts() {
		ev.TierCounts = append(ev.TierCounts, &accountabilityv1.TierCount{Tier: c.Tier, Count: int32(c.Count)}) // #nosec G115 -- year, rank, count or row number of this service: far below 2^31
	}
	_, err = outbox.Add(ctx, t.tx, SubjectDistrictReportSubmitted, ev)
	return r, err
}

// DistrictReports implements app.EvaluationTx: the year's reports of a province, by district.
func (t *TxStore) DistrictReports(ctx context.Context, province string, year int) ([]evaluation.DistrictReport, error) {
	return t.districtReports(ctx, `WHERE province_unit_id = $1 AND year = $2 ORDER BY district_unit_id`, province, year)
}

func (t *TxStore) districtReports(ctx context.Context, where string, args ...any) ([]evaluation.DistrictReport, error) {
	rows, _ := t.tx.Query(ctx, `SELECT id::text, province_unit_id::text, year, district_unit_id::text, revision, document_number,
		summary, lines, unevaluated::text[], submitted_by, submitter_name, submitted_at FROM district_report `+where, args...)
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (evaluation.DistrictReport, error) {
		var r evaluation.DistrictReport
		var lines []byte
		if err := row.Scan(&r.ID, &r.ProvinceUnitID, &r.Year, &r.DistrictUnitID, &r.Revision, &r.DocumentNumber, &r.Summary,
			&lines, &r.Unevaluated, &r.SubmittedBy, &r.SubmitterName, &r.SubmitTime); err != nil {
			return r, err
		}
		r.SubmitTime = r.SubmitTime.UTC()
		if len(r.Unevaluated) == 0 {
			r.Unevaluated = nil
		}
		return r, json.Unmarshal(lines, &r.Lines)
	})
}

// nonNil turns nil into an empty list, for NOT NULL array columns.
func nonNil(ids []string) []string {
	if ids == nil {
		return []string{}
	}
	return ids
}
