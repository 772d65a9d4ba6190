package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/parindex/platform/services/kit/blob"
	"github.com/parindex/platform/services/kit/vntext"
	"github.com/parindex/platform/services/tasktracking/internal/tracking"
)

// DefaultMaxEvidenceBytes bounds an evidence file when the configuration does not say.
const DefaultMaxEvidenceBytes = 25 << 20

// ReportStore keeps progress reports, evidence metadata and reporting obligations.
// postgres.Store implements it.
type ReportStore interface {
	// DocumentHeader returns a document without its tasks, or tracking.ErrDocumentNotFound.
	DocumentHeader(ctx context.Context, id string) (tracking.Document, error)
	// SaveProgressReport stores r, replacing the unit's report of the same occurrence and
	// period (its revision counts up, its id and create time stay), with a ProgressReported
	// event, in one transaction; it returns the report as stored.
	SaveProgressReport(ctx context.Context, r tracking.ProgressReport) (tracking.ProgressReport, error)
	// ProgressReports returns the reports of an occurrence by period, then unit.
	ProgressReports(ctx context.Context, occurrenceID string) ([]tracking.ProgressReport, error)
	// AddEvidence stores the metadata of e with an EvidenceUploaded event.
	AddEvidence(ctx context.Context, e tracking.Evidence) error
	// Evidence returns one evidence with its task scope, or tracking.ErrEvidenceNotFound.
	Evidence(ctx context.Context, id string) (tracking.Evidence, error)
	// ListEvidence returns the evidence of an occurrence, oldest first.
	ListEvidence(ctx context.Context, occurrenceID string) ([]tracking.Evidence, error)
	// CreateReportingObligation locks document id, lets build make the obligation and its
	// due reports, and stores them in one transaction.
	CreateReportingObligation(ctx context.Context, id string, build func(d tracking.Document) (tracking.ReportingObligation, []tracking.DueReport, error)) (tracking.ReportingObligation, []tracking.DueReport, error)
	// ReportingObligations returns the obligations of a document, oldest first.
	ReportingObligations(ctx context.Context, documentID string) ([]tracking.ReportingObligation, error)
	// ListDueReports returns one page of due reports, earliest due first.
	ListDueReports(ctx context.Context, f DueReportFilter) (Page[tracking.DueReport], error)
	// ChangeDueReport locks due report id, lets change modify it and stores it with an
	// ObligationReportSubmitted event, in one transaction.
	ChangeDueReport(ctx context.Context, id string, change func(r *tracking.DueReport) error) (tracking.DueReport, error)
}

// DueReportFilter selects due reports; zero fields do not filter.
type DueReportFilter struct {
	// Viewer is who asks: a unit member sees its unit's dues, those sent to its unit and,
	// as head of the issuing unit, those of its documents (the zero Viewer sees none).
	Viewer     Viewer
	DocumentID string
	UnitID     string
	State      tracking.DueReportState
	DueBefore  time.Time
	PageSize   int32
	PageToken  string
}

// Reports runs the use cases of progress reports, evidence and reporting obligations. It
// shares the Service's clock, ids, directory and occurrence rules.
type Reports struct {
	svc      *Service
	store    ReportStore
	blobs    blob.Store
	maxBytes int64
}

// NewReports returns the report use cases on svc, storing metadata in store and contents in
// blobs; maxEvidenceBytes ≤ 0 is DefaultMaxEvidenceBytes.
func NewReports(svc *Service, store ReportStore, blobs blob.Store, maxEvidenceBytes int64) *Reports {
	if maxEvidenceBytes <= 0 {
		maxEvidenceBytes = DefaultMaxEvidenceBytes
	}
	return &Reports{svc: svc, store: store, blobs: blobs, maxBytes: maxEvidenceBytes}
}

// MaxEvidenceBytes is the largest evidence file accepted.
func (r *Reports) MaxEvidenceBytes() int64 { return r.maxBytes }

