package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	tasktrackingv1 "github.com/parindex/platform/proto/gen/go/par/tasktracking/v1"
	"github.com/parindex/platform/services/kit/outbox"
	"github.com/parindex/platform/services/kit/page"
	"github.com/parindex/platform/services/kit/pg"
	"github.com/parindex/platform/services/tasktracking/internal/app"
	"github.com/parindex/platform/services/tasktracking/internal/protoconv"
	"github.com/parindex/platform/services/tasktracking/internal/tracking"
)

// Subjects of the events about progress reports, evidence and periodic reports.
const (
	SubjectProgressReported          = "tasktracking.v1.progress.reported"
	SubjectEvidenceUploaded          = "tasktracking.v1.evidence.uploaded"
	SubjectObligationReportSubmitted = "tasktracking.v1.obligation.report_submitted"
)

var _ app.ReportStore = (*Store)(nil)

// scopeColumns reads the task scope of an occurrence o joined to tasks t and documents d.
const scopeColumns = `o.task_id::text, o.document_id::text, t.code, d.issuer_unit_id::text,
	ARRAY(SELECT a.unit_id::text FROM task_assignments a WHERE a.task_id = t.id AND a.role = 'lead' ORDER BY a.position),
	ARRAY(SELECT a.unit_id::text FROM task_assignments a WHERE a.task_id = t.id AND a.role = 'cooperating' ORDER BY a.position)`

// scopeJoin joins the occurrence, task and document of a row whose occurrence id is col.
func scopeJoin(col string) string {
	return ` JOIN occurrences o ON o.id = ` + col + ` JOIN tasks t ON t.id = o.task_id JOIN documents d ON d.id = o.document_id`
}

func scopeDest(s *tracking.TaskScope) []any {
	return []any{&s.TaskID, &s.DocumentID, &s.TaskCode, &s.IssuerUnitID, &s.LeadUnitIDs, &s.CooperatingUnitIDs}
}

// DocumentHeader returns a document without its tasks.
func (s *Store) DocumentHeader(ctx context.Context, id string) (tracking.Document, error) {
	return documentRow(ctx, s.pool, id, "")
}

// documentRow reads the row of document id (lock: "" or a locking clause).
func documentRow(ctx context.Context, q querier, id, lock string) (tracking.Document, error) {
	rows, err := q.Query(ctx, `SELECT `+documentColumns+` FROM documents WHERE id = $1`+lock, id)
	if err != nil {
		return tracking.Document{}, fmt.Errorf("select document: %w", err)
	}
	d, err := pgx.CollectExactlyOneRow(rows, scanDocument)
	if errors.Is(err, pgx.ErrNoRows) {
		return tracking.Document{}, tracking.ErrDocumentNotFound
	}
	if err != nil {
		return tracking.Document{}, fmt.Errorf("select document: %w", err)
	}
	return d, nil
}

const progressColumns = `r.id, r.occurrence_id, r.unit_id, r.period_kind, r.period_year, r.period_number,
	r.percent_done, r.narrative, r.figures, r.evidence_ids::text[], r.reported_by_subject, r.reported_by_user_id,
	r.reported_by_unit_id, r.reported_by_name, r.revision, r.create_time, r.update_time, ` + scopeColumns

func scanProgressReport(row pgx.CollectableRow) (tracking.ProgressReport, error) {
	var (
		r       tracking.ProgressReport
		figures []byte
	)
	err := row.Scan(append([]any{&r.ID, &r.OccurrenceID, &r.UnitID, &r.Period.Kind, &r.Period.Year, &r.Period.Number,
		&r.PercentDone, &r.Narrative, &figures, &r.EvidenceIDs, &r.ReportedBy.Subject, &r.ReportedBy.UserID,
		&r.ReportedBy.UnitID, &r.ReportedBy.Name, &r.Revision, &r.CreateTime, &r.UpdateTime}, scopeDest(&r.Scope)...)...)
	if err != nil {
		return r, err
	}
	if err := json.Unmarshal(figures, &r.Figures); err != nil {
		return r, fmt.Errorf("figures of report %s: %w", r.ID, err)
	}
	return r, nil
}

