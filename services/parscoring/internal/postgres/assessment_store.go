package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/parindex/platform/services/kit/outbox"
	"github.com/parindex/platform/services/kit/pg"
	"github.com/parindex/platform/services/parscoring/internal/app"
	"github.com/parindex/platform/services/parscoring/internal/assessment"
	"github.com/parindex/platform/services/parscoring/internal/methodology"
)

var _ app.AssessmentStore = (*Store)(nil)

// CreateRound implements app.AssessmentStore.
func (s *Store) CreateRound(ctx context.Context, r assessment.Round) error {
	return pg.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `
			INSERT INTO assessment_round (id, year, level, criteria_set_id, subject_kind, name,
			    self_assessment_deadline, response_deadline, opened_by, created_at, appraisal_deadline)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			r.ID, r.Year, r.Level, r.CriteriaSetID, r.SubjectKind, r.Name, r.SelfDeadline, optTime(r.ResponseDeadline),
			r.OpenedBy, r.CreateTime, optTime(r.AppraisalDeadline)); err != nil {
			return fmt.Errorf("insert round: %w", err)
		}
		rows := make([][]any, len(r.Subjects))
		for i, u := range r.Subjects {
			var id pgtype.UUID
			if err := id.Scan(u.UnitID); err != nil {
				return fmt.Errorf("unit id %q: %w", u.UnitID, err)
			}
			var rid pgtype.UUID
			_ = rid.Scan(r.ID)
			rows[i] = []any{rid, id, u.UnitCode, u.UnitName, i}
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"round_subject"},
			[]string{"round_id", "unit_id", "unit_code", "unit_name", "ordinal"}, pgx.CopyFromRows(rows)); err != nil {
			return fmt.Errorf("insert %d subjects: %w", len(rows), err)
		}
		if _, err := outbox.Add(ctx, tx, SubjectRoundOpened, roundOpened(r)); err != nil {
			return fmt.Errorf("record %s: %w", SubjectRoundOpened, err)
		}
		return nil
	})
}

const roundColumns = `id::text, year, level, criteria_set_id::text, subject_kind, name,
	self_assessment_deadline, response_deadline, opened_by, created_at, appraisal_deadline`

func scanRound(row pgx.Row) (assessment.Round, error) {
	var (
		r               assessment.Round
		resp, appraisal *time.Time
	)
	if err := row.Scan(&r.ID, &r.Year, &r.Level, &r.CriteriaSetID, &r.SubjectKind, &r.Name,
		&r.SelfDeadline, &resp, &r.OpenedBy, &r.CreateTime, &appraisal); err != nil {
		return assessment.Round{}, err
	}
	r.SelfDeadline, r.CreateTime = r.SelfDeadline.UTC(), r.CreateTime.UTC()
	if resp != nil {
		r.ResponseDeadline = resp.UTC()
	}
	if appraisal != nil {
		r.AppraisalDeadline = appraisal.UTC()
	}
	return r, nil
}

const roundSubjectColumns = `unit_id::text, unit_code, unit_name, state, submitted_at, submitted_by,
	appraised_at, finalised_at, finalised_by`

func scanRoundSubject(row pgx.Row) (assessment.Subject, error) {
	var (
		u                       assessment.Subject
		state                   string
		submit, appraise, final *time.Time
	)
	if err := row.Scan(&u.UnitID, &u.UnitCode, &u.UnitName, &state, &submit, &u.SubmittedBy,
		&appraise, &final, &u.FinalisedBy); err != nil {
		return assessment.Subject{}, err
	}
	u.State = assessment.State(state)
	if submit != nil {
		u.SubmitTime = submit.UTC()
	}
	if appraise != nil {
		u.AppraiseTime = appraise.UTC()
	}
	if final != nil {
		u.FinaliseTime = final.UTC()
	}
	return u, nil
}

// Round implements app.AssessmentStore.
func (s *Store) Round(ctx context.Context, id string) (assessment.Round, error) {
	r, err := scanRound(s.pool.QueryRow(ctx, `SELECT `+roundColumns+` FROM assessment_round WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return assessment.Round{}, assessment.ErrRoundNotFound
	}
	if err != nil {
		return assessment.Round{}, fmt.Errorf("select round: %w", err)
	}
	rows, _ := s.pool.Query(ctx, `SELECT `+roundSubjectColumns+` FROM round_subject WHERE round_id = $1 ORDER BY ordinal`, id)
	r.Subjects, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (assessment.Subject, error) { return scanRoundSubject(row) })
	if err != nil {
		return assessment.Round{}, fmt.Errorf("select subjects: %w", err)
	}
	return r, nil
}

