package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/parindex/platform/services/accountability/internal/app"
	"github.com/parindex/platform/services/accountability/internal/explanation"
	"github.com/parindex/platform/services/accountability/internal/responsibility"
	"github.com/parindex/platform/services/kit/outbox"
	"github.com/parindex/platform/services/kit/pg"
)

// TxStore implements app.Tx on one transaction: the consumer's, or one of Store.InTx.
type TxStore struct {
	tx pgx.Tx
}

var (
	_ app.Tx                = (*TxStore)(nil)
	_ app.ExplanationReader = (*Store)(nil)
)

// NewTxStore binds the store to tx.
func NewTxStore(tx pgx.Tx) *TxStore { return &TxStore{tx: tx} }

// InTx implements app.ExplanationReader.
func (s *Store) InTx(ctx context.Context, fn func(app.Tx) error) error {
	return pg.InTx(ctx, s.pool, func(tx pgx.Tx) error { return fn(NewTxStore(tx)) })
}

// nullNum turns a published figure ("" for none) into a numeric parameter.
func nullNum(s string) any {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	return strings.ReplaceAll(strings.TrimSpace(s), ",", ".")
}

// SaveResult implements app.Tx: a republication of the same year replaces the figures.
func (t *TxStore) SaveResult(ctx context.Context, r explanation.PublishedResult) error {
	if _, err := t.tx.Exec(ctx, `
		INSERT INTO published_result (year, subject_kind, unit_id, snapshot_id, source, decision, publish_time,
			total, max_points, index_percent, previous_total, rank, rank_of, received_at)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13, now())
		ON CONFLICT (year, subject_kind, unit_id) DO UPDATE SET snapshot_id = EXCLUDED.snapshot_id,
			source = EXCLUDED.source, decision = EXCLUDED.decision, publish_time = EXCLUDED.publish_time,
			total = EXCLUDED.total, max_points = EXCLUDED.max_points, index_percent = EXCLUDED.index_percent,
			previous_total = EXCLUDED.previous_total, rank = EXCLUDED.rank, rank_of = EXCLUDED.rank_of,
			received_at = now()`,
		r.Year, r.SubjectKind, r.UnitID, r.SnapshotID, r.Source, r.Decision, r.PublishTime,
		nullNum(r.Total), nullNum(r.MaxPoints), nullNum(r.IndexPercent), nullNum(r.PrevTotal), r.Rank, r.RankOf); err != nil {
		return fmt.Errorf("upsert result: %w", err)
	}
	if _, err := t.tx.Exec(ctx, `DELETE FROM published_node WHERE year = $1 AND subject_kind = $2 AND unit_id = $3`,
		r.Year, r.SubjectKind, r.UnitID); err != nil {
		return fmt.Errorf("delete nodes: %w", err)
	}
	// All nodes in one statement, one array per column: a result has ~110 nodes and a
	// publication 10,000 units, so a statement per node cost a million round trips per
	// publication. The DELETE above keeps a redelivery or republication from duplicating
	// any node (the primary key would refuse it anyway).
	if len(r.Nodes) == 0 {
		return nil
	}
	codes := make([]string, len(r.Nodes))
	ordinals := make([]int32, len(r.Nodes))
	parents := make([]string, len(r.Nodes))
	names := make([]string, len(r.Nodes))
	scores := make([]*string, len(r.Nodes))
	maxima := make([]*string, len(r.Nodes))
	previous := make([]*string, len(r.Nodes))
	bonus := make([]bool, len(r.Nodes))
	for i, n := range r.Nodes {
		codes[i], ordinals[i], parents[i], names[i], bonus[i] = n.Code, int32(i), n.ParentCode, n.Name, n.Bonus // #nosec G115 -- a result has a few hundred nodes
		scores[i], maxima[i], previous[i] = numText(n.Score), numText(n.MaxPoints), numText(n.PreviousScore)
	}
	if _, err := t.tx.Exec(ctx, `
		INSERT INTO published_node (year, subject_kind, unit_id, code, ordinal, parent_code, name, score, max_points, previous_score, bonus)
		SELECT $1, $2, $3, u.code, u.ordinal, u.parent_code, u.name, u.score::numeric, u.max_points::numeric, u.previous_score::numeric, u.bonus
		FROM unnest($4::text[], $5::int[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::boolean[])
			AS u(code, ordinal, parent_code, name, score, max_points, previous_score, bonus)`,
		r.Year, r.SubjectKind, r.UnitID, codes, ordinals, parents, names, scores, maxima, previous, bonus); err != nil {
		return fmt.Errorf("insert %d nodes: %w", len(r.Nodes), err)
	}
	return nil
}

