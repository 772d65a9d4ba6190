package outbox_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"go.opentelemetry.io/otel"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/parindex/platform/services/kit/outbox"
	"github.com/parindex/platform/services/kit/pg"
)

func TestAddBatchPublishesInOrderOnlyOnCommit(t *testing.T) {
	e := newEnv(t)
	batch := func(commit bool, bodies ...string) []string {
		ctx, span := otel.Tracer("test").Start(t.Context(), "batch use case")
		defer span.End()
		events := make([]outbox.Event, len(bodies))
		for i, b := range bodies {
			events[i] = outbox.Event{Subject: subject, Msg: wrapperspb.String(b)}
		}
		var ids []string
		errRollback := errors.New("roll back")
		err := pg.InTx(ctx, e.pool, func(tx pgx.Tx) error {
			var err error
			if ids, err = outbox.AddBatch(ctx, tx, events); err != nil {
				return err
			}
			if !commit {
				return errRollback
			}
			return nil
		})
		if err != nil && !errors.Is(err, errRollback) {
			t.Fatal(err)
		}
		if len(ids) != len(bodies) {
			t.Fatalf("got %d ids for %d events", len(ids), len(bodies))
		}
		return ids
	}
	ids := batch(true, "a", "b", "c")
	batch(false, "rolled back")
	ids = append(ids, batch(true, "d")...)

	e.runRelay(t, 20*time.Millisecond)
	e.waitPublished(t)
	var gotBodies, gotIDs []string
	for _, m := range e.streamMessages(t) {
		gotBodies, gotIDs = append(gotBodies, m.Body), append(gotIDs, m.ID)
		if m.EventType != "google.protobuf.StringValue" || m.TraceID == "" {
			t.Errorf("message %+v: want the event type and a trace id", m)
		}
	}
	if diff := cmp.Diff([]string{"a", "b", "c", "d"}, gotBodies); diff != "" {
		t.Errorf("bodies (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(ids, gotIDs); diff != "" {
		t.Errorf("ids (-want +got):\n%s", diff)
	}
}
