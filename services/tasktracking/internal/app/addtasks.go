package app

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/parindex/platform/services/tasktracking/internal/tracking"
)

// AddTasks adds drafts to document id and returns them as created. mayAmend checks, on the
// stored document, that the caller may amend it. Units are checked against the directory
// first (one round trip); codes, limits and the document's status are checked under the
// document's lock, so two additions of the same code cannot both pass.
func (s *Service) AddTasks(ctx context.Context, id string, drafts []tracking.Task, mayAmend func(tracking.Document) error) ([]tracking.Task, error) {
	now := s.now().Truncate(time.Microsecond)
	var units []string
	for _, t := range drafts {
		for _, a := range t.Assignments() {
			// The domain compares ids lower-cased and trimmed; ask about them that way.
			units = append(units, strings.ToLower(strings.TrimSpace(a.UnitID)))
		}
	}
	missing, err := s.dir.MissingUnits(ctx, units)
	if err != nil {
		return nil, fmt.Errorf("add tasks to document %s: check units: %w", id, err)
	}
	unknown := make(map[string]bool, len(missing))
	for _, u := range missing {
		unknown[u] = true
	}
	d, tasks, err := s.store.AddTasks(ctx, id, func(d tracking.Document) ([]tracking.Task, []tracking.Occurrence, error) {
		if err := mayAmend(d); err != nil {
			return nil, nil, err
		}
		tasks, err := tracking.NewTasks(d, drafts, now, s.newID)
		if err != nil {
			return nil, nil, err
		}
		added := tracking.Document{ID: d.ID, IssuerUnitID: d.IssuerUnitID, Tasks: tasks}
		if err := added.CheckUnits(func(u string) bool { return !unknown[u] }); err != nil {
			return nil, nil, err
		}
		d.Tasks = tasks // only the new tasks get occurrences
		return tasks, tracking.NewOccurrences(d, now, s.newID), nil
	})
	if err != nil {
		return nil, fmt.Errorf("add tasks to document %s: %w", id, err)
	}
	s.log.InfoContext(ctx, "tasks added", slog.String("document_id", d.ID), slog.Int("tasks", len(tasks)))
	return tasks, nil
}