// SaveProgressReport inserts r or replaces the unit's report of the same occurrence and
// period, and writes ProgressReported, in one transaction.
func (s *Store) SaveProgressReport(ctx context.Context, r tracking.ProgressReport) (tracking.ProgressReport, error) {
	figures, err := json.Marshal(nonNilFigures(r.Figures))
	if err != nil {
		return tracking.ProgressReport{}, fmt.Errorf("figures: %w", err)
	}
	var saved tracking.ProgressReport
	err = pg.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		var id string
		err := tx.QueryRow(ctx, `
			INSERT INTO progress_reports AS p (id, occurrence_id, unit_id, period_kind, period_year, period_number,
				percent_done, narrative, figures, evidence_ids, reported_by_subject, reported_by_user_id,
				reported_by_unit_id, reported_by_name, revision, create_time, update_time)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 1, $15, $15)
			ON CONFLICT ON CONSTRAINT progress_reports_period_key DO UPDATE SET
				percent_done = EXCLUDED.percent_done, narrative = EXCLUDED.narrative, figures = EXCLUDED.figures,
				evidence_ids = EXCLUDED.evidence_ids, reported_by_subject = EXCLUDED.reported_by_subject,
				reported_by_user_id = EXCLUDED.reported_by_user_id, reported_by_unit_id = EXCLUDED.reported_by_unit_id,
				reported_by_name = EXCLUDED.reported_by_name, revision = p.revision + 1, update_time = EXCLUDED.update_time
			RETURNING id::text`,
			r.ID, r.OccurrenceID, r.UnitID, r.Period.Kind, r.Period.Year, r.Period.Number,
			r.PercentDone, r.Narrative, figures, nonNil(r.EvidenceIDs), r.ReportedBy.Subject, r.ReportedBy.UserID,
			r.ReportedBy.UnitID, r.ReportedBy.Name, r.CreateTime).Scan(&id)
		if err != nil {
			return fmt.Errorf("upsert progress report: %w", err)
		}
		rows, err := tx.Query(ctx, `SELECT `+progressColumns+` FROM progress_reports r`+scopeJoin("r.occurrence_id")+` WHERE r.id = $1`, id)
		if err != nil {
			return fmt.Errorf("select progress report: %w", err)
		}
		if saved, err = pgx.CollectExactlyOneRow(rows, scanProgressReport); err != nil {
			return fmt.Errorf("select progress report: %w", err)
		}
		ev := &tasktrackingv1.ProgressReported{Report: protoconv.ProgressReportToProto(saved), TaskCode: saved.Scope.TaskCode}
		if _, err := outbox.Add(ctx, tx, SubjectProgressReported, ev); err != nil {
			return fmt.Errorf("outbox ProgressReported: %w", err)
		}
		return nil
	})
	if err != nil {
		return tracking.ProgressReport{}, err
	}
	return saved, nil
}

func nonNilFigures(fs []tracking.Figure) []tracking.Figure {
	if fs == nil {
		return []tracking.Figure{}
	}
	return fs
}

// ProgressReports returns the reports of an occurrence by period, then unit.
func (s *Store) ProgressReports(ctx context.Context, occurrenceID string) ([]tracking.ProgressReport, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+progressColumns+` FROM progress_reports r`+scopeJoin("r.occurrence_id")+`
		WHERE r.occurrence_id = $1
		ORDER BY r.period_year, r.period_kind = 'year', r.period_kind = 'half_year', r.period_number, r.unit_id`, occurrenceID)
	if err != nil {
		return nil, fmt.Errorf("select progress reports: %w", err)
	}
	out, err := pgx.CollectRows(rows, scanProgressReport)
	if err != nil {
		return nil, fmt.Errorf("select progress reports: %w", err)
	}
	return out, nil
}

const evidenceColumns = `e.id, e.occurrence_id, e.unit_id, e.file_name, e.media_type, e.size_bytes, e.sha256,
	e.blob_key, e.description, e.uploaded_by_subject, e.uploaded_by_user_id, e.uploaded_by_unit_id,
	e.uploaded_by_name, e.create_time, ` + scopeColumns

func scanEvidence(row pgx.CollectableRow) (tracking.Evidence, error) {
	var (
		e   tracking.Evidence
		sum []byte
	)
	err := row.Scan(append([]any{&e.ID, &e.OccurrenceID, &e.UnitID, &e.FileName, &e.MediaType, &e.Size, &sum,
		&e.BlobKey, &e.Description, &e.UploadedBy.Subject, &e.UploadedBy.UserID, &e.UploadedBy.UnitID,
		&e.UploadedBy.Name, &e.CreateTime}, scopeDest(&e.Scope)...)...)
	copy(e.SHA256[:], sum)
	return e, err
}

