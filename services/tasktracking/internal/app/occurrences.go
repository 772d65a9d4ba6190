package app

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/parindex/platform/services/tasktracking/internal/tracking"
)

// RelationFunc says how the caller stands to a task. The transport builds it from the
// caller's token; the use cases apply it to the task they load.
type RelationFunc func(tracking.TaskScope) tracking.Relation

// Viewer is what a caller may see in lists, matching RelationFunc: everything, or the
// tasks its unit takes part in, plus the documents its unit issued when it heads that unit.
type Viewer struct {
	// All sees every occurrence (secretariat, leadership, platform services).
	All bool
	// UnitID sees the tasks this unit leads or cooperates on; empty sees none.
	UnitID string
	// IssuerHead also sees every task of documents UnitID issued.
	IssuerHead bool
}

// OccurrenceFilter selects occurrences; zero fields do not filter.
type OccurrenceFilter struct {
	Viewer     Viewer
	TaskID     string
	DocumentID string
	// ExplanationID keeps the occurrences of one explanation's remediation tasks.
	ExplanationID string
	// UnitID keeps the tasks the unit takes part in, as Role when it is set.
	UnitID string
	Role   tracking.Role
	States []tracking.State
	// OverdueAt keeps the occurrences overdue at that instant (tracking.Occurrence.Overdue).
	OverdueAt time.Time
	// DueBefore and DueAfter bound the deadline in force: before, at or after.
	DueBefore, DueAfter time.Time
	PageSize            int32
	PageToken           string
}

// HistoryEntry is one recorded change of an occurrence.
type HistoryEntry struct {
	ID           int64
	OccurrenceID string
	tracking.Change
}

// Amendment is what an amendment of a document changed: the fields, the occurrences added
// for new periods, and those cancelled because their period left the document's.
type Amendment struct {
	Changed   []string
	By        tracking.Actor
	Added     []tracking.Occurrence
	Cancelled []CancelledOccurrence
}

// CancelledOccurrence is an occurrence cancelled by an amendment, with its change.
type CancelledOccurrence struct {
	Occurrence tracking.Occurrence
	Change     tracking.Change
}

// UpdateDocument amends the fields of document id named by paths, by the caller by.
// mayAmend checks, on the stored document, that the caller may amend it. A period change
// adds and cancels occurrences (tracking.ReconcileOccurrences).
func (s *Service) UpdateDocument(ctx context.Context, id string, patch tracking.Document, paths []string, by tracking.Actor, mayAmend func(tracking.Document) error) (tracking.Document, error) {
	now := s.now().Truncate(time.Microsecond)
	d, err := s.store.UpdateDocument(ctx, id, func(d *tracking.Document, occs []tracking.Occurrence) (Amendment, error) {
		if err := mayAmend(*d); err != nil {
			return Amendment{}, err
		}
		changed, err := d.Amend(patch, paths, now)
		if err != nil {
			return Amendment{}, err
		}
		a := Amendment{Changed: changed, By: by}
		add, drop, err := tracking.ReconcileOccurrences(*d, occs)
		if err != nil {
			return Amendment{}, err
		}
		for _, o := range add {
			o.ID = s.newID()
			o.CreateTime, o.UpdateTime = now, now
			a.Added = append(a.Added, o)
		}
		for _, o := range drop {
			c, err := o.Apply(tracking.Command{
				Action: tracking.ActionCancel, By: by, Relation: tracking.Relation{Assigner: true},
				Reason: fmt.Sprintf("Văn bản điều chỉnh giai đoạn thành %d–%d", d.PeriodStartYear, d.PeriodEndYear),
				Now:    now, NewID: s.newID, MaxExtensions: s.maxExtensions,
			})
			if err != nil {
				return Amendment{}, err
			}
			a.Cancelled = append(a.Cancelled, CancelledOccurrence{Occurrence: o, Change: c})
		}
		return a, nil
	})
	if err != nil {
		return tracking.Document{}, fmt.Errorf("update document %s: %w", id, err)
	}
	s.log.InfoContext(ctx, "document updated", slog.String("document_id", id), slog.Any("fields", paths))
	return d, nil
}

// Occurrence returns an occurrence the caller may see; one of a task the caller has no
// relation to is tracking.ErrOccurrenceNotFound, so its existence is not revealed.
func (s *Service) Occurrence(ctx context.Context, id string, rel RelationFunc) (tracking.Occurrence, error) {
	o, err := s.store.Occurrence(ctx, id)
	if err == nil && !rel(o.Scope).CanRead() {
		err = tracking.ErrOccurrenceNotFound
	}
	if err != nil {
		return tracking.Occurrence{}, fmt.Errorf("get occurrence %s: %w", id, err)
	}
	return o, nil
}

// ListOccurrences returns one page of occurrences, earliest deadline first.
func (s *Service) ListOccurrences(ctx context.Context, f OccurrenceFilter) (Page[tracking.Occurrence], error) {
	p, err := s.store.ListOccurrences(ctx, f)
	if err != nil {
		return Page[tracking.Occurrence]{}, fmt.Errorf("list occurrences: %w", err)
	}
	return p, nil
}

// Act applies cmd to occurrence id (clock, ids and the extension limit are the service's)
// and returns the occurrence after it. A caller with no relation to the task gets
// tracking.ErrOccurrenceNotFound.
func (s *Service) Act(ctx context.Context, id string, cmd tracking.Command, rel RelationFunc) (tracking.Occurrence, tracking.Change, error) {
	cmd.Now = s.now().Truncate(time.Microsecond)
	cmd.NewID = s.newID
	cmd.MaxExtensions = s.maxExtensions
	o, c, err := s.store.ChangeOccurrence(ctx, id, func(o *tracking.Occurrence) (tracking.Change, error) {
		cmd.Relation = rel(o.Scope)
		if !cmd.Relation.CanRead() {
			return tracking.Change{}, tracking.ErrOccurrenceNotFound
		}
		return o.Apply(cmd)
	})
	if err != nil {
		return tracking.Occurrence{}, tracking.Change{}, fmt.Errorf("%s occurrence %s: %w", cmd.Action, id, err)
	}
	s.log.InfoContext(ctx, "occurrence changed", slog.String("occurrence_id", id),
		slog.String("action", string(c.Action)), slog.String("from", string(c.From)), slog.String("to", string(c.To)))
	return o, c, nil
}

// History returns the changes of an occurrence the caller may see, oldest first.
func (s *Service) History(ctx context.Context, id string, rel RelationFunc) ([]HistoryEntry, error) {
	if _, err := s.Occurrence(ctx, id, rel); err != nil {
		return nil, err
	}
	h, err := s.store.History(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("history of occurrence %s: %w", id, err)
	}
	return h, nil
}
