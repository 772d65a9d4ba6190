package postgres_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/google/uuid"

	"github.com/parindex/platform/services/kit/page"
	"github.com/parindex/platform/services/kit/pg/pgtest"
	"github.com/parindex/platform/services/notification/internal/app"
	"github.com/parindex/platform/services/notification/internal/inbox"
	"github.com/parindex/platform/services/notification/internal/postgres"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func newStore(t *testing.T) *postgres.Store {
	t.Helper()
	return postgres.New(pgtest.NewPool(t, postgres.Migrations()))
}

// item returns an unread item of unit for event, created at base plus minutes.
func item(unit, event string, base time.Time, minutes int) inbox.Item {
	return inbox.Item{
		ID: uuid.NewString(), UnitID: unit, EventID: event, EventType: "tasktracking.v1.task.assigned",
		Title: "Nhiệm vụ mới: " + event, Body: "Nội dung", Link: "/nhiem-vu/" + event,
		CreateTime: base.Add(time.Duration(minutes) * time.Minute),
	}
}

func noIDs(items ...inbox.Item) []inbox.Item {
	for i := range items {
		items[i].ID = ""
	}
	return items
}

var cmpItems = cmp.Options{cmpopts.EquateApproxTime(0), cmpopts.EquateEmpty()}

func TestAddItemsSkipsRepeats(t *testing.T) {
	store := newStore(t)
	ctx := t.Context()
	unitA, unitB := uuid.NewString(), uuid.NewString()
	base := time.Now().Truncate(time.Microsecond)
	// Without ids, as the service writes them: the store derives them.
	first := noIDs(item(unitA, "e1", base, 0), item(unitB, "e1", base, 0))
	n, err := store.AddItems(ctx, first)
	if err != nil || n != 2 {
		t.Fatalf("AddItems = %d, %v; want 2", n, err)
	}
	// The same event again (its items get the same ids), plus one new unit.
	unitC := uuid.NewString()
	again := noIDs(item(unitA, "e1", base, 1), item(unitC, "e1", base, 1))
	n, err = store.AddItems(ctx, again)
	if err != nil || n != 1 {
		t.Fatalf("AddItems again = %d, %v; want 1 (only unit C)", n, err)
	}
	got, err := store.Item(ctx, first[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(first[0], got, cmpItems); diff != "" {
		t.Errorf("Item (-want +got):\n%s", diff)
	}
	if again[0].ID != first[0].ID || again[1].ID == first[1].ID {
		t.Errorf("ids of the repeat %s, %s; want the first's for unit A (%s), another for unit C", again[0].ID, again[1].ID, first[0].ID)
	}
	if got, err := store.Item(ctx, first[0].ID); err != nil || !got.CreateTime.Equal(first[0].CreateTime) {
		t.Errorf("unit A's item after the repeat: %v, %v; want the first one kept", got, err)
	}
}

func TestUnitItemsPagesAndCounts(t *testing.T) {
	store := newStore(t)
	ctx := t.Context()
	unit, other := uuid.NewString(), uuid.NewString()
	base := time.Now().Truncate(time.Microsecond)
	var items []inbox.Item
	for i := range 5 {
		items = append(items, item(unit, fmt.Sprint("e", i), base, i))
	}
	// Two items created at the same instant: the id breaks the tie, and paging must neither
	// skip nor repeat one of them.
	items = append(items, item(unit, "e-tie", base, 4))
	items = append(items, item(other, "e0", base, 0))
	if _, err := store.AddItems(ctx, items); err != nil {
		t.Fatal(err)
	}
	if _, err := store.MarkRead(ctx, items[1].ID, base.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}

	collect := func(t *testing.T, f app.ItemFilter) (ids []string, unread int) {
		t.Helper()
		for pages := 0; ; pages++ {
			if pages > 10 {
				t.Fatal("paging does not end")
			}
			p, err := store.UnitItems(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			for _, it := range p.Items {
				ids = append(ids, it.ID)
			}
			unread = p.UnreadCount
			if p.NextPageToken == "" {
				return ids, unread
			}
			f.PageToken = p.NextPageToken
		}
	}
	tieFirst := []string{items[5].ID, items[4].ID}
	if items[4].ID > items[5].ID {
		tieFirst = []string{items[4].ID, items[5].ID}
	}
	all := append(append([]string{}, tieFirst...), items[3].ID, items[2].ID, items[1].ID, items[0].ID)

	ids, unread := collect(t, app.ItemFilter{UnitID: unit, PageSize: 2})
	if diff := cmp.Diff(all, ids); diff != "" {
		t.Errorf("all items, newest first (-want +got):\n%s", diff)
	}
	if unread != 5 {
		t.Errorf("UnreadCount = %d, want 5", unread)
	}
	ids, _ = collect(t, app.ItemFilter{UnitID: unit, UnreadOnly: true, PageSize: 4})
	wantUnread := append(append([]string{}, tieFirst...), items[3].ID, items[2].ID, items[0].ID)
	if diff := cmp.Diff(wantUnread, ids); diff != "" {
		t.Errorf("unread items (-want +got):\n%s", diff)
	}

	var invalid *page.InvalidTokenError
	if _, err := store.UnitItems(ctx, app.ItemFilter{UnitID: unit, PageToken: "%%%"}); !errors.As(err, &invalid) {
		t.Errorf("bad token: %v, want *page.InvalidTokenError", err)
	}
}

func TestMarkReadIsIdempotent(t *testing.T) {
	store := newStore(t)
	ctx := t.Context()
	base := time.Now().Truncate(time.Microsecond)
	it := item(uuid.NewString(), "e1", base, 0)
	if _, err := store.AddItems(ctx, []inbox.Item{it}); err != nil {
		t.Fatal(err)
	}
	first, err := store.MarkRead(ctx, it.ID, base.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	second, err := store.MarkRead(ctx, it.ID, base.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if !first.ReadTime.Equal(base.Add(time.Minute)) || !second.ReadTime.Equal(first.ReadTime) {
		t.Errorf("read times %v then %v, want the first kept", first.ReadTime, second.ReadTime)
	}
	if _, err := store.MarkRead(ctx, uuid.NewString(), base); !errors.Is(err, inbox.ErrNotFound) {
		t.Errorf("MarkRead of a missing item = %v, want ErrNotFound", err)
	}
}
