package audit_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	auditv1 "github.com/parindex/platform/proto/gen/go/par/audit/v1"
	directoryv1 "github.com/parindex/platform/proto/gen/go/par/directory/v1"
	"github.com/parindex/platform/services/kit/audit"
	"github.com/parindex/platform/services/kit/auth"
	"github.com/parindex/platform/services/kit/auth/authtest"
	"github.com/parindex/platform/services/kit/grpcserver"
	"github.com/parindex/platform/services/kit/outbox"
	"github.com/parindex/platform/services/kit/pg"
	"github.com/parindex/platform/services/kit/pg/pgtest"
)

const (
	createUnit    = "/par.directory.v1.DirectoryService/CreateUnit"
	unitCreatedOn = "directory.v1.unit.created"
)

// brokenDB refuses every transaction: the audit write after the call fails, as it would
// if the process died right after the call's own commit.
type brokenDB struct{}

func (brokenDB) Begin(context.Context) (pgx.Tx, error) {
	return nil, errors.New("connection lost")
}

// outboxRow is an event read back from outbox_events with the transaction that wrote it.
type outboxRow struct {
	subject string
	xmin    uint32
	record  *auditv1.AuditRecord // audit events only
}

func readOutbox(t *testing.T, pool *pgxpool.Pool) (audits, others []outboxRow) {
	t.Helper()
	rows, err := pool.Query(t.Context(), "SELECT subject, xmin::text::bigint, payload FROM outbox_events ORDER BY seq")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var r outboxRow
		var xmin int64
		var payload []byte
		if err := rows.Scan(&r.subject, &xmin, &payload); err != nil {
			t.Fatal(err)
		}
		r.xmin = uint32(xmin) // #nosec G115 -- a PostgreSQL xid is 32 bits
		if r.subject == audit.Subject("directory") {
			var ev auditv1.AuditRecorded
			if err := proto.Unmarshal(payload, &ev); err != nil {
				t.Fatal(err)
			}
			r.record = ev.GetRecord()
			audits = append(audits, r)
		} else {
			others = append(others, r)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return audits, others
}

// createInTx is a service's CreateUnit: the change (here only its events) in one
// transaction through kit/outbox; fail makes the transaction roll back.
func createInTx(ctx context.Context, pool *pgxpool.Pool, id string, fail error) error {
	return pg.InTx(ctx, pool, func(tx pgx.Tx) error {
		unit := &directoryv1.Unit{Id: id, Name: "Sở Tư pháp"}
		if _, err := outbox.Add(ctx, tx, unitCreatedOn, &directoryv1.UnitCreated{Unit: unit}); err != nil {
			return err
		}
		// A second event of the same transaction does not write the record again.
		if _, err := outbox.AddBatch(ctx, tx, []outbox.Event{{Subject: "directory.v1.unit.updated", Msg: &directoryv1.UnitUpdated{Unit: unit}}}); err != nil {
			return err
		}
		return fail
	})
}

// TestAuditRecordCommitsWithTheChange: the record of a successful mutation is written in
// the transaction of the call's own events, so it survives even when nothing can be
// written after the call (the interceptor's own database is gone here).
func TestAuditRecordCommitsWithTheChange(t *testing.T) {
	pool := pgtest.NewPool(t, nil)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	icpt := audit.UnaryServerInterceptor(brokenDB{}, "directory", log)
	ctx := auth.WithPrincipal(t.Context(), auth.Principal{Subject: "snv.cv01", UnitID: "unit-snv", Roles: []string{auth.RoleSecretariat}})

	_, err := icpt(ctx, &directoryv1.CreateUnitRequest{Unit: &directoryv1.Unit{Name: "Sở Tư pháp"}}, &grpc.UnaryServerInfo{FullMethod: createUnit},
		func(ctx context.Context, _ any) (any, error) {
			if err := createInTx(ctx, pool, "new-1", nil); err != nil {
				return nil, err
			}
			// A later transaction of the same call with events of its own.
			return nil, pg.InTx(ctx, pool, func(tx pgx.Tx) error {
				_, err := outbox.Add(ctx, tx, "directory.v1.user.changed", &directoryv1.UserChanged{})
				return err
			})
		})
	if err != nil {
		t.Fatal(err)
	}
	audits, others := readOutbox(t, pool)
	if len(audits) != 1 || len(others) != 3 {
		t.Fatalf("%d audit events and %d others, want 1 and 3", len(audits), len(others))
	}
	got := audits[0]
	if got.xmin != others[0].xmin {
		t.Errorf("audit record in transaction %d, the change in %d: not one transaction", got.xmin, others[0].xmin)
	}
	rec := got.record
	if rec.GetOutcome() != "OK" || rec.GetActorSubject() != "snv.cv01" || rec.GetUnitId() != "unit-snv" ||
		rec.GetAction() != "CreateUnit" || rec.GetResource() != "units/new-1" || rec.GetId() == "" {
		t.Errorf("record %v", rec)
	}
}

// TestAuditRecordOfRolledBackCall: when the call's transaction rolls back, its record goes
// with it, and the interceptor records the failure once, afterwards.
func TestAuditRecordOfRolledBackCall(t *testing.T) {
	pool := pgtest.NewPool(t, nil)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	icpt := audit.UnaryServerInterceptor(pool, "directory", log)
	ctx := auth.WithPrincipal(t.Context(), auth.Principal{Subject: "snv.cv01", UnitID: "unit-snv"})
	conflict := status.Error(codes.FailedPrecondition, "Mã đơn vị đã tồn tại")

	_, err := icpt(ctx, &directoryv1.CreateUnitRequest{Unit: &directoryv1.Unit{Name: "Sở Tư pháp"}}, &grpc.UnaryServerInfo{FullMethod: createUnit},
		func(ctx context.Context, _ any) (any, error) { return nil, createInTx(ctx, pool, "new-2", conflict) })
	if !errors.Is(err, conflict) {
		t.Fatalf("error %v", err)
	}
	audits, others := readOutbox(t, pool)
	if len(audits) != 1 || len(others) != 0 {
		t.Fatalf("%d audit events and %d others, want 1 and 0", len(audits), len(others))
	}
	if rec := audits[0].record; rec.GetOutcome() != "FAILED_PRECONDITION" || rec.GetActorSubject() != "snv.cv01" {
		t.Errorf("record %v", rec)
	}
}

// auditedDirectory is a peer-service fake whose CreateUnit changes state like a real
// service: its events through the outbox in one transaction.
type auditedDirectory struct {
	directoryv1.UnimplementedDirectoryServiceServer
	pool *pgxpool.Pool
}

func (d *auditedDirectory) CreateUnit(ctx context.Context, req *directoryv1.CreateUnitRequest) (*directoryv1.CreateUnitResponse, error) {
	if err := createInTx(ctx, d.pool, "new-3", nil); err != nil {
		return nil, err
	}
	return &directoryv1.CreateUnitResponse{Unit: req.GetUnit()}, nil
}

// TestAuditThroughServerRecordsRefusals runs a real kit/grpcserver with the one line every
// service has (audit.ServerOptions): calls refused by authentication and by validation are
// recorded too (the latter with the actor), and the successful one with its change.
func TestAuditThroughServerRecordsRefusals(t *testing.T) {
	pool := pgtest.NewPool(t, nil)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	signer, verifier := authtest.NewIssuer(t)
	srv, hs := grpcserver.New(grpcserver.Options{Service: "directory", Log: log, Verifier: verifier,
		ServerOptions: audit.ServerOptions(pool, "directory", log)})
	directoryv1.RegisterDirectoryServiceServer(srv, &auditedDirectory{pool: pool})
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- grpcserver.Serve(ctx, srv, hs, lis) }()
	t.Cleanup(func() { cancel(); <-done })
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	client := directoryv1.NewDirectoryServiceClient(conn)
	tok := authtest.Token(t, signer, auth.Principal{Subject: "snv.cv01", UnitID: "unit-snv", Roles: []string{auth.RoleSecretariat}})
	withToken := metadata.AppendToOutgoingContext(t.Context(), "authorization", "Bearer "+tok)

	valid := &directoryv1.CreateUnitRequest{Unit: &directoryv1.Unit{Code: "TQ-STP", Name: "Sở Tư pháp", Kind: "department", Level: "province"}}
	if _, err := client.CreateUnit(t.Context(), valid); status.Code(err) != codes.Unauthenticated {
		t.Fatalf("without token: %v", err)
	}
	if _, err := client.CreateUnit(withToken, &directoryv1.CreateUnitRequest{}); status.Code(err) != codes.InvalidArgument {
		t.Fatalf("invalid request: %v", err)
	}
	if _, err := client.CreateUnit(withToken, valid); err != nil {
		t.Fatalf("valid request: %v", err)
	}

	audits, others := readOutbox(t, pool)
	if len(audits) != 3 || len(others) != 2 {
		t.Fatalf("%d audit events and %d others, want 3 and 2", len(audits), len(others))
	}
	type seen struct{ outcome, actor string }
	want := []seen{{"UNAUTHENTICATED", ""}, {"INVALID_ARGUMENT", "snv.cv01"}, {"OK", "snv.cv01"}}
	for i, a := range audits {
		if got := (seen{a.record.GetOutcome(), a.record.GetActorSubject()}); got != want[i] {
			t.Errorf("audit record %d: %+v, want %+v", i, got, want[i])
		}
	}
	if audits[2].xmin != others[0].xmin {
		t.Errorf("successful call: audit record and change in different transactions")
	}
}
