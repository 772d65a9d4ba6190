// Package events consumes the events of other services from JetStream. Handlers run inside
// the transaction kit/consumer opens for each message, so an event's effect and its
// processed-event record commit together.
package events

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	accountabilityv1 "github.com/parindex/platform/proto/gen/go/par/accountability/v1"
	"github.com/parindex/platform/services/kit/consumer"
	"github.com/parindex/platform/services/kit/vntime"
	"github.com/parindex/platform/services/tasktracking/internal/app"
	"github.com/parindex/platform/services/tasktracking/internal/tracking"
)

// Names of the remediation consumer.
const (
	// RemediationDurable is the durable consumer of committed roadmaps.
	RemediationDurable = "tasktracking-remediation"
	// RemediationStream is the producer whose stream it reads.
	RemediationStream = "accountability"
	// SubjectRoadmapCommitted is the subject of accountability's RoadmapCommitted.
	SubjectRoadmapCommitted = "accountability.v1.roadmap.committed"
)

// Remediation turns committed roadmaps into remediation tasks.
type Remediation struct {
	svc *app.Service
	// writer binds the remediation writer to the consumer's transaction.
	writer func(pgx.Tx) app.RemediationWriter
}

// NewRemediation returns a handler creating tasks through svc; writer returns the writer
// working in a given transaction (postgres.NewRemediationWriter in production).
func NewRemediation(svc *app.Service, writer func(pgx.Tx) app.RemediationWriter) *Remediation {
	return &Remediation{svc: svc, writer: writer}
}

// Consumer returns the configuration of the durable consumer, for consumer.Run.
func (h *Remediation) Consumer(pool *pgxpool.Pool, js jetstream.JetStream, log *slog.Logger) consumer.Config {
	return consumer.Config{
		Pool:           pool,
		JS:             js,
		Stream:         RemediationStream,
		Durable:        RemediationDurable,
		FilterSubjects: []string{SubjectRoadmapCommitted},
		Log:            log,
		Handle:         h.Handle,
	}
}

// Handle applies one RoadmapCommitted in tx. A payload that cannot be decoded or cannot make
// a valid document never will: it is given up (dead-lettered). A collision with a concurrent
// consumer is retried soon; anything else with the consumer's backoff.
func (h *Remediation) Handle(ctx context.Context, tx pgx.Tx, m consumer.Message) error {
	if m.Subject != SubjectRoadmapCommitted {
		return consumer.GiveUp(fmt.Errorf("no handler for subject %q", m.Subject))
	}
	var ev accountabilityv1.RoadmapCommitted
	if err := proto.Unmarshal(m.Data, &ev); err != nil {
		return consumer.GiveUp(fmt.Errorf("decode RoadmapCommitted %s: %w", m.ID, err))
	}
	r, err := roadmap(&ev)
	if err != nil {
		return consumer.GiveUp(fmt.Errorf("RoadmapCommitted %s: %w", m.ID, err))
	}
	_, _, err = h.svc.CommitRoadmap(ctx, h.writer(tx), m.ID, r)
	if _, invalid := tracking.AsValidation(err); invalid {
		return consumer.GiveUp(fmt.Errorf("RoadmapCommitted %s: %w", m.ID, err))
	}
	if errors.Is(err, app.ErrRetry) {
		return consumer.Retry(err, 0)
	}
	return err
}

// roadmap reads the domain's roadmap from the event; a due date that is not an ISO day is
// an error.
func roadmap(ev *accountabilityv1.RoadmapCommitted) (tracking.Roadmap, error) {
	x := ev.GetExplanation()
	r := tracking.Roadmap{
		ExplanationID:   x.GetId(),
		Year:            int(x.GetYear()),
		NodeCode:        x.GetNodeCode(),
		Title:           x.GetTitle(),
		UnitID:          x.GetUnitId(),
		AssigningUnitID: ev.GetAssigningUnitId(),
	}
	// The ids key the link rows (uuid columns): one that is not a UUID never stores.
	if _, err := uuid.Parse(r.ExplanationID); err != nil {
		return tracking.Roadmap{}, fmt.Errorf("explanation.id %q: %w", r.ExplanationID, err)
	}
	for i, a := range ev.GetActions() {
		if _, err := uuid.Parse(a.GetId()); err != nil {
			return tracking.Roadmap{}, fmt.Errorf("actions[%d].id %q: %w", i, a.GetId(), err)
		}
		var due vntime.Date
		if s := a.GetDueDate(); s != "" {
			d, err := vntime.ParseISO(s)
			if err != nil {
				return tracking.Roadmap{}, fmt.Errorf("actions[%d].due_date %q: %w", i, s, err)
			}
			due = d
		}
		r.Actions = append(r.Actions, tracking.RoadmapAction{
			ID:                 a.GetId(),
			Content:            a.GetContent(),
			OwnerUnitID:        a.GetOwnerUnitId(),
			CooperatingUnitIDs: a.GetCooperatingUnitIds(),
			Due:                due,
			CriteriaCodes:      a.GetCriteriaCodes(),
			ExpectedProduct:    a.GetExpectedProduct(),
		})
	}
	return r, nil
}
