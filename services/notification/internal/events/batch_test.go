package events_test

import (
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

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