// Now is the service's clock.
func (r *Reports) Now() time.Time { return r.svc.Now() }

// reportable loads occurrence id for a caller who wants to report on it: one who may not
// see it gets tracking.ErrOccurrenceNotFound, one who may see it but whose unit neither
// leads nor cooperates gets tracking.ErrMayNotReport, and a closed occurrence takes nothing.
func (r *Reports) reportable(ctx context.Context, id string, rel RelationFunc) (tracking.Occurrence, error) {
	o, err := r.svc.Occurrence(ctx, id, rel)
	if err != nil {
		return tracking.Occurrence{}, err
	}
	if rl := rel(o.Scope); !rl.Lead && !rl.Cooperating {
		return tracking.Occurrence{}, tracking.ErrMayNotReport
	}
	if o.State == tracking.StateCancelled || o.State == tracking.StateRecalled {
		return tracking.Occurrence{}, tracking.ErrOccurrenceClosed
	}
	return o, nil
}

// SubmitProgressReport records draft (period, percent, narrative, figures, evidence ids) as
// the report of the caller's unit (by.UnitID) on occurrence id.
func (r *Reports) SubmitProgressReport(ctx context.Context, id string, draft tracking.ProgressReport, by tracking.Actor, rel RelationFunc) (tracking.ProgressReport, error) {
	o, err := r.reportable(ctx, id, rel)
	if err != nil {
		return tracking.ProgressReport{}, fmt.Errorf("report on occurrence %s: %w", id, err)
	}
	d, err := r.store.DocumentHeader(ctx, o.DocumentID)
	if err != nil {
		return tracking.ProgressReport{}, fmt.Errorf("report on occurrence %s: %w", id, err)
	}
	var v tracking.ValidationErrors
	if err := tracking.CheckReportPeriod(draft.Period, o, d.PeriodStartYear, d.PeriodEndYear); err != nil {
		ves, _ := tracking.AsValidation(err)
		v = append(v, ves...)
	}
	if err := tracking.CheckProgressReport(&draft); err != nil {
		ves, _ := tracking.AsValidation(err)
		v = append(v, ves...)
	}
	if len(draft.EvidenceIDs) > 0 {
		have, err := r.store.ListEvidence(ctx, id)
		if err != nil {
			return tracking.ProgressReport{}, fmt.Errorf("report on occurrence %s: %w", id, err)
		}
		ids := map[string]bool{}
		for _, e := range have {
			ids[e.ID] = true
		}
		for i, eid := range draft.EvidenceIDs {
			draft.EvidenceIDs[i] = strings.ToLower(eid)
			if !ids[draft.EvidenceIDs[i]] {
				v.Add(fmt.Sprintf("evidence_ids[%d]", i), "Tài liệu kiểm chứng không thuộc nhiệm vụ này")
			}
		}
	}
	if err := v.Err(); err != nil {
		return tracking.ProgressReport{}, err
	}
	now := r.svc.now().Truncate(time.Microsecond)
	draft.ID, draft.OccurrenceID, draft.UnitID, draft.ReportedBy = r.svc.newID(), o.ID, by.UnitID, by
	draft.CreateTime, draft.UpdateTime, draft.Scope = now, now, o.Scope
	saved, err := r.store.SaveProgressReport(ctx, draft)
	if err != nil {
		return tracking.ProgressReport{}, fmt.Errorf("report on occurrence %s: %w", id, err)
	}
	r.svc.log.InfoContext(ctx, "progress reported", slog.String("occurrence_id", id),
		slog.String("unit_id", by.UnitID), slog.Int("percent_done", saved.PercentDone), slog.Int("revision", saved.Revision))
	return saved, nil
}

