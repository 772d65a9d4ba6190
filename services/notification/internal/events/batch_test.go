package events_test

import (
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"google.golang.org/protobuf/proto"

	tasktrackingv1 "github.com/parindex/platform/proto/gen/go/par/tasktracking/v1"

	"github.com/parindex/platform/services/kit/consumer"
	"github.com/parindex/platform/services/kit/pg"
	"github.com/parindex/platform/services/notification/internal/events"
)

// TestBatchCopiesEventsWithSharedMailbox hands the batch handler two task events whose units
// have two users sharing one mailbox (a unit's address) and a user who turned e-mails of
// task assignments off: the batch commits in one go (no key met twice inside it), with one
// e-mail per address and event, and the preferences of every user read for the batch.
func TestBatchCopiesEventsWithSharedMailbox(t *testing.T) {
	h, pool, dir := newHandlerDir(t)
	lead, coop := uuid.NewString(), uuid.NewString()
	dir.AddUser(uuid.NewString(), lead, "vanthu@noivu.gov.vn", "Văn thư Sở Nội vụ")
	dir.AddUser(uuid.NewString(), lead, "VanThu@noivu.gov.vn", "Chuyên viên Sở Nội vụ")
	quiet := uuid.NewString()
	dir.AddUser(quiet, coop, "ketoan@tuphap.gov.vn", "Kế toán Sở Tư pháp")
	if _, err := pool.Exec(t.Context(), `INSERT INTO preferences (user_id, event_type, channel, mode)
		VALUES ($1, $2, 'email', 'off')`, quiet, events.EventTaskAssigned); err != nil {
		t.Fatal(err)
	}
	ms := []consumer.Message{
		message(t, uuid.NewString(), taskAssigned(lead, coop)),
		message(t, uuid.NewString(), taskAssigned(lead, coop)),
	}
	err := pg.InTx(t.Context(), pool, func(tx pgx.Tx) error { return h.HandleBatch(t.Context(), tx, ms) })
	if err != nil {
		t.Fatalf("HandleBatch: %v", err)
	}
	for _, m := range ms {
		if got := len(inboxUnits(t, pool, m.ID)); got != 2 {
			t.Errorf("event %s: %d unit items, want 2", m.ID, got)
		}
		if n := count(t, pool, `SELECT count(*) FROM deliveries WHERE event_id = $1 AND recipient = 'vanthu@noivu.gov.vn'`, m.ID); n != 1 {
			t.Errorf("event %s: %d e-mails to the shared mailbox, want 1", m.ID, n)
		}
		if n := count(t, pool, `SELECT count(*) FROM deliveries WHERE event_id = $1 AND recipient = 'ketoan@tuphap.gov.vn'`, m.ID); n != 0 {
			t.Errorf("event %s: %d e-mails to a user who turned them off", m.ID, n)
		}
	}
}

// TestBatchMeetingAnExistingItemFailsWholeThenOneByOneAddsNothingTwice: the batch path
// copies rows in without skipping; an item already there (an event handled before without
// its processed record) must fail the batch rather than duplicate or lose anything, and the
// one-by-one path kit/consumer then takes completes the inbox with one item per unit.
func TestBatchMeetingAnExistingItemFailsWholeThenOneByOneAddsNothingTwice(t *testing.T) {
	h, pool := newHandler(t)
	lead, coop := uuid.NewString(), uuid.NewString()
	seen := message(t, uuid.NewString(), taskAssigned(lead, coop))
	fresh := message(t, uuid.NewString(), taskAssigned(lead))
	if err := pg.InTx(t.Context(), pool, func(tx pgx.Tx) error { return h.Handle(t.Context(), tx, seen) }); err != nil {
		t.Fatal(err)
	}
	batch := []consumer.Message{fresh, seen}
	if err := pg.InTx(t.Context(), pool, func(tx pgx.Tx) error { return h.HandleBatch(t.Context(), tx, batch) }); err == nil {
		t.Fatal("HandleBatch over an event already in the inbox succeeded; want the batch refused")
	}
	if n := count(t, pool, `SELECT count(*) FROM inbox_items WHERE event_id = $1`, fresh.ID); n != 0 {
		t.Fatalf("the refused batch left %d items", n)
	}
	for _, m := range batch {
		if err := pg.InTx(t.Context(), pool, func(tx pgx.Tx) error { return h.Handle(t.Context(), tx, m) }); err != nil {
			t.Fatalf("Handle %s: %v", m.ID, err)
		}
	}
	if got := len(inboxUnits(t, pool, seen.ID)); got != 2 {
		t.Errorf("seen event: %d items, want 2", got)
	}
	if got := len(inboxUnits(t, pool, fresh.ID)); got != 1 {
		t.Errorf("fresh event: %d items, want 1", got)
	}
}

// TestBatchWatchesKeepEventOrder hands the batch handler overdue notices (which start an
// escalation watch) and reactions (status changes, which end one) in several orders: the
// batch writes them in two statements, yet the outcome is that of one event after another.
func TestBatchWatchesKeepEventOrder(t *testing.T) {
	h, pool, _ := newHandlerDir(t)
	unit := uuid.NewString()
	occ := func() *tasktrackingv1.Occurrence {
		return &tasktrackingv1.Occurrence{Id: uuid.NewString(), TaskId: uuid.NewString(), TaskCode: "III.3", LeadUnitIds: []string{unit}}
	}
	overdue := func(o *tasktrackingv1.Occurrence) consumer.Message {
		return messageOn(t, "tasktracking.v1.occurrence.overdue", &tasktrackingv1.OccurrenceOverdue{Occurrence: o, TaskContent: "Rà soát thủ tục"})
	}
	changed := func(o *tasktrackingv1.Occurrence) consumer.Message {
		return messageOn(t, "tasktracking.v1.occurrence.status_changed", &tasktrackingv1.OccurrenceStatusChanged{Occurrence: o})
	}
	batch := func(ms ...consumer.Message) {
		t.Helper()
		if err := pg.InTx(t.Context(), pool, func(tx pgx.Tx) error { return h.HandleBatch(t.Context(), tx, ms) }); err != nil {
			t.Fatalf("HandleBatch: %v", err)
		}
	}
	reactedInBatch, reactedFirst, waitingBefore, twice := occ(), occ(), occ(), occ()
	batch(overdue(waitingBefore))
	batch(
		overdue(reactedInBatch), changed(reactedInBatch), // started, then ended
		changed(reactedFirst), overdue(reactedFirst), // a reaction before the watch ends nothing
		overdue(waitingBefore), changed(waitingBefore), // no second watch; the first one ends
		overdue(twice), changed(twice), overdue(twice), // the second notice does not restart it
	)
	want := map[string]string{reactedInBatch.Id: "reacted", reactedFirst.Id: "waiting", waitingBefore.Id: "reacted", twice.Id: "reacted"}
	for id, state := range want {
		if n := count(t, pool, `SELECT count(*) FROM escalations WHERE key = $1 AND state = $2`, "occurrence:"+id, state); n != 1 {
			t.Errorf("occurrence %s: watch not %s", id, state)
		}
	}
}

// messageOn is a first delivery of ev on subject, with a new event id.
func messageOn(t *testing.T, subject string, ev proto.Message) consumer.Message {
	t.Helper()
	data, err := proto.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return consumer.Message{ID: uuid.NewString(), Subject: subject, Data: data, Deliveries: 1}
}