// ListRounds implements app.AssessmentStore. At most 500 rounds: a province opens a few a
// year.
func (s *Store) ListRounds(ctx context.Context, year int) ([]assessment.Round, error) {
	rows, _ := s.pool.Query(ctx, `SELECT `+roundColumns+` FROM assessment_round
		WHERE ($1::integer = 0 OR year = $1) ORDER BY year DESC, id DESC LIMIT 500`, year)
	rs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (assessment.Round, error) { return scanRound(row) })
	if err != nil {
		return nil, fmt.Errorf("select rounds: %w", err)
	}
	return rs, nil
}

// loadAssessment reads a unit's assessment on q; lock takes the subject row FOR UPDATE.
func loadAssessment(ctx context.Context, q pgx.Tx, roundID, unitID string, lock bool) (assessment.Assessment, error) {
	r, err := scanRound(q.QueryRow(ctx, `SELECT `+roundColumns+` FROM assessment_round WHERE id = $1`, roundID))
	if errors.Is(err, pgx.ErrNoRows) {
		return assessment.Assessment{}, assessment.ErrRoundNotFound
	}
	if err != nil {
		return assessment.Assessment{}, fmt.Errorf("select round: %w", err)
	}
	forUpdate := ""
	if lock {
		forUpdate = " FOR UPDATE"
	}
	u, err := scanRoundSubject(q.QueryRow(ctx, `SELECT `+roundSubjectColumns+` FROM round_subject
		WHERE round_id = $1 AND unit_id::text = $2`+forUpdate, roundID, unitID))
	if errors.Is(err, pgx.ErrNoRows) {
		return assessment.Assessment{}, assessment.ErrNotSubject
	}
	if err != nil {
		return assessment.Assessment{}, fmt.Errorf("select subject: %w", err)
	}
	a := assessment.Assessment{Round: r, Subject: u, Items: map[string]*assessment.Item{}}
	rows, _ := q.Query(ctx, `SELECT `+itemColumns+` FROM item_score WHERE round_id = $1 AND unit_id::text = $2`, roundID, unitID)
	items, err := pgx.CollectRows(rows, scanItem)
	if err != nil {
		return assessment.Assessment{}, fmt.Errorf("select items: %w", err)
	}
	for _, it := range items {
		a.Items[it.Code] = it
	}
	return a, nil
}

const itemColumns = `code, self_score, declared_figures, evidence, explanation, decision,
	appraised_score, appraisal_reason, unit_response, final_score`

func scanItem(row pgx.CollectableRow) (*assessment.Item, error) { return scanItemInto(row) }

// scanItemInto scans itemColumns, after the destinations lead of columns selected before
// them.
func scanItemInto(row pgx.Row, lead ...any) (*assessment.Item, error) {
	var (
		it                     assessment.Item
		self, appraised, final pgtype.Numeric
		decision               string
	)
	dest := append(lead, &it.Code, &self, &it.DeclaredFigures, &it.Evidence, &it.Explanation, &decision,
		&appraised, &it.AppraisalReason, &it.UnitResponse, &final)
	if err := row.Scan(dest...); err != nil {
		return nil, fmt.Errorf("scan item: %w", err)
	}
	it.Decision = assessment.Decision(decision)
	var err error
	if it.SelfScore, err = optPoints(self); err != nil {
		return nil, err
	}
	if it.AppraisedScore, err = optPoints(appraised); err != nil {
		return nil, err
	}
	if it.FinalScore, err = optPoints(final); err != nil {
		return nil, err
	}
	return &it, nil
}

func optPoints(n pgtype.Numeric) (*methodology.Points, error) {
	if !n.Valid {
		return nil, nil
	}
	p, err := points(n)
	if err != nil {
		return nil, err
	}
	return &p, nil
}

func optNumeric(p *methodology.Points) pgtype.Numeric {
	if p == nil {
		return pgtype.Numeric{}
	}
	return numeric(*p)
}

// Assessment implements app.AssessmentStore.
func (s *Store) Assessment(ctx context.Context, roundID, unitID string) (assessment.Assessment, error) {
	var a assessment.Assessment
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{AccessMode: pgx.ReadOnly, IsoLevel: pgx.RepeatableRead}, func(tx pgx.Tx) error {
		var err error
		a, err = loadAssessment(ctx, tx, roundID, unitID, false)
		return err
	})
	return a, err
}

