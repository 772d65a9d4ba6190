package app_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/parindex/platform/services/kit/pg/pgtest"
	"github.com/parindex/platform/services/notification/internal/app"
	"github.com/parindex/platform/services/notification/internal/inbox"
	"github.com/parindex/platform/services/notification/internal/notice"
	"github.com/parindex/platform/services/notification/internal/postgres"
)

// watch runs WatchInbox for a user of unit until the test ends and returns what it sends.
func watch(t *testing.T, svc *app.Service, user, unit string, signals app.InboxSignals, poll time.Duration) <-chan inbox.Item {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	got := make(chan inbox.Item, 16)
	done := make(chan error, 1)
	go func() {
		done <- svc.WatchInbox(ctx, user, unit, signals, poll, func(it inbox.Item) error { got <- it; return nil })
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	return got
}

func item(unit, user, title string) inbox.Item {
	return inbox.Item{ID: uuid.Must(uuid.NewV7()).String(), UnitID: unit, UserID: user, EventID: uuid.NewString(),
		EventType: "tasktracking.v1.task.assigned", Title: title, Body: "Nội dung", CreateTime: time.Now()}
}

func receive(t *testing.T, got <-chan inbox.Item, what string) inbox.Item {
	t.Helper()
	select {
	case it := <-got:
		return it
	case <-time.After(15 * time.Second):
		t.Fatalf("after 15 s: %s not received", what)
		return inbox.Item{}
	}
}

// TestWatchInboxIsPushedAtCommit: with the fallback poll an hour away, items reach the
// watcher only because the commit announced them (LISTEN/NOTIFY), through both ways items
// are written (the one-by-one INSERT and the batch COPY), and not before the commit.
func TestWatchInboxIsPushedAtCommit(t *testing.T) {
	pool := pgtest.NewPool(t, postgres.Migrations())
	store := postgres.New(pool)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	signals := postgres.NewInboxSignals(pool, log)
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- signals.Run(ctx, 100*time.Millisecond) }()
	t.Cleanup(func() { cancel(); <-ran })
	svc := app.New(store, nil, notice.DefaultRules(), app.Options{}, log, time.Now, uuid.NewString)

	unit, user := uuid.NewString(), uuid.NewString()
	got := watch(t, svc, user, unit, signals, time.Hour)
	// The watch's first read and the listener are under way; an item committed from now on
	// is announced. Wait until the listener listens: a first item may be found by the first
	// read instead, so loop until one arrives.
	time.Sleep(200 * time.Millisecond)

	tx, err := pool.Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := postgres.New(tx).AddItems(t.Context(), []inbox.Item{item(unit, "", "Cho đơn vị")}); err != nil {
		t.Fatal(err)
	}
	select {
	case it := <-got:
		t.Fatalf("item %q received before its commit", it.Title)
	case <-time.After(300 * time.Millisecond):
	}
	if err := tx.Commit(t.Context()); err != nil {
		t.Fatal(err)
	}
	if it := receive(t, got, "the unit's item after commit"); it.Title != "Cho đơn vị" {
		t.Errorf("got %q", it.Title)
	}
	err = pgx.BeginFunc(t.Context(), pool, func(tx pgx.Tx) error {
		return postgres.New(tx).CopyNew(t.Context(), []inbox.Item{item("", user, "Cho cá nhân"), item(uuid.NewString(), "", "Đơn vị khác")}, nil)
	})
	if err != nil {
		t.Fatal(err)
	}
	if it := receive(t, got, "the user's own item written by COPY"); it.Title != "Cho cá nhân" {
		t.Errorf("got %q", it.Title)
	}
}

// TestWatchInboxFallsBackToPolling: with no announcements (the listener down), the poll
// still brings new items.
func TestWatchInboxFallsBackToPolling(t *testing.T) {
	pool := pgtest.NewPool(t, postgres.Migrations())
	store := postgres.New(pool)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	signals := postgres.NewInboxSignals(pool, log) // never Run: nothing is announced
	svc := app.New(store, nil, notice.DefaultRules(), app.Options{}, log, time.Now, uuid.NewString)
	unit := uuid.NewString()
	got := watch(t, svc, uuid.NewString(), unit, signals, 50*time.Millisecond)
	time.Sleep(100 * time.Millisecond)
	if _, err := store.AddItems(t.Context(), []inbox.Item{item(unit, "", "Qua thăm dò định kỳ")}); err != nil {
		t.Fatal(err)
	}
	if it := receive(t, got, "the item by polling"); it.Title != "Qua thăm dò định kỳ" {
		t.Errorf("got %q", it.Title)
	}
}
