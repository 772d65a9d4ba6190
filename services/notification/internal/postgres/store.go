// Package postgres is the notification store: inbox items in PostgreSQL.
package postgres

import (
	"context"
	"crypto/sha256"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/parindex/platform/services/kit/page"
	"github.com/parindex/platform/services/kit/pg"
	"github.com/parindex/platform/services/notification/internal/app"
	"github.com/parindex/platform/services/notification/internal/inbox"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations returns the service's tern migrations, for pg.Migrate and pgtest.
func Migrations() fs.FS {
	return pg.Sub(migrations, "migrations")
}

// DB is what the store runs queries on: a *pgxpool.Pool, or the pgx.Tx a consumer hands
// its handler, so items are written in the transaction that records the event.
type DB interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	CopyFrom(ctx context.Context, table pgx.Identifier, columns []string, src pgx.CopyFromSource) (int64, error)
}

// Store implements app.Store and app.ItemWriter.
type Store struct {
	db DB
}

var (
	_ app.Store      = (*Store)(nil)
	_ app.ItemWriter = (*Store)(nil)
)

// New returns a Store on db.
func New(db DB) *Store {
	return &Store{db: db}
}

// AddItems inserts items in one statement, giving those without an id their itemID; an
// item whose (event, unit, user) already exists is skipped, so a replayed event adds nothing. The
// recipients of the items inserted are announced on InboxChannel at commit.
func (s *Store) AddItems(ctx context.Context, items []inbox.Item) (int, error) {
	if len(items) == 0 {
		return 0, nil
	}
	setItemIDs(items)
	var (
		ids, events, types, titles, bodies, links []string
		units, users                              []*string
		urgent                                    []bool
		created                                   []time.Time
	)
	for _, it := range items {
		ids = append(ids, it.ID)
		units = append(units, nullable(it.UnitID))
		users = append(users, nullable(it.UserID))
		events = append(events, it.EventID)
		types = append(types, it.EventType)
		titles = append(titles, it.Title)
		bodies = append(bodies, it.Body)
		links = append(links, it.Link)
		urgent = append(urgent, it.Urgent)
		created = append(created, it.CreateTime)
	}
	tag, err := s.db.Exec(ctx, `
		INSERT INTO inbox_items (id, unit_id, user_id, event_id, event_type, title, body, link, urgent, create_time)
		SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[],
			$8::text[], $9::boolean[], $10::timestamptz[])
		ON CONFLICT (id) DO NOTHING`,
		ids, units, users, events, types, titles, bodies, links, urgent, created)
	if err != nil {
		return 0, fmt.Errorf("insert inbox items: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return 0, nil
	}
	// Skipped items may be announced too: a watcher woken for nothing finds nothing new.
	if err := s.announce(ctx, items); err != nil {
		return 0, err
	}
	return int(tag.RowsAffected()), nil
}

// itemID is the id of the inbox item of event for a unit or a user: the same every time the
// event is handled, so the primary key keeps an event from reaching a recipient twice
// (migration 005). It is a version 8 UUID from a SHA-256 of the three, whose first 48 bits
// are the event id's when that is a UUIDv7 (outbox ids are): the items of an event sit
// together and in time order in the index, as the v7 ids they replace did.
func itemID(eventID, unitID, userID string) string {
	h := sha256.Sum256([]byte(eventID + "\x00" + unitID + "\x00" + userID))
	var id uuid.UUID
	copy(id[:], h[:16])
	if ev, err := uuid.Parse(eventID); err == nil && ev.Version() == 7 {
		copy(id[:6], ev[:6])
	}
	id[6] = id[6]&0x0f | 0x80 // version 8
	id[8] = id[8]&0x3f | 0x80 // RFC 9562 variant
	return id.String()
}

// setItemIDs gives every item without an id its itemID. The notification service leaves
// ids to the store; an id given is kept (tests, data moved in), without the guard.
func setItemIDs(items []inbox.Item) {
	for i := range items {
		if items[i].ID == "" {
			items[i].ID = itemID(items[i].EventID, items[i].UnitID, items[i].UserID)
		}
	}
}

// announce tells the listeners of InboxChannel, at commit, which recipients (users for
// their own items, units for units' items) have new items: comma-separated, or empty
// ("anyone") when the list would not fit in a notification (8000 bytes).
func (s *Store) announce(ctx context.Context, items []inbox.Item) error {
	seen := make(map[string]bool, len(items))
	var b strings.Builder
	for _, it := range items {
		r := it.UserID
		if r == "" {
			r = it.UnitID
		}
		if r == "" || seen[r] {
			continue
		}
		seen[r] = true
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(r)
	}
	payload := b.String()
	if len(payload) > 7900 {
		payload = ""
	}
	if _, err := s.db.Exec(ctx, `SELECT pg_notify($1, $2)`, InboxChannel, payload); err != nil {
		return fmt.Errorf("announce inbox items: %w", err)
	}
	return nil
}

// ItemsAfter returns up to limit items of a user's inbox (own and unit's) created after the
// position (createTime, id), oldest first: what a watcher has not seen yet.
func (s *Store) ItemsAfter(ctx context.Context, userID, unitID string, createTime time.Time, id string, limit int) ([]inbox.Item, error) {
	if id == "" {
		id = "00000000-0000-0000-0000-000000000000"
	}
	rows, err := s.db.Query(ctx, `SELECT `+itemColumns+` FROM inbox_items
		WHERE (user_id = $1 OR (user_id IS NULL AND unit_id = $2)) AND (create_time, id) > ($3, $4::uuid)
		ORDER BY create_time, id LIMIT $5`, userID, nullable(unitID), createTime, id, limit)
	if err != nil {
		return nil, fmt.Errorf("select new inbox items: %w", err)
	}
	items, err := pgx.CollectRows(rows, scanItem)
	if err != nil {
		return nil, fmt.Errorf("select new inbox items: %w", err)
	}
	return items, nil
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// itemCursor is the position after the last item of a page.
type itemCursor struct {
	CreateTime int64  `json:"t"` // Unix microseconds, the precision Postgres keeps
	ID         string `json:"i"`
}

// UnitItems returns one page of a unit's inbox, newest first (ties by id), by keyset, and the
// unread count of the whole inbox.
func (s *Store) UnitItems(ctx context.Context, f app.ItemFilter) (app.ItemPage, error) {
	var cur itemCursor
	if err := page.Decode(f.PageToken, &cur); err != nil {
		return app.ItemPage{}, err
	}
	size := page.Size(f.PageSize)
	var conds []string
	var args []any
	if f.UserID != "" {
		args = append(args, f.UserID, nullable(f.UnitID))
		conds = append(conds, "(user_id = $1 OR (user_id IS NULL AND unit_id = $2))")
	} else {
		args = append(args, f.UnitID)
		conds = append(conds, "(unit_id = $1 AND user_id IS NULL)")
	}
	countConds := slices.Clone(conds)
	if f.UrgentOnly {
		conds = append(conds, "urgent")
	}
	if f.EventType != "" {
		args = append(args, f.EventType)
		conds = append(conds, fmt.Sprintf("event_type = $%d", len(args)))
	}
	if f.UnreadOnly {
		conds = append(conds, "read_time IS NULL")
	}
	if f.PageToken != "" {
		args = append(args, time.UnixMicro(cur.CreateTime), cur.ID)
		conds = append(conds, fmt.Sprintf("(create_time, id) < ($%d, $%d::uuid)", len(args)-1, len(args)))
	}
	rows, err := s.db.Query(ctx, `SELECT `+itemColumns+` FROM inbox_items WHERE `+strings.Join(conds, " AND ")+
		` ORDER BY create_time DESC, id DESC LIMIT `+fmt.Sprint(size+1), args...)
	if err != nil {
		return app.ItemPage{}, fmt.Errorf("select inbox items: %w", err)
	}
	items, err := pgx.CollectRows(rows, scanItem)
	if err != nil {
		return app.ItemPage{}, fmt.Errorf("select inbox items: %w", err)
	}
	var p app.ItemPage
	if len(items) > size {
		items = items[:size]
		last := items[size-1]
		p.NextPageToken = page.Encode(itemCursor{CreateTime: last.CreateTime.UnixMicro(), ID: last.ID})
	}
	p.Items = items
	countArgs := args[:1]
	if f.UserID != "" {
		countArgs = args[:2]
	}
	if err := s.db.QueryRow(ctx, `SELECT count(*) FROM inbox_items WHERE `+strings.Join(countConds, " AND ")+
		` AND read_time IS NULL`, countArgs...).Scan(&p.UnreadCount); err != nil {
		return app.ItemPage{}, fmt.Errorf("count unread inbox items: %w", err)
	}
	return p, nil
}

// Item returns one item.
func (s *Store) Item(ctx context.Context, id string) (inbox.Item, error) {
	rows, err := s.db.Query(ctx, `SELECT `+itemColumns+` FROM inbox_items WHERE id = $1`, id)
	if err != nil {
		return inbox.Item{}, fmt.Errorf("select inbox item: %w", err)
	}
	return collectOne(rows)
}

// MarkRead sets read_time once: a second call keeps the first time, so the call is
// idempotent and a retried request changes nothing.
func (s *Store) MarkRead(ctx context.Context, id string, at time.Time) (inbox.Item, error) {
	rows, err := s.db.Query(ctx, `
		UPDATE inbox_items SET read_time = coalesce(read_time, $2)
		WHERE id = $1
		RETURNING `+itemColumns, id, at)
	if err != nil {
		return inbox.Item{}, fmt.Errorf("mark inbox item read: %w", err)
	}
	return collectOne(rows)
}

func collectOne(rows pgx.Rows) (inbox.Item, error) {
	it, err := pgx.CollectExactlyOneRow(rows, scanItem)
	if errors.Is(err, pgx.ErrNoRows) {
		return inbox.Item{}, inbox.ErrItemNotFound
	}
	if err != nil {
		return inbox.Item{}, fmt.Errorf("read inbox item: %w", err)
	}
	return it, nil
}

const itemColumns = `id, coalesce(unit_id::text, ''), coalesce(user_id::text, ''), event_id, event_type, title, body, link, urgent, read_time, create_time`

func scanItem(row pgx.CollectableRow) (inbox.Item, error) {
	var (
		it   inbox.Item
		read *time.Time
	)
	err := row.Scan(&it.ID, &it.UnitID, &it.UserID, &it.EventID, &it.EventType, &it.Title, &it.Body, &it.Link,
		&it.Urgent, &read, &it.CreateTime)
	if read != nil {
		it.ReadTime = *read
	}
	return it, err
}