// AddEvidence stores the metadata of e and writes EvidenceUploaded, in one transaction.
func (s *Store) AddEvidence(ctx context.Context, e tracking.Evidence) error {
	return pg.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `
			INSERT INTO evidence (id, occurrence_id, unit_id, file_name, media_type, size_bytes, sha256, blob_key,
				description, uploaded_by_subject, uploaded_by_user_id, uploaded_by_unit_id, uploaded_by_name, create_time)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
			e.ID, e.OccurrenceID, e.UnitID, e.FileName, e.MediaType, e.Size, e.SHA256[:], e.BlobKey,
			e.Description, e.UploadedBy.Subject, e.UploadedBy.UserID, e.UploadedBy.UnitID, e.UploadedBy.Name, e.CreateTime)
		if err != nil {
			return fmt.Errorf("insert evidence: %w", err)
		}
		if _, err := outbox.Add(ctx, tx, SubjectEvidenceUploaded, &tasktrackingv1.EvidenceUploaded{Evidence: protoconv.EvidenceToProto(e)}); err != nil {
			return fmt.Errorf("outbox EvidenceUploaded: %w", err)
		}
		return nil
	})
}

// Evidence returns one evidence with its task scope.
func (s *Store) Evidence(ctx context.Context, id string) (tracking.Evidence, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+evidenceColumns+` FROM evidence e`+scopeJoin("e.occurrence_id")+` WHERE e.id = $1`, id)
	if err != nil {
		return tracking.Evidence{}, fmt.Errorf("select evidence: %w", err)
	}
	e, err := pgx.CollectExactlyOneRow(rows, scanEvidence)
	if errors.Is(err, pgx.ErrNoRows) {
		return tracking.Evidence{}, tracking.ErrEvidenceNotFound
	}
	if err != nil {
		return tracking.Evidence{}, fmt.Errorf("select evidence: %w", err)
	}
	return e, nil
}

// ListEvidence returns the evidence of an occurrence, oldest first.
func (s *Store) ListEvidence(ctx context.Context, occurrenceID string) ([]tracking.Evidence, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+evidenceColumns+` FROM evidence e`+scopeJoin("e.occurrence_id")+`
		WHERE e.occurrence_id = $1 ORDER BY e.create_time, e.id`, occurrenceID)
	if err != nil {
		return nil, fmt.Errorf("select evidence: %w", err)
	}
	out, err := pgx.CollectRows(rows, scanEvidence)
	if err != nil {
		return nil, fmt.Errorf("select evidence: %w", err)
	}
	return out, nil
}

const obligationColumns = `id, document_id, cycle, recipient_unit_id::text, reporter_unit_ids::text[], due_offset_days,
	text, created_by, create_time`

func scanObligation(row pgx.CollectableRow) (tracking.ReportingObligation, error) {
	var o tracking.ReportingObligation
	err := row.Scan(&o.ID, &o.DocumentID, &o.Cycle, &o.RecipientUnitID, &o.ReporterUnitIDs, &o.DueOffsetDays,
		&o.Text, &o.CreatedBy, &o.CreateTime)
	return o, err
}

// CreateReportingObligation locks the document and stores the obligation built for it with
// its due reports.
func (s *Store) CreateReportingObligation(ctx context.Context, id string, build func(d tracking.Document) (tracking.ReportingObligation, []tracking.DueReport, error)) (tracking.ReportingObligation, []tracking.DueReport, error) {
	var (
		o    tracking.ReportingObligation
		dues []tracking.DueReport
	)
	err := pg.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		d, err := lockDocument(ctx, tx, id)
		if err != nil {
			return err
		}
		if o, dues, err = build(d); err != nil {
			return err
		}
		batch := &pgx.Batch{}
		batch.Queue(`
			INSERT INTO reporting_obligations (id, document_id, cycle, recipient_unit_id, reporter_unit_ids,
				due_offset_days, text, created_by, create_time)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			o.ID, o.DocumentID, o.Cycle, o.RecipientUnitID, o.ReporterUnitIDs, o.DueOffsetDays, o.Text, o.CreatedBy, o.CreateTime)
		queueInsertDueReports(batch, dues)
		if err := tx.SendBatch(ctx, batch).Close(); err != nil {
			return fmt.Errorf("insert obligation: %w", err)
		}
		return nil
	})
	if err != nil {
		return tracking.ReportingObligation{}, nil, err
	}
	return o, dues, nil
}