// numText is nullNum for a text array element: nil for no figure.
func numText(s string) *string {
	v, ok := nullNum(s).(string)
	if !ok {
		return nil
	}
	return &v
}

// Result implements app.Tx.
func (t *TxStore) Result(ctx context.Context, year int, kind, unitID string) (explanation.PublishedResult, error) {
	return readResult(ctx, t.tx, year, kind, unitID)
}

type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func readResult(ctx context.Context, q querier, year int, kind, unitID string) (explanation.PublishedResult, error) {
	r := explanation.PublishedResult{Year: year, SubjectKind: kind, UnitID: unitID}
	err := q.QueryRow(ctx, `
		SELECT snapshot_id::text, source, decision, publish_time, coalesce(total::text,''), coalesce(max_points::text,''),
			coalesce(index_percent::text,''), coalesce(previous_total::text,''), rank, rank_of
		FROM published_result WHERE year = $1 AND subject_kind = $2 AND unit_id = $3`, year, kind, unitID).
		Scan(&r.SnapshotID, &r.Source, &r.Decision, &r.PublishTime, &r.Total, &r.MaxPoints, &r.IndexPercent, &r.PrevTotal, &r.Rank, &r.RankOf)
	if errors.Is(err, pgx.ErrNoRows) {
		return r, fmt.Errorf("no published result %d/%s/%s: %w", year, kind, unitID, explanation.ErrNotFound)
	}
	if err != nil {
		return r, err
	}
	rows, _ := q.Query(ctx, `
		SELECT code, parent_code, name, coalesce(score::text,''), coalesce(max_points::text,''), coalesce(previous_score::text,''), bonus
		FROM published_node WHERE year = $1 AND subject_kind = $2 AND unit_id = $3 ORDER BY ordinal`, year, kind, unitID)
	r.Nodes, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (explanation.NodeFigure, error) {
		var n explanation.NodeFigure
		err := row.Scan(&n.Code, &n.ParentCode, &n.Name, &n.Score, &n.MaxPoints, &n.PreviousScore, &n.Bonus)
		return n, err
	})
	return r, err
}

// MatrixInForce implements app.Tx.
func (t *TxStore) MatrixInForce(ctx context.Context, province string, year int) (responsibility.Matrix, error) {
	var y *int
	err := t.tx.QueryRow(ctx, `SELECT max(year) FROM responsibility_matrix WHERE province_unit_id = $1 AND year <= $2`, province, year).Scan(&y)
	if err != nil {
		return responsibility.Matrix{}, fmt.Errorf("matrix year: %w", err)
	}
	if y == nil {
		return responsibility.Matrix{}, responsibility.ErrNotFound
	}
	return readMatrix(ctx, t.tx, province, *y)
}

const explanationColumns = `id::text, province_unit_id::text, year, kind, node_code, title, reason, legal_basis, unit_id::text,
	head_user_id, head_name, cooperating_unit_ids::text[], coalesce(score::text,''), coalesce(previous_score::text,''),
	coalesce(snapshot_id::text,''), due_date::text, status, content, review_comment, determined_causes, conclusion,
	submitted_at, concluded_at, published_at, overdue_at, created_by, created_at, updated_at,
	coalesce(index_unit_id::text,''), index_kind, version`

