// Package app holds the use cases of task tracking on one Service type, with the small ports
// it needs: a Store for documents and tasks and a Directory that says which units exist.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/parindex/platform/services/tasktracking/internal/tracking"
)

// ErrUnavailable marks a failure of a peer service that is worth retrying later (the
// directory is down or timed out), as opposed to a bug.
var ErrUnavailable = errors.New("peer service unavailable")

// Store keeps documents and tasks. postgres.Store implements it.
type Store interface {
	// CreateDocument stores a new document with its tasks and their occurrences and, in the
	// same transaction, one TaskAssigned event per task. A taken number is
	// tracking.ErrNumberTaken.
	CreateDocument(ctx context.Context, d tracking.Document, occs []tracking.Occurrence) error
	// UpdateDocument locks document id with its tasks and occurrences, lets amend change
	// them, and stores the result with its events in one transaction.
	UpdateDocument(ctx context.Context, id string, amend func(d *tracking.Document, occs []tracking.Occurrence) (Amendment, error)) (tracking.Document, error)
	// Occurrence returns an occurrence with its task scope and pending extension, or
	// tracking.ErrOccurrenceNotFound.
	Occurrence(ctx context.Context, id string) (tracking.Occurrence, error)
	// ListOccurrences returns one page of the occurrences f selects.
	ListOccurrences(ctx context.Context, f OccurrenceFilter) (Page[tracking.Occurrence], error)
	// ChangeOccurrence locks occurrence id, lets change apply a command to it, and stores
	// the occurrence, its history entry, the extension request and the events in one
	// transaction. An error from change rolls everything back.
	ChangeOccurrence(ctx context.Context, id string, change func(o *tracking.Occurrence) (tracking.Change, error)) (tracking.Occurrence, tracking.Change, error)
	// History returns the changes of an occurrence, oldest first.
	History(ctx context.Context, occurrenceID string) ([]HistoryEntry, error)
	// Document returns a document with its tasks, or tracking.ErrDocumentNotFound.
	Document(ctx context.Context, id string) (tracking.Document, error)
	// ListDocuments returns one page of documents without their tasks.
	ListDocuments(ctx context.Context, f DocumentFilter) (Page[tracking.Document], error)
	// Task returns a task, or tracking.ErrTaskNotFound.
	Task(ctx context.Context, id string) (tracking.Task, error)
	// ListTasks returns one page of tasks.
	ListTasks(ctx context.Context, f TaskFilter) (Page[tracking.Task], error)
	// AddTasks locks document id with its tasks, lets add build the new tasks and their
	// occurrences, and stores them with one TaskAssigned event per task in one transaction.
	AddTasks(ctx context.Context, id string, add func(d tracking.Document) ([]tracking.Task, []tracking.Occurrence, error)) (tracking.Document, []tracking.Task, error)
}

// Directory answers questions about units, which the directory service owns.
type Directory interface {
	// MissingUnits returns those of ids that name no unit. An unreachable directory is an
	// error wrapping ErrUnavailable.
	MissingUnits(ctx context.Context, ids []string) ([]string, error)
	// Units returns every unit in force the caller may see, for reading unit names in an
	// imported table. An unreachable directory is an error wrapping ErrUnavailable.
	Units(ctx context.Context) ([]Unit, error)
}

// Unit is a directory unit as the import reads names and collectives with it.
type Unit struct {
	// ID is the directory id; Code the directory code (e.g. "TQ-SNV").
	ID, Code string
	// Name is the full name; ShortName the usual short form.
	Name, ShortName string
	// Kind and Level are the directory's codes, e.g. "department" and "province".
	Kind, Level string
	// ParentID is the parent unit's id; empty for a root.
	ParentID string
}

// DocumentFilter selects documents; zero fields do not filter.
type DocumentFilter struct {
	// Year keeps documents whose period includes it.
	Year int
	// Kind keeps documents of this kind.
	Kind tracking.DocumentKind
	// IssuerUnitID keeps documents of this issuer.
	IssuerUnitID string
	// Query keeps documents whose number or title contains it, ignoring case and diacritics.
	Query string
	// PageSize is the requested page size (0 for the default); PageToken continues a list.
	PageSize  int32
	PageToken string
}

// TaskFilter selects tasks; zero fields do not filter.
type TaskFilter struct {
	// Viewer is who asks: only the tasks they may see are listed (the zero Viewer sees none).
	Viewer Viewer
	// TaskID keeps one task.
	TaskID string
	// DocumentID keeps the tasks of one document.
	DocumentID string
	// UnitID keeps the tasks the unit leads or cooperates on.
	UnitID string
	// ExplanationID keeps the remediation tasks of one explanation.
	ExplanationID string
	// PageSize is the requested page size (0 for the default); PageToken continues a list.
	PageSize  int32
	PageToken string
}