// ProgressReports returns the reports of an occurrence the caller may see.
func (r *Reports) ProgressReports(ctx context.Context, id string, rel RelationFunc) ([]tracking.ProgressReport, error) {
	if _, err := r.svc.Occurrence(ctx, id, rel); err != nil {
		return nil, err
	}
	out, err := r.store.ProgressReports(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("progress reports of occurrence %s: %w", id, err)
	}
	return out, nil
}

// sniffLen is how much of a file http.DetectContentType looks at.
const sniffLen = 512

// ErrEvidenceTooLarge is an evidence file over the limit.
type ErrEvidenceTooLarge struct{ Max int64 }

func (e ErrEvidenceTooLarge) Error() string {
	return fmt.Sprintf("evidence larger than %d bytes", e.Max)
}

// UploadEvidence stores the evidence content read from content for occurrence meta.
// OccurrenceID, by the caller by. The caller's right is checked before any byte is read, so
// a refused upload costs nothing; the media type is sniffed from the first bytes and must be
// a document or an image; a content over the limit is ErrEvidenceTooLarge and keeps nothing.
func (r *Reports) UploadEvidence(ctx context.Context, meta tracking.Evidence, declaredType string, content io.Reader, by tracking.Actor, rel RelationFunc) (tracking.Evidence, error) {
	o, err := r.reportable(ctx, meta.OccurrenceID, rel)
	if err != nil {
		return tracking.Evidence{}, fmt.Errorf("upload evidence for occurrence %s: %w", meta.OccurrenceID, err)
	}
	if err := tracking.CheckEvidenceMetadata(&meta); err != nil {
		return tracking.Evidence{}, err
	}
	head := make([]byte, sniffLen)
	n, err := io.ReadFull(content, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return tracking.Evidence{}, fmt.Errorf("upload evidence: read: %w", err)
	}
	head = head[:n]
	if n == 0 {
		return tracking.Evidence{}, tracking.ValidationErrors{{Field: "chunk", Reason: "Tệp rỗng"}}
	}
	mt, ok := EvidenceMediaType(head, meta.FileName, declaredType)
	if !ok {
		return tracking.Evidence{}, tracking.ValidationErrors{{Field: "chunk",
			Reason: "Định dạng tệp không được chấp nhận; hãy gửi PDF, ảnh, văn bản, Word, Excel, PowerPoint hoặc tệp nén ZIP"}}
	}
	info, err := r.blobs.Put(ctx, io.MultiReader(bytes.NewReader(head), content), r.maxBytes)
	if errors.Is(err, blob.ErrTooLarge) {
		return tracking.Evidence{}, ErrEvidenceTooLarge{Max: r.maxBytes}
	}
	if err != nil {
		return tracking.Evidence{}, fmt.Errorf("upload evidence for occurrence %s: %w", o.ID, err)
	}
	now := r.svc.now().Truncate(time.Microsecond)
	e := meta
	e.ID, e.OccurrenceID, e.UnitID, e.UploadedBy, e.CreateTime, e.Scope = r.svc.newID(), o.ID, by.UnitID, by, now, o.Scope
	e.MediaType, e.Size, e.SHA256, e.BlobKey = mt, info.Size, info.SHA256, info.Key
	if err := r.store.AddEvidence(ctx, e); err != nil {
		// The content stays in the blob store: content-addressed, it may be shared by another
		// evidence, and an orphan costs only space.
		return tracking.Evidence{}, fmt.Errorf("upload evidence for occurrence %s: %w", o.ID, err)
	}
	r.svc.log.InfoContext(ctx, "evidence uploaded", slog.String("evidence_id", e.ID), slog.String("occurrence_id", o.ID),
		slog.String("media_type", e.MediaType), slog.Int64("size", e.Size))
	return e, nil
}

// officeTypes are the Office formats told apart by the file name inside their container
// (OOXML files are zip archives, legacy ones OLE compound files).
var officeTypes = map[string]string{
	".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
	".doc":  "application/msword",
	".xls":  "application/vnd.ms-excel",
	".ppt":  "application/vnd.ms-powerpoint",
}