func scanExplanation(row pgx.Row) (explanation.Explanation, error) {
	var e explanation.Explanation
	var content, causes []byte
	var submitted, concluded, published, overdue *time.Time
	err := row.Scan(&e.ID, &e.ProvinceUnitID, &e.Year, &e.Kind, &e.NodeCode, &e.Title, &e.Reason, &e.LegalBasis, &e.UnitID,
		&e.HeadUserID, &e.HeadName, &e.CooperatingUnitIDs, &e.Score, &e.PreviousScore, &e.SnapshotID, &e.DueDate, &e.Status,
		&content, &e.ReviewComment, &causes, &e.Conclusion, &submitted, &concluded, &published, &overdue, &e.CreatedBy,
		&e.CreateTime, &e.UpdateTime, &e.IndexUnitID, &e.IndexKind, &e.Revision)
	if errors.Is(err, pgx.ErrNoRows) {
		return e, explanation.ErrNotFound
	}
	if err != nil {
		return e, err
	}
	if len(e.CooperatingUnitIDs) == 0 {
		e.CooperatingUnitIDs = nil
	}
	if err := json.Unmarshal(content, &e.Content); err != nil {
		return e, fmt.Errorf("content: %w", err)
	}
	var dc []explanation.DeterminedCause
	if len(causes) > 0 && string(causes) != "{}" {
		if err := json.Unmarshal(causes, &dc); err != nil {
			return e, fmt.Errorf("determined causes: %w", err)
		}
	}
	e.DeterminedCauses = dc
	set := func(dst *time.Time, src *time.Time) {
		if src != nil {
			*dst = src.UTC()
		}
	}
	set(&e.SubmitTime, submitted)
	set(&e.ConcludeTime, concluded)
	set(&e.PublishTime, published)
	set(&e.OverdueTime, overdue)
	e.CreateTime, e.UpdateTime = e.CreateTime.UTC(), e.UpdateTime.UTC()
	return e, nil
}

func readParts(ctx context.Context, q querier, ids []string) (map[string][]explanation.Part, error) {
	rows, _ := q.Query(ctx, `SELECT explanation_id::text, unit_id::text, content, updated_by, updated_at, version
		FROM explanation_part WHERE explanation_id = ANY($1::uuid[]) ORDER BY explanation_id, unit_id`, ids)
	out := map[string][]explanation.Part{}
	var id string
	var p explanation.Part
	var content []byte
	var at *time.Time
	_, err := pgx.ForEachRow(rows, []any{&id, &p.UnitID, &content, &p.UpdatedBy, &at, &p.Revision}, func() error {
		part := explanation.Part{UnitID: p.UnitID, UpdatedBy: p.UpdatedBy, Revision: p.Revision}
		if err := json.Unmarshal(content, &part.Content); err != nil {
			return err
		}
		if at != nil {
			part.UpdateTime = at.UTC()
		}
		out[id] = append(out[id], part)
		return nil
	})
	return out, err
}

func withParts(ctx context.Context, q querier, es []explanation.Explanation) error {
	ids := make([]string, len(es))
	for i, e := range es {
		ids[i] = e.ID
	}
	parts, err := readParts(ctx, q, ids)
	if err != nil {
		return fmt.Errorf("parts: %w", err)
	}
	for i := range es {
		es[i].Parts = parts[es[i].ID]
	}
	return nil
}

// Explanation implements app.ExplanationReader.
func (s *Store) Explanation(ctx context.Context, id string) (explanation.Explanation, error) {
	e, err := scanExplanation(s.pool.QueryRow(ctx, `SELECT `+explanationColumns+` FROM explanation WHERE id = $1`, id))
	if err != nil {
		return e, err
	}
	es := []explanation.Explanation{e}
	err = withParts(ctx, s.pool, es)
	return es[0], err
}

// ExplanationForUpdate implements app.Tx.
func (t *TxStore) ExplanationForUpdate(ctx context.Context, id string) (explanation.Explanation, error) {
	e, err := scanExplanation(t.tx.QueryRow(ctx, `SELECT `+explanationColumns+` FROM explanation WHERE id = $1 FOR UPDATE`, id))
	if err != nil {
		return e, err
	}
	es := []explanation.Explanation{e}
	err = withParts(ctx, t.tx, es)
	return es[0], err
}