// UpdateAssessment implements app.AssessmentStore.
func (s *Store) UpdateAssessment(ctx context.Context, roundID, unitID string, fn func(*assessment.Assessment) (assessment.Step, error)) (assessment.Assessment, error) {
	var a assessment.Assessment
	err := pg.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		if a, err = loadAssessment(ctx, tx, roundID, unitID, true); err != nil {
			return err
		}
		before := a.Subject.State
		step, err := fn(&a)
		if err != nil {
			return err
		}
		if err := writeItems(ctx, tx, roundID, unitID, step.Items); err != nil {
			return err
		}
		if err := writeChanges(ctx, tx, roundID, unitID, step.Changes); err != nil {
			return err
		}
		u := a.Subject
		if _, err := tx.Exec(ctx, `
			UPDATE round_subject SET state = $3, submitted_at = $4, submitted_by = $5,
			    appraised_at = $6, finalised_at = $7, finalised_by = $8
			WHERE round_id = $1 AND unit_id::text = $2`,
			roundID, unitID, string(u.State), optTime(u.SubmitTime), u.SubmittedBy,
			optTime(u.AppraiseTime), optTime(u.FinaliseTime), u.FinalisedBy); err != nil {
			return fmt.Errorf("update subject: %w", err)
		}
		switch {
		case before != u.State && u.State == assessment.StateSubmitted:
			if _, err := outbox.Add(ctx, tx, SubjectSelfAssessmentSubmitted, selfAssessmentSubmitted(a)); err != nil {
				return fmt.Errorf("record %s: %w", SubjectSelfAssessmentSubmitted, err)
			}
		case before != u.State && u.State == assessment.StateFinalised:
			if _, err := outbox.Add(ctx, tx, SubjectAppraisalFinalised, appraisalFinalised(a)); err != nil {
				return fmt.Errorf("record %s: %w", SubjectAppraisalFinalised, err)
			}
		}
		return nil
	})
	if err != nil {
		return assessment.Assessment{}, err
	}
	return a, nil
}

// optTime is nil for the zero time (a NULL column), else t.
func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func writeItems(ctx context.Context, tx pgx.Tx, roundID, unitID string, items []*assessment.Item) error {
	if len(items) == 0 {
		return nil
	}
	b := &pgx.Batch{}
	for _, it := range items {
		ev := it.Evidence
		if ev == nil {
			ev = []string{}
		}
		b.Queue(`
			INSERT INTO item_score (round_id, unit_id, code, self_score, declared_figures, evidence,
			    explanation, decision, appraised_score, appraisal_reason, unit_response, final_score)
			VALUES ($1, $2::text::uuid, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
			ON CONFLICT (round_id, unit_id, code) DO UPDATE SET
			    self_score = EXCLUDED.self_score, declared_figures = EXCLUDED.declared_figures,
			    evidence = EXCLUDED.evidence, explanation = EXCLUDED.explanation,
			    decision = EXCLUDED.decision, appraised_score = EXCLUDED.appraised_score,
			    appraisal_reason = EXCLUDED.appraisal_reason, unit_response = EXCLUDED.unit_response,
			    final_score = EXCLUDED.final_score`,
			roundID, unitID, it.Code, optNumeric(it.SelfScore), it.DeclaredFigures, ev, it.Explanation,
			string(it.Decision), optNumeric(it.AppraisedScore), it.AppraisalReason, it.UnitResponse, optNumeric(it.FinalScore))
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("write %d items: %w", len(items), err)
	}
	return nil
}

func writeChanges(ctx context.Context, tx pgx.Tx, roundID, unitID string, changes []assessment.Change) error {
	if len(changes) == 0 {
		return nil
	}
	var rid, uid pgtype.UUID
	if err := rid.Scan(roundID); err != nil {
		return fmt.Errorf("round id: %w", err)
	}
	if err := uid.Scan(unitID); err != nil {
		return fmt.Errorf("unit id: %w", err)
	}
	rows := make([][]any, len(changes))
	for i, c := range changes {
		rows[i] = []any{rid, uid, c.Code, string(c.Stage), c.Actor, c.At, optNumeric(c.Old), optNumeric(c.New), c.Reason}
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"score_change"},
		[]string{"round_id", "unit_id", "code", "stage", "actor", "at", "old_score", "new_score", "reason"},
		pgx.CopyFromRows(rows)); err != nil {
		return fmt.Errorf("insert %d score changes: %w", len(rows), err)
	}
	return nil
}