// oleMagic starts an OLE compound file (legacy .doc, .xls, .ppt).
var oleMagic = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}

// EvidenceMediaType returns the media type of an evidence file from its first bytes: the
// sniffed type decides, so a renamed executable is not taken for a PDF; the file name (or
// the declared type) only says which Office format a zip or OLE container holds. ok is false
// for types evidence may not have.
func EvidenceMediaType(head []byte, fileName, declared string) (string, bool) {
	sniffed, _, _ := mime.ParseMediaType(http.DetectContentType(head))
	ext := strings.ToLower(path.Ext(fileName))
	declared, _, _ = mime.ParseMediaType(strings.ToLower(declared))
	office := func(container string) string {
		if t, ok := officeTypes[ext]; ok {
			return t
		}
		for _, t := range officeTypes {
			if t == declared {
				return t
			}
		}
		return container
	}
	switch {
	case sniffed == "application/pdf", sniffed == "image/png", sniffed == "image/jpeg",
		sniffed == "image/gif", sniffed == "image/webp", sniffed == "image/tiff":
		return sniffed, true
	case sniffed == "application/zip":
		// A zip named like a legacy Office file is neither: refused.
		if t := office("application/zip"); t == "application/zip" || strings.HasPrefix(t, "application/vnd.openxmlformats") {
			return t, true
		}
	case bytes.HasPrefix(head, oleMagic):
		// An OLE file is a legacy Office document only when its name or type says which.
		if t := office(""); t != "" && !strings.HasPrefix(t, "application/vnd.openxmlformats") {
			return t, true
		}
	case sniffed == "text/plain":
		if ext == ".csv" || declared == "text/csv" {
			return "text/csv", true
		}
		return "text/plain", true
	}
	return "", false
}

// Evidence returns the metadata of an evidence the caller may see.
func (r *Reports) Evidence(ctx context.Context, id string, rel RelationFunc) (tracking.Evidence, error) {
	e, err := r.store.Evidence(ctx, id)
	if err == nil && !rel(e.Scope).CanRead() {
		err = tracking.ErrEvidenceNotFound
	}
	if err != nil {
		return tracking.Evidence{}, fmt.Errorf("get evidence %s: %w", id, err)
	}
	return e, nil
}

// OpenEvidence returns an evidence the caller may see with a reader of its content.
func (r *Reports) OpenEvidence(ctx context.Context, id string, rel RelationFunc) (tracking.Evidence, io.ReadCloser, error) {
	e, err := r.Evidence(ctx, id, rel)
	if err != nil {
		return tracking.Evidence{}, nil, err
	}
	rc, err := r.blobs.Open(ctx, e.BlobKey)
	if err != nil {
		return tracking.Evidence{}, nil, fmt.Errorf("open content of evidence %s: %w", id, err)
	}
	return e, rc, nil
}

// ListEvidence returns the evidence of an occurrence the caller may see.
func (r *Reports) ListEvidence(ctx context.Context, occurrenceID string, rel RelationFunc) ([]tracking.Evidence, error) {
	if _, err := r.svc.Occurrence(ctx, occurrenceID, rel); err != nil {
		return nil, err
	}
	out, err := r.store.ListEvidence(ctx, occurrenceID)
	if err != nil {
		return nil, fmt.Errorf("evidence of occurrence %s: %w", occurrenceID, err)
	}
	return out, nil
}