// ReportingObligations returns the obligations of a document, oldest first.
func (s *Store) ReportingObligations(ctx context.Context, documentID string) ([]tracking.ReportingObligation, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+obligationColumns+` FROM reporting_obligations WHERE document_id = $1 ORDER BY create_time, id`, documentID)
	if err != nil {
		return nil, fmt.Errorf("select obligations: %w", err)
	}
	out, err := pgx.CollectRows(rows, scanObligation)
	if err != nil {
		return nil, fmt.Errorf("select obligations: %w", err)
	}
	return out, nil
}

// dueReportColumns reads a due report r with its obligation b and document d.
const dueReportColumns = `r.id, r.obligation_id, r.document_id, r.unit_id::text, r.period_kind, r.period_year,
	r.period_number, r.due_time, r.state, r.submit_time, r.narrative, r.submitted_by_subject, r.submitted_by_user_id,
	r.submitted_by_unit_id, r.submitted_by_name, b.recipient_unit_id::text, d.issuer_unit_id::text, r.create_time, r.update_time`

const dueReportFrom = ` FROM due_reports r JOIN reporting_obligations b ON b.id = r.obligation_id JOIN documents d ON d.id = r.document_id`

func scanDueReport(row pgx.CollectableRow) (tracking.DueReport, error) {
	return scanDueReportWith(row)
}

// scanDueReportWith is scanDueReport for a query selecting more columns, scanned into extra.
func scanDueReportWith(row pgx.CollectableRow, extra ...any) (tracking.DueReport, error) {
	var (
		r      tracking.DueReport
		submit pgtype.Timestamptz
	)
	err := row.Scan(append([]any{&r.ID, &r.ObligationID, &r.DocumentID, &r.UnitID, &r.Period.Kind, &r.Period.Year,
		&r.Period.Number, &r.Due, &r.State, &submit, &r.Narrative, &r.SubmittedBy.Subject, &r.SubmittedBy.UserID,
		&r.SubmittedBy.UnitID, &r.SubmittedBy.Name, &r.RecipientUnitID, &r.IssuerUnitID, &r.CreateTime, &r.UpdateTime}, extra...)...)
	r.SubmitTime = ts(submit)
	return r, err
}

// dueReportCursor is the position after the last due report of a page.
type dueReportCursor struct {
	Due time.Time `json:"d"`
	ID  string    `json:"i"`
}

// ListDueReports returns one page of the due reports the viewer may see, earliest due first.
func (s *Store) ListDueReports(ctx context.Context, f app.DueReportFilter) (app.Page[tracking.DueReport], error) {
	var cur dueReportCursor
	if err := page.Decode(f.PageToken, &cur); err != nil {
		return app.Page[tracking.DueReport]{}, err
	}
	size := page.Size(f.PageSize)
	var q query
	q.where(dueInPeriod)
	if !f.Viewer.All {
		// The reporting unit, the unit receiving the reports, or the issuing unit's head.
		q.where(`(r.unit_id::text = $# OR b.recipient_unit_id::text = $# OR ($#::boolean AND d.issuer_unit_id::text = $#))`,
			f.Viewer.UnitID, f.Viewer.UnitID, f.Viewer.IssuerHead, f.Viewer.UnitID)
	}
	if f.DocumentID != "" {
		q.where("r.document_id = $#", f.DocumentID)
	}
	if f.UnitID != "" {
		q.where("r.unit_id = $#", f.UnitID)
	}
	if f.State != "" {
		q.where("r.state = $#", f.State)
	}
	if !f.DueBefore.IsZero() {
		q.where("r.due_time < $#", f.DueBefore)
	}
	if f.PageToken != "" {
		q.where("(r.due_time, r.id) > ($#, $#::uuid)", cur.Due, cur.ID)
	}
	rows, err := s.pool.Query(ctx, `SELECT `+dueReportColumns+dueReportFrom+q.clause()+
		` ORDER BY r.due_time, r.id LIMIT `+fmt.Sprint(size+1), q.args...)
	if err != nil {
		return app.Page[tracking.DueReport]{}, fmt.Errorf("select due reports: %w", err)
	}
	list, err := pgx.CollectRows(rows, scanDueReport)
	if err != nil {
		return app.Page[tracking.DueReport]{}, fmt.Errorf("select due reports: %w", err)
	}
	var p app.Page[tracking.DueReport]
	if len(list) > size {
		list = list[:size]
		last := list[size-1]
		p.NextPageToken = page.Encode(dueReportCursor{Due: last.Due, ID: last.ID})
	}
	p.Items = list
	return p, nil
}

