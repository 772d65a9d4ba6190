// Package events consumes the events of other services from JetStream and turns them into
// inbox items. Handlers run inside the transaction kit/consumer opens for each message, so an
// event's items and its processed-event record commit together.
package events

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	tasktrackingv1 "github.com/parindex/platform/proto/gen/go/par/tasktracking/v1"
	"github.com/parindex/platform/services/kit/consumer"
	"github.com/parindex/platform/services/notification/internal/app"
	"github.com/parindex/platform/services/notification/internal/inbox"
)

// Names of the task-tracking consumer.
const (
	// TasksDurable is the durable consumer of task-tracking events.
	TasksDurable = "notification-tasks"
	// TasksStream is the producer whose stream it reads.
	TasksStream = "tasktracking"
)

// Handler turns events into inbox items.
type Handler struct {
	svc *app.Service
	// writer binds the item writer to the consumer's transaction.
	writer func(pgx.Tx) app.ItemWriter
}

// NewHandler returns a Handler delivering through svc; writer returns the item writer
// working in a given transaction (postgres.New in production).
func NewHandler(svc *app.Service, writer func(pgx.Tx) app.ItemWriter) *Handler {
	return &Handler{svc: svc, writer: writer}
}

// TasksConsumer returns the configuration of the durable consumer of TaskAssigned events,
// for consumer.Run.
func (h *Handler) TasksConsumer(pool *pgxpool.Pool, js jetstream.JetStream, log *slog.Logger) consumer.Config {
	return consumer.Config{
		Pool:           pool,
		JS:             js,
		Stream:         TasksStream,
		Durable:        TasksDurable,
		FilterSubjects: []string{inbox.EventTaskAssigned},
		Log:            log,
		Handle:         h.Handle,
	}
}

// Handle applies one event in tx. A payload that cannot be decoded, or an event this
// service does not know, can never succeed: it is given up (dead-lettered), not retried.
func (h *Handler) Handle(ctx context.Context, tx pgx.Tx, m consumer.Message) error {
	switch m.Subject {
	case inbox.EventTaskAssigned:
		var ev tasktrackingv1.TaskAssigned
		if err := proto.Unmarshal(m.Data, &ev); err != nil {
			return consumer.GiveUp(fmt.Errorf("decode TaskAssigned %s: %w", m.ID, err))
		}
		a, err := assignment(&ev)
		if err != nil {
			return consumer.GiveUp(fmt.Errorf("TaskAssigned %s: %w", m.ID, err))
		}
		return h.svc.DeliverTaskAssigned(ctx, h.writer(tx), m.ID, a)
	default:
		return consumer.GiveUp(fmt.Errorf("no handler for subject %q", m.Subject))
	}
}

// assignment reads what the inbox needs from a TaskAssigned event.
func assignment(ev *tasktrackingv1.TaskAssigned) (inbox.Assignment, error) {
	t := ev.GetTask()
	if t.GetId() == "" {
		return inbox.Assignment{}, errors.New("event carries no task id")
	}
	if len(t.GetLeadUnitIds())+len(t.GetCooperatingUnitIds()) == 0 {
		return inbox.Assignment{}, errors.New("event assigns the task to no unit")
	}
	var due time.Time
	if ts := t.GetDeadline().GetDueTime(); ts != nil {
		if err := ts.CheckValid(); err != nil {
			return inbox.Assignment{}, fmt.Errorf("deadline due time: %w", err)
		}
		due = ts.AsTime()
	}
	return inbox.Assignment{
		TaskID:             t.GetId(),
		TaskCode:           t.GetCode(),
		Content:            t.GetContent(),
		DocumentNumber:     ev.GetDocumentNumber(),
		DocumentTitle:      ev.GetDocumentTitle(),
		LeadUnitIDs:        t.GetLeadUnitIds(),
		CooperatingUnitIDs: t.GetCooperatingUnitIds(),
		Due:                due,
		DeadlineText:       t.GetDeadline().GetText(),
	}, nil
}