// ListExplanations implements app.ExplanationReader.
func (s *Store) ListExplanations(ctx context.Context, f app.ExplanationFilter) ([]explanation.Explanation, error) {
	var where []string
	var args []any
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	if f.ProvinceUnitID != "" {
		where = append(where, "province_unit_id = "+arg(f.ProvinceUnitID))
	}
	if f.Year != 0 {
		where = append(where, "year = "+arg(f.Year))
	}
	if f.UnitID != "" {
		where = append(where, "unit_id = "+arg(f.UnitID))
	}
	if f.Status != "" {
		where = append(where, "status = "+arg(string(f.Status)))
	}
	if f.PublishedOnly {
		where = append(where, "published_at IS NOT NULL")
	}
	if f.VisibleToUnit != "" {
		u := arg(f.VisibleToUnit)
		where = append(where, fmt.Sprintf("(unit_id = %[1]s OR %[1]s = ANY (cooperating_unit_ids) OR published_at IS NOT NULL)", u))
	}
	if f.After != "" {
		where = append(where, fmt.Sprintf("(-year, id) > (SELECT -year, id FROM explanation WHERE id = %s)", arg(f.After)))
	}
	q := `SELECT ` + explanationColumns + ` FROM explanation`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	q += " ORDER BY year DESC, id LIMIT " + arg(limit)
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	var out []explanation.Explanation
	for rows.Next() {
		e, err := scanExplanation(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, withParts(ctx, s.pool, out)
}

// InsertExplanation implements app.Tx. The partial unique index on (year, index_unit_id,
// node_code, unit_id) for Art. 14.1 and 15.7 requests makes a second insert a no-op,
// however many times the same results arrive.
func (t *TxStore) InsertExplanation(ctx context.Context, e explanation.Explanation, c app.Change) (bool, error) {
	content, err := json.Marshal(e.Content)
	if err != nil {
		return false, err
	}
	var snapshot any
	if e.SnapshotID != "" {
		snapshot = e.SnapshotID
	}
	coop := e.CooperatingUnitIDs
	if coop == nil {
		coop = []string{}
	}
	tag, err := t.tx.Exec(ctx, `
		INSERT INTO explanation (id, province_unit_id, year, kind, node_code, title, reason, legal_basis, unit_id,
			head_user_id, head_name, cooperating_unit_ids, score, previous_score, snapshot_id, due_date, status, content,
			created_by, created_at, updated_at, index_unit_id, index_kind)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12::uuid[],$13,$14,$15,$16,$17,$18,$19,$20,$20,$21,$22)
		ON CONFLICT (year, index_unit_id, node_code, unit_id) WHERE kind = 'score_fell' DO NOTHING`,
		e.ID, e.ProvinceUnitID, e.Year, string(e.Kind), e.NodeCode, e.Title, e.Reason, e.LegalBasis, e.UnitID,
		e.HeadUserID, e.HeadName, coop, nullNum(e.Score), nullNum(e.PreviousScore), snapshot, e.DueDate,
		string(e.Status), content, e.CreatedBy, e.CreateTime, nullUUID(e.IndexUnitID), e.IndexKind)
	if err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "23505" {
			return false, explanation.ErrAlreadyRequested
		}
		return false, fmt.Errorf("insert explanation: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return false, nil
	}
	for _, p := range e.Parts {
		if _, err := t.tx.Exec(ctx, `INSERT INTO explanation_part (explanation_id, unit_id) VALUES ($1, $2)`, e.ID, p.UnitID); err != nil {
			return false, fmt.Errorf("insert part: %w", err)
		}
	}
	if err := addAudit(ctx, t.tx, "explanation", e.ID, c, nil, auditView(e)); err != nil {
		return false, err
	}
	if err := recordExplanationEvent(ctx, t.tx, e, c); err != nil {
		return false, err
	}
	return true, nil
}

// UpdateExplanation implements app.Tx. The revisions stored are those the domain counted:
// the row is locked since it was read, so no other writer moved them in between.
func (t *TxStore) UpdateExplanation(ctx context.Context, before, e explanation.Explanation, c app.Change) error {
	content, err := json.Marshal(e.Content)
	if err != nil {
		return err
	}
	causes, err := json.Marshal(e.DeterminedCauses)
	if err != nil {
		return err
	}
	if e.DeterminedCauses == nil {
		causes = []byte("{}")
	}
	if _, err := t.tx.Exec(ctx, `
		UPDATE explanation SET status = $2, content = $3, review_comment = $4, determined_causes = $5, conclusion = $6,
			submitted_at = $7, concluded_at = $8, published_at = $9, updated_at = $10, version = $11
		WHERE id = $1`,
		e.ID, string(e.Status), content, e.ReviewComment, causes, e.Conclusion,
		nullTime(e.SubmitTime), nullTime(e.ConcludeTime), nullTime(e.PublishTime), e.UpdateTime, e.Revision); err != nil {
		return fmt.Errorf("update explanation: %w", err)
	}
	for i, p := range e.Parts {
		if p.UpdateTime.IsZero() || i < len(before.Parts) && before.Parts[i].Revision == p.Revision {
			continue // unchanged by this step
		}
		pc, err := json.Marshal(p.Content)
		if err != nil {
			return err
		}
		if _, err := t.tx.Exec(ctx, `UPDATE explanation_part SET content = $3, updated_by = $4, updated_at = $5, version = $6
			WHERE explanation_id = $1 AND unit_id = $2`, e.ID, p.UnitID, pc, p.UpdatedBy, p.UpdateTime, p.Revision); err != nil {
			return fmt.Errorf("update part: %w", err)
		}
	}
	if err := addAudit(ctx, t.tx, "explanation", e.ID, c, auditView(before), auditView(e)); err != nil {
		return err
	}
	return recordExplanationEvent(ctx, t.tx, e, c)
}

// DueForOverdue implements app.Tx.
func (t *TxStore) DueForOverdue(ctx context.Context, today string, limit int) ([]explanation.Explanation, error) {
	rows, err := t.tx.Query(ctx, `SELECT `+explanationColumns+` FROM explanation
		WHERE overdue_at IS NULL AND status IN ('requested', 'returned') AND due_date < $1::date
		ORDER BY due_date, id LIMIT $2 FOR UPDATE SKIP LOCKED`, today, limit)
	if err != nil {
		return nil, err
	}
	var out []explanation.Explanation
	for rows.Next() {
		e, err := scanExplanation(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// MarkOverdue implements app.Tx. The overdue_at IS NULL guard makes the event leave once
// even if two schedulers raced past the lock.
func (t *TxStore) MarkOverdue(ctx context.Context, e explanation.Explanation, at time.Time) error {
	tag, err := t.tx.Exec(ctx, `UPDATE explanation SET overdue_at = $2 WHERE id = $1 AND overdue_at IS NULL`, e.ID, at)
	if err != nil {
		return fmt.Errorf("mark overdue: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return nil
	}
	before := auditView(e)
	e.OverdueTime = at
	c := app.Change{Action: "overdue", Actor: app.System, Reason: "Quá hạn giải trình " + e.DueDate + " (" + explanation.BasisReportTime + ")", Event: app.EventOverdue}
	if err := addAudit(ctx, t.tx, "explanation", e.ID, c, before, auditView(e)); err != nil {
		return err
	}
	return recordExplanationEvent(ctx, t.tx, e, c)
}

func nullUUID(id string) any {
	if id == "" {
		return nil
	}
	return id
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// auditView is what the audit trail keeps of an explanation: its state, without the
// bulky text that the before/after of each step would otherwise repeat in full.
func auditView(e explanation.Explanation) map[string]any {
	return map[string]any{
		"status": e.Status, "unit_id": e.UnitID, "head_name": e.HeadName, "due_date": e.DueDate,
		"content": e.Content, "parts": e.Parts, "review_comment": e.ReviewComment,
		"determined_causes": e.DeterminedCauses, "conclusion": e.Conclusion,
		"published": !e.PublishTime.IsZero(), "overdue": !e.OverdueTime.IsZero(),
	}
}

// addAudit appends one immutable audit record in tx.
func addAudit(ctx context.Context, tx pgx.Tx, entity, id string, c app.Change, before, after any) error {
	enc := func(v any) (any, error) {
		if v == nil {
			return nil, nil
		}
		b, err := json.Marshal(v)
		return b, err
	}
	b, err := enc(before)
	if err != nil {
		return err
	}
	a, err := enc(after)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO audit_record (entity, entity_id, action, actor_user_id, actor_name, at, before, after, reason)
		VALUES ($1,$2,$3,$4,$5, clock_timestamp(), $6, $7, $8)`,
		entity, id, c.Action, c.Actor.UserID, c.Actor.Name, b, a, c.Reason); err != nil {
		return fmt.Errorf("audit %s %s: %w", entity, c.Action, err)
	}
	return nil
}

// recordExplanationEvent writes the change's event (and RoadmapCommitted on conclusion)
// to the outbox.
func recordExplanationEvent(ctx context.Context, tx pgx.Tx, e explanation.Explanation, c app.Change) error {
	for _, ev := range explanationEvents(e, c) {
		if _, err := outbox.Add(ctx, tx, ev.subject, ev.msg); err != nil {
			return fmt.Errorf("record %s: %w", ev.subject, err)
		}
	}
	return nil
}