// ChangeDueReport locks due report id, lets change modify it, and stores it with an
// ObligationReportSubmitted event.
func (s *Store) ChangeDueReport(ctx context.Context, id string, change func(r *tracking.DueReport) error) (tracking.DueReport, error) {
	var r tracking.DueReport
	err := pg.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+dueReportColumns+dueReportFrom+` WHERE r.id = $1 FOR UPDATE OF r`, id)
		if err != nil {
			return fmt.Errorf("select due report: %w", err)
		}
		r, err = pgx.CollectExactlyOneRow(rows, scanDueReport)
		if errors.Is(err, pgx.ErrNoRows) {
			return tracking.ErrDueReportNotFound
		}
		if err != nil {
			return fmt.Errorf("select due report: %w", err)
		}
		if err := change(&r); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `
			UPDATE due_reports SET state = $2, submit_time = $3, narrative = $4, submitted_by_subject = $5,
				submitted_by_user_id = $6, submitted_by_unit_id = $7, submitted_by_name = $8, update_time = $9
			WHERE id = $1`,
			r.ID, r.State, timeArg(r.SubmitTime), r.Narrative, r.SubmittedBy.Subject, r.SubmittedBy.UserID,
			r.SubmittedBy.UnitID, r.SubmittedBy.Name, r.UpdateTime)
		if err != nil {
			return fmt.Errorf("update due report: %w", err)
		}
		ev := &tasktrackingv1.ObligationReportSubmitted{DueReport: protoconv.DueReportToProto(r, r.UpdateTime)}
		if _, err := outbox.Add(ctx, tx, SubjectObligationReportSubmitted, ev); err != nil {
			return fmt.Errorf("outbox ObligationReportSubmitted: %w", err)
		}
		return nil
	})
	if err != nil {
		return tracking.DueReport{}, err
	}
	return r, nil
}

// queueInsertDueReports queues the inserts of dues; one already planned for its obligation,
// unit and period is left as it is.
func queueInsertDueReports(batch *pgx.Batch, dues []tracking.DueReport) {
	for _, r := range dues {
		batch.Queue(`
			INSERT INTO due_reports (id, obligation_id, document_id, unit_id, period_kind, period_year, period_number,
				due_time, state, create_time, update_time)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
			ON CONFLICT ON CONSTRAINT due_reports_period_key DO NOTHING`,
			r.ID, r.ObligationID, r.DocumentID, r.UnitID, r.Period.Kind, r.Period.Year, r.Period.Number,
			r.Due, r.State, r.CreateTime, r.UpdateTime)
	}
}

// planDueReportsAfterAmend adds, in the transaction of an amendment of d, the due reports of
// the years its new period brings to every obligation. Those of years it left out stay
// stored (a submitted report is a record) but are no longer expected: lists and the
// scheduler keep to the document's period (dueInPeriod).
func planDueReportsAfterAmend(ctx context.Context, tx pgx.Tx, d tracking.Document) error {
	rows, err := tx.Query(ctx, `SELECT `+obligationColumns+` FROM reporting_obligations WHERE document_id = $1 ORDER BY create_time, id`, d.ID)
	if err != nil {
		return fmt.Errorf("select obligations: %w", err)
	}
	obs, err := pgx.CollectRows(rows, scanObligation)
	if err != nil {
		return fmt.Errorf("select obligations: %w", err)
	}
	batch := &pgx.Batch{}
	newID := func() string { return uuid.Must(uuid.NewV7()).String() }
	for _, o := range obs {
		queueInsertDueReports(batch, tracking.PlanDueReports(d, o, d.UpdateTime, newID))
	}
	if err := tx.SendBatch(ctx, batch).Close(); err != nil {
		return fmt.Errorf("insert due reports of the new period: %w", err)
	}
	return nil
}

// dueInPeriod keeps the due reports of the document's current period, of a document in force.
const dueInPeriod = `d.status = 'issued' AND r.period_year BETWEEN d.period_start_year AND d.period_end_year`

// ReferencedBlobs returns those of keys that an evidence row references.
func (s *Store) ReferencedBlobs(ctx context.Context, keys []string) (map[string]bool, error) {
	rows, err := s.pool.Query(ctx, `SELECT DISTINCT blob_key FROM evidence WHERE blob_key = ANY($1)`, keys)
	if err != nil {
		return nil, fmt.Errorf("select referenced blobs: %w", err)
	}
	used, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("select referenced blobs: %w", err)
	}
	m := make(map[string]bool, len(used))
	for _, k := range used {
		m[k] = true
	}
	return m, nil
}