// ScoreChanges implements app.AssessmentStore.
func (s *Store) ScoreChanges(ctx context.Context, roundID, unitID string) ([]assessment.Change, error) {
	rows, _ := s.pool.Query(ctx, `
		SELECT code, stage, actor, at, old_score, new_score, reason FROM score_change
		WHERE round_id = $1 AND unit_id::text = $2 ORDER BY id`, roundID, unitID)
	cs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (assessment.Change, error) {
		var (
			c        assessment.Change
			stage    string
			old, new pgtype.Numeric
		)
		if err := row.Scan(&c.Code, &stage, &c.Actor, &c.At, &old, &new, &c.Reason); err != nil {
			return c, err
		}
		c.Stage, c.At = assessment.Stage(stage), c.At.UTC()
		var err error
		if c.Old, err = optPoints(old); err != nil {
			return c, err
		}
		c.New, err = optPoints(new)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("select score changes: %w", err)
	}
	return cs, nil
}

// ApplySurveyScores implements app.AssessmentStore.
func (s *Store) ApplySurveyScores(ctx context.Context, roundID string, scores []app.SurveyScore, actor string, at time.Time) error {
	return pg.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		byUnit := map[string][]app.SurveyScore{}
		var order []string
		for _, sc := range scores {
			if _, ok := byUnit[sc.UnitID]; !ok {
				order = append(order, sc.UnitID)
			}
			byUnit[sc.UnitID] = append(byUnit[sc.UnitID], sc)
		}
		for _, unitID := range order {
			a, err := loadAssessment(ctx, tx, roundID, unitID, true)
			if err != nil {
				return err
			}
			if a.Subject.State == assessment.StateFinalised {
				return fmt.Errorf("%w: kết quả của %s đã chốt", assessment.ErrWrongState, a.Subject.UnitName)
			}
			var (
				items   []*assessment.Item
				changes []assessment.Change
			)
			for _, sc := range byUnit[unitID] {
				it := a.Items[sc.Code]
				if it == nil {
					it = &assessment.Item{Code: sc.Code}
				}
				old := it.AppraisedScore
				p := sc.Score
				it.AppraisedScore, it.Decision = &p, assessment.DecisionAccepted
				items = append(items, it)
				changes = append(changes, assessment.Change{Code: sc.Code, Stage: assessment.StageSurvey, Actor: actor, At: at, Old: old, New: &p, Reason: "nhập điểm điều tra xã hội học"})
			}
			if err := writeItems(ctx, tx, roundID, unitID, items); err != nil {
				return err
			}
			if err := writeChanges(ctx, tx, roundID, unitID, changes); err != nil {
				return err
			}
		}
		return nil
	})
}

// FinalisedAssessments implements app.AssessmentStore.
func (s *Store) FinalisedAssessments(ctx context.Context, roundID string) ([]assessment.Assessment, error) {
	var out []assessment.Assessment
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{AccessMode: pgx.ReadOnly, IsoLevel: pgx.RepeatableRead}, func(tx pgx.Tx) error {
		r, err := scanRound(tx.QueryRow(ctx, `SELECT `+roundColumns+` FROM assessment_round WHERE id = $1`, roundID))
		if errors.Is(err, pgx.ErrNoRows) {
			return assessment.ErrRoundNotFound
		}
		if err != nil {
			return fmt.Errorf("select round: %w", err)
		}
		rows, _ := tx.Query(ctx, `SELECT `+roundSubjectColumns+` FROM round_subject
			WHERE round_id = $1 AND state = 'finalised' ORDER BY ordinal`, roundID)
		subjects, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (assessment.Subject, error) { return scanRoundSubject(row) })
		if err != nil {
			return fmt.Errorf("select subjects: %w", err)
		}
		index := map[string]int{}
		for i, u := range subjects {
			index[u.UnitID] = i
			out = append(out, assessment.Assessment{Round: r, Subject: u, Items: map[string]*assessment.Item{}})
		}
		// One query for every unit's items: a round has up to thousands of units.
		rows, _ = tx.Query(ctx, `SELECT i.unit_id::text, `+prefixed("i.", itemColumns)+`
			FROM item_score i JOIN round_subject s USING (round_id, unit_id)
			WHERE i.round_id = $1 AND s.state = 'finalised'`, roundID)
		defer rows.Close()
		for rows.Next() {
			var unitID string
			it, err := scanItemInto(rows, &unitID)
			if err != nil {
				return err
			}
			if i, ok := index[unitID]; ok {
				out[i].Items[it.Code] = it
			}
		}
		return rows.Err()
	})
	return out, err
}

// prefixed qualifies a column list with a table alias.
func prefixed(alias, cols string) string {
	parts := strings.Split(cols, ",")
	for i, c := range parts {
		parts[i] = alias + strings.TrimSpace(c)
	}
	return strings.Join(parts, ", ")
}