// Page is one page of a list and the token of the next ("" on the last page).
type Page[T any] struct {
	Items         []T
	NextPageToken string
}

// Service runs the use cases.
type Service struct {
	store Store
	dir   Directory
	log   *slog.Logger
	now   func() time.Time
	newID func() string
	// maxExtensions is the limit of approved extensions per occurrence.
	maxExtensions int
}

// New returns a Service. now and newID are the clock and the id generator (UUIDs in
// production), passed in so tests can fix them.
func New(store Store, dir Directory, log *slog.Logger, now func() time.Time, newID func() string) *Service {
	return &Service{store: store, dir: dir, log: log, now: now, newID: newID, maxExtensions: tracking.DefaultMaxExtensions}
}

// WithMaxExtensions sets how many extensions an occurrence may be granted (n ≥ 0) and
// returns s.
func (s *Service) WithMaxExtensions(n int) *Service {
	s.maxExtensions = n
	return s
}

// Now is the service's clock, against which overdue is derived in responses.
func (s *Service) Now() time.Time { return s.now() }

// CreateDocument issues a document with its tasks, created by the user createdBy. Every unit
// it names must exist in the directory; the tasks' TaskAssigned events are stored with it.
func (s *Service) CreateDocument(ctx context.Context, draft tracking.Document, createdBy string) (tracking.Document, error) {
	// PostgreSQL keeps microseconds: truncating here makes the document returned now (and
	// the events) equal to the one read back later.
	now := s.now().Truncate(time.Microsecond)
	d, err := tracking.NewDocument(draft, createdBy, now, s.newID)
	if err != nil {
		return tracking.Document{}, err
	}
	// One round trip for every unit of the document, however many tasks it has.
	missing, err := s.dir.MissingUnits(ctx, d.UnitIDs())
	if err != nil {
		return tracking.Document{}, fmt.Errorf("create document %q: check units: %w", d.Number, err)
	}
	unknown := make(map[string]bool, len(missing))
	for _, id := range missing {
		unknown[id] = true
	}
	if err := d.CheckUnits(func(id string) bool { return !unknown[id] }); err != nil {
		return tracking.Document{}, err
	}
	if err := s.store.CreateDocument(ctx, d, tracking.NewOccurrences(d, now, s.newID)); err != nil {
		return tracking.Document{}, fmt.Errorf("create document %q of issuer %s: %w", d.Number, d.IssuerUnitID, err)
	}
	s.log.InfoContext(ctx, "document created",
		slog.String("document_id", d.ID), slog.String("number", d.Number),
		slog.String("issuer_unit_id", d.IssuerUnitID), slog.Int("tasks", len(d.Tasks)),
		slog.String("created_by", createdBy))
	return d, nil
}

// Document returns a document with the tasks the caller may see (rel): the document itself
// is public to every signed-in caller, another unit's tasks are left out.
func (s *Service) Document(ctx context.Context, id string, rel RelationFunc) (tracking.Document, error) {
	d, err := s.store.Document(ctx, id)
	if err != nil {
		return tracking.Document{}, fmt.Errorf("get document %s: %w", id, err)
	}
	visible := d.Tasks[:0]
	for _, t := range d.Tasks {
		if rel(tracking.TaskScopeOf(d, t)).CanRead() {
			visible = append(visible, t)
		}
	}
	d.Tasks = visible
	return d, nil
}

// ListDocuments returns one page of documents, newest signing date first.
func (s *Service) ListDocuments(ctx context.Context, f DocumentFilter) (Page[tracking.Document], error) {
	p, err := s.store.ListDocuments(ctx, f)
	if err != nil {
		return Page[tracking.Document]{}, fmt.Errorf("list documents: %w", err)
	}
	return p, nil
}

// Task returns one task the viewer may see; another unit's task is tracking.ErrTaskNotFound,
// so its existence is not revealed.
func (s *Service) Task(ctx context.Context, id string, v Viewer) (tracking.Task, error) {
	p, err := s.store.ListTasks(ctx, TaskFilter{Viewer: v, TaskID: id, PageSize: 1})
	if err == nil && len(p.Items) == 0 {
		err = tracking.ErrTaskNotFound
	}
	if err != nil {
		return tracking.Task{}, fmt.Errorf("get task %s: %w", id, err)
	}
	return p.Items[0], nil
}

// ListTasks returns one page of tasks, by document and then in the document's order.
func (s *Service) ListTasks(ctx context.Context, f TaskFilter) (Page[tracking.Task], error) {
	p, err := s.store.ListTasks(ctx, f)
	if err != nil {
		return Page[tracking.Task]{}, fmt.Errorf("list tasks: %w", err)
	}
	return p, nil
}