// CreateReportingObligation adds an obligation to document id with its due reports.
// mayAmend checks, on the stored document, that the caller may amend it; every unit named
// must exist in the directory.
func (r *Reports) CreateReportingObligation(ctx context.Context, id string, draft tracking.ReportingObligation, createdBy string, mayAmend func(tracking.Document) error) (tracking.ReportingObligation, []tracking.DueReport, error) {
	units := []string{strings.ToLower(strings.TrimSpace(draft.RecipientUnitID))}
	for _, u := range draft.ReporterUnitIDs {
		units = append(units, strings.ToLower(strings.TrimSpace(u)))
	}
	missing, err := r.svc.dir.MissingUnits(ctx, units)
	if err != nil {
		return tracking.ReportingObligation{}, nil, fmt.Errorf("create obligation of document %s: check units: %w", id, err)
	}
	unknown := map[string]bool{}
	for _, u := range missing {
		unknown[u] = true
	}
	now := r.svc.now().Truncate(time.Microsecond)
	o, dues, err := r.store.CreateReportingObligation(ctx, id, func(d tracking.Document) (tracking.ReportingObligation, []tracking.DueReport, error) {
		if err := mayAmend(d); err != nil {
			return tracking.ReportingObligation{}, nil, err
		}
		o, dues, err := tracking.NewReportingObligation(d, draft, createdBy, now, r.svc.newID)
		if err != nil {
			return tracking.ReportingObligation{}, nil, err
		}
		var v tracking.ValidationErrors
		if unknown[o.RecipientUnitID] {
			v.Add("obligation.recipient_unit_id", "Đơn vị không có trong danh mục đơn vị")
		}
		for i, u := range o.ReporterUnitIDs {
			if unknown[u] {
				v.Add(fmt.Sprintf("obligation.reporter_unit_ids[%d]", i), "Đơn vị không có trong danh mục đơn vị")
			}
		}
		return o, dues, v.Err()
	})
	if err != nil {
		return tracking.ReportingObligation{}, nil, fmt.Errorf("create obligation of document %s: %w", id, err)
	}
	r.svc.log.InfoContext(ctx, "reporting obligation created", slog.String("document_id", id),
		slog.String("cycle", string(o.Cycle)), slog.Int("due_reports", len(dues)))
	return o, dues, nil
}

// ReportingObligations returns the obligations of a document (public like the document).
func (r *Reports) ReportingObligations(ctx context.Context, documentID string) ([]tracking.ReportingObligation, error) {
	if _, err := r.store.DocumentHeader(ctx, documentID); err != nil {
		return nil, fmt.Errorf("obligations of document %s: %w", documentID, err)
	}
	out, err := r.store.ReportingObligations(ctx, documentID)
	if err != nil {
		return nil, fmt.Errorf("obligations of document %s: %w", documentID, err)
	}
	return out, nil
}

// ListDueReports returns one page of the due reports f selects.
func (r *Reports) ListDueReports(ctx context.Context, f DueReportFilter) (Page[tracking.DueReport], error) {
	p, err := r.store.ListDueReports(ctx, f)
	if err != nil {
		return Page[tracking.DueReport]{}, fmt.Errorf("list due reports: %w", err)
	}
	return p, nil
}

// SubmitObligationReport submits the periodic report id for the caller's unit. canSee says
// whether the caller may see a due report (else tracking.ErrDueReportNotFound); only a
// member of the reporting unit may submit (else tracking.ErrNotReporter).
func (r *Reports) SubmitObligationReport(ctx context.Context, id, narrative string, by tracking.Actor, member bool, canSee func(tracking.DueReport) bool) (tracking.DueReport, error) {
	now := r.svc.now().Truncate(time.Microsecond)
	d, err := r.store.ChangeDueReport(ctx, id, func(d *tracking.DueReport) error {
		if !canSee(*d) {
			return tracking.ErrDueReportNotFound
		}
		if !member || !strings.EqualFold(vntext.NFC(by.UnitID), d.UnitID) {
			return tracking.ErrNotReporter
		}
		return d.Submit(narrative, by, now)
	})
	if err != nil {
		return tracking.DueReport{}, fmt.Errorf("submit due report %s: %w", id, err)
	}
	r.svc.log.InfoContext(ctx, "periodic report submitted", slog.String("due_report_id", id), slog.String("unit_id", d.UnitID))
	return d, nil
}
