// Package auditlog keeps the platform's audit log in the directory: durable consumers copy
// the `<service>.v1.audit.recorded` events of every service into audit_record (migration
// 002), and the store answers the secretariat's lists and exports.
package auditlog

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	auditv1 "github.com/parindex/platform/proto/gen/go/par/audit/v1"
	"github.com/parindex/platform/services/kit/audit"
	"github.com/parindex/platform/services/kit/consumer"
	"github.com/parindex/platform/services/kit/page"
)

// Producers are the services whose audit events the directory collects.
var Producers = []string{"directory", "tasktracking", "parscoring", "accountability", "notification"}

// Consumers returns one durable consumer per producer ("directory-audit-<producer>"), each
// reading only that producer's audit subject.
func Consumers(pool *pgxpool.Pool, js jetstream.JetStream, log *slog.Logger) []consumer.Config {
	out := make([]consumer.Config, 0, len(Producers))
	for _, p := range Producers {
		out = append(out, consumer.Config{
			Pool: pool, JS: js, Stream: p, Durable: "directory-audit-" + p,
			FilterSubjects: []string{audit.Subject(p)},
			Log:            log,
			Handle:         handle,
		})
	}
	return out
}

// handle stores one audit event. The record id is the key, so a record replayed by a
// relay (a new event id for the same record) is stored once too.
func handle(ctx context.Context, tx pgx.Tx, m consumer.Message) error {
	var ev auditv1.AuditRecorded
	if err := proto.Unmarshal(m.Data, &ev); err != nil {
		return consumer.GiveUp(fmt.Errorf("audit event %s: %w", m.ID, err))
	}
	r := ev.GetRecord()
	if r.GetId() == "" || r.GetOccurredAt() == nil {
		return consumer.GiveUp(fmt.Errorf("audit event %s: record without id or time", m.ID))
	}
	roles := r.GetActorRoles()
	if roles == nil {
		roles = []string{}
	}
	_, err := tx.Exec(ctx, `
		INSERT INTO audit_record (id, service, method, action, actor_subject, actor_user_id,
			actor_name, actor_roles, unit_id, resource, outcome, occurred_at, trace_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
		ON CONFLICT (id) DO NOTHING`,
		r.GetId(), r.GetService(), r.GetMethod(), r.GetAction(), r.GetActorSubject(), r.GetActorUserId(),
		r.GetActorName(), roles, r.GetUnitId(), r.GetResource(), r.GetOutcome(), r.GetOccurredAt().AsTime(), r.GetTraceId())
	if err != nil {
		return fmt.Errorf("store audit record %s: %w", r.GetId(), err)
	}
	return nil
}

// Filter selects records; zero fields select everything.
type Filter struct {
	Service, ActorSubject, UnitID, Action, Outcome, Resource string
	// Start (inclusive) and End (exclusive) bound occurred_at when set.
	Start, End time.Time
}

// ErrBadPageToken is returned for a page token this store did not issue.
var ErrBadPageToken = errors.New("auditlog: bad page token")

// cursor is the position after the last record of a page.
type cursor struct {
	At time.Time `json:"t"`
	ID string    `json:"i"`
}

// Store reads the audit log.
type Store struct{ db *pgxpool.Pool }

// NewStore returns a Store on pool (migrated with the directory's migrations).
func NewStore(pool *pgxpool.Pool) *Store { return &Store{db: pool} }

// List returns up to size records matching f, newest first, after the position of token,
// and the token of the next page ("" on the last).
func (s *Store) List(ctx context.Context, f Filter, size int, token string) ([]*auditv1.AuditRecord, string, error) {
	var after *cursor
	if token != "" {
		var c cursor
		if err := page.Decode(token, &c); err != nil {
			return nil, "", fmt.Errorf("%w: %w", ErrBadPageToken, err)
		}
		after = &c
	}
	recs, err := s.query(ctx, f, after, size+1)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(recs) > size {
		recs = recs[:size]
		last := recs[size-1]
		next = page.Encode(cursor{At: last.GetOccurredAt().AsTime(), ID: last.GetId()})
	}
	return recs, next, nil
}

// Export returns up to limit records matching f, newest first.
func (s *Store) Export(ctx context.Context, f Filter, limit int) ([]*auditv1.AuditRecord, error) {
	return s.query(ctx, f, nil, limit)
}

func (s *Store) query(ctx context.Context, f Filter, after *cursor, limit int) ([]*auditv1.AuditRecord, error) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	for _, eq := range []struct {
		col, v string
	}{{"service", f.Service}, {"actor_subject", f.ActorSubject}, {"unit_id", f.UnitID}, {"action", f.Action}, {"outcome", f.Outcome}, {"resource", f.Resource}} {
		if eq.v != "" {
			add(eq.col+" = $%d", eq.v)
		}
	}
	if !f.Start.IsZero() {
		add("occurred_at >= $%d", f.Start)
	}
	if !f.End.IsZero() {
		add("occurred_at < $%d", f.End)
	}
	if after != nil {
		args = append(args, after.At, after.ID)
		where = append(where, fmt.Sprintf("(occurred_at, id) < ($%d, $%d::uuid)", len(args)-1, len(args)))
	}
	q := `SELECT id, service, method, action, actor_subject, actor_user_id, actor_name, actor_roles,
		unit_id, resource, outcome, occurred_at, trace_id FROM audit_record`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	args = append(args, limit)
	q += fmt.Sprintf(" ORDER BY occurred_at DESC, id DESC LIMIT $%d", len(args))
	rows, err := s.db.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list audit records: %w", err)
	}
	defer rows.Close()
	var out []*auditv1.AuditRecord
	for rows.Next() {
		r := &auditv1.AuditRecord{}
		var at time.Time
		if err := rows.Scan(&r.Id, &r.Service, &r.Method, &r.Action, &r.ActorSubject, &r.ActorUserId, &r.ActorName,
			&r.ActorRoles, &r.UnitId, &r.Resource, &r.Outcome, &at, &r.TraceId); err != nil {
			return nil, fmt.Errorf("scan audit record: %w", err)
		}
		r.OccurredAt = timestamppb.New(at)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list audit records: %w", err)
	}
	return out, nil
}
