package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/parindex/platform/services/tasktracking/internal/tracking"
)

// RemediationCreator is who the remediation documents are recorded as created by: the
// durable consumer that creates them, since no person does.
const RemediationCreator = "tasktracking-remediation"

// RemediationWriter writes remediation documents in the transaction of the event that
// commits the roadmap, so the tasks and the processed-event record commit together.
// postgres.RemediationWriter implements it.
type RemediationWriter interface {
	// RemediationDocument returns the id of the explanation's remediation document, or "".
	RemediationDocument(ctx context.Context, explanationID string) (string, error)
	// CreateRemediation stores d with its occurrences and events as the explanation's
	// remediation document, linking its tasks; tracking.ErrRemediationExists when another
	// writer got there first.
	CreateRemediation(ctx context.Context, explanationID, eventID string, d tracking.Document, occs []tracking.Occurrence, now time.Time) error
}

// ErrRetry marks a failure of CommitRoadmap that a later attempt will resolve (another
// replica was creating the same document at the same time).
var ErrRetry = errors.New("retry later")

// CommitRoadmap creates the actions of a committed roadmap as the tasks of the explanation's
// remediation document, once: when the explanation already has its document (the event was
// delivered again, or published again under another id), it returns that document's id with
// created false and writes nothing.
//
// Unit ids are taken from the event as they are: accountability resolved them against the
// directory when the roadmap was drawn up, and a consumer has no caller whose rights a
// directory call could carry. A roadmap that cannot make a valid document is a
// tracking.ValidationErrors, which no retry fixes.
func (s *Service) CommitRoadmap(ctx context.Context, w RemediationWriter, eventID string, r tracking.Roadmap) (documentID string, created bool, err error) {
	existing, err := w.RemediationDocument(ctx, r.ExplanationID)
	if err != nil {
		return "", false, fmt.Errorf("commit roadmap of explanation %s: %w", r.ExplanationID, err)
	}
	if existing != "" {
		s.log.InfoContext(ctx, "roadmap already committed",
			slog.String("explanation_id", r.ExplanationID), slog.String("document_id", existing), slog.String("event_id", eventID))
		return existing, false, nil
	}
	now := s.now().Truncate(time.Microsecond)
	draft, err := tracking.RemediationDraft(r, now)
	if err != nil {
		return "", false, err
	}
	d, err := tracking.NewDocument(draft, RemediationCreator, now, s.newID)
	if err != nil {
		return "", false, err
	}
	err = w.CreateRemediation(ctx, r.ExplanationID, eventID, d, tracking.NewOccurrences(d, now, s.newID), now)
	if errors.Is(err, tracking.ErrRemediationExists) || errors.Is(err, tracking.ErrNumberTaken) {
		// Another replica is committing the same roadmap; once it has, the next attempt finds
		// its document. (A number taken by an unrelated document keeps failing and ends as a
		// dead letter, which is what an operator should look at.)
		return "", false, fmt.Errorf("commit roadmap of explanation %s: %w: %w", r.ExplanationID, ErrRetry, err)
	}
	if err != nil {
		return "", false, fmt.Errorf("commit roadmap of explanation %s: %w", r.ExplanationID, err)
	}
	s.log.InfoContext(ctx, "remediation tasks created",
		slog.String("explanation_id", r.ExplanationID), slog.String("document_id", d.ID),
		slog.String("number", d.Number), slog.Int("tasks", len(d.Tasks)), slog.String("event_id", eventID))
	return d.ID, true, nil
}
