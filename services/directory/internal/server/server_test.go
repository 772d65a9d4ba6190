package server_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	directoryv1 "github.com/parindex/platform/proto/gen/go/par/directory/v1"
	"github.com/parindex/platform/services/directory/internal/postgres"
	"github.com/parindex/platform/services/directory/internal/server"
	"github.com/parindex/platform/services/kit/apierr"
	"github.com/parindex/platform/services/kit/audit"
	"github.com/parindex/platform/services/kit/auth"
	"github.com/parindex/platform/services/kit/auth/authtest"
	"github.com/parindex/platform/services/kit/natsx"
	"github.com/parindex/platform/services/kit/outbox"
	"github.com/parindex/platform/services/kit/pg"
	"github.com/parindex/platform/services/kit/pg/pgtest"
	"github.com/parindex/platform/services/kit/svctest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// env is one directory process started in-process on real PostgreSQL and JetStream.
type env struct {
	client  directoryv1.DirectoryServiceClient
	audit   directoryv1.AuditServiceClient
	signer  *auth.Signer
	dbURL   string
	natsURL string
}

func start(t *testing.T) env {
	t.Helper()
	// The server reads its key the way a deployment does: from a PEM file.
	inf := svctest.New(t, postgres.Migrations())
	e := env{dbURL: inf.Base.DatabaseURL, natsURL: inf.Base.NatsURL, signer: inf.Signer}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	conn, _ := svctest.Serve(t, server.Run, server.Config{Base: inf.Base}, log,
		// The server may still be migrating when the first call is made.
		grpc.WithDefaultCallOptions(grpc.WaitForReady(true)))
	e.client = directoryv1.NewDirectoryServiceClient(conn)
	e.audit = directoryv1.NewAuditServiceClient(conn)
	return e
}

// as returns a context whose calls carry a token for p, bounded by the test's deadline.
func (e env) as(t *testing.T, p auth.Principal) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	t.Cleanup(cancel)
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+authtest.Token(t, e.signer, p))
}

func wantCode(t *testing.T, err error, code codes.Code) {
	t.Helper()
	if status.Code(err) != code {
		t.Fatalf("err = %v, want %v", err, code)
	}
}

func fields(err error) []string {
	var out []string
	for _, v := range apierr.Violations(err) {
		out = append(out, v.Field)
	}
	return out
}

func TestDirectory(t *testing.T) {
	e := start(t)
	secretariat := e.as(t, auth.Principal{Subject: "snv-1", Name: "Trần Thị Bình", Roles: []string{auth.RoleSecretariat}})
	staff := e.as(t, auth.Principal{Subject: "stp-1", Roles: []string{auth.RoleUnitStaff}})

	// No token: authentication refuses before any handler runs.
	anon, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	_, err := e.client.ListUnitLevels(anon, &directoryv1.ListUnitLevelsRequest{})
	wantCode(t, err, codes.Unauthenticated)

	// Unit staff may read but not change the directory.
	levels, err := e.client.ListUnitLevels(staff, &directoryv1.ListUnitLevelsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if len(levels.GetLevels()) != 3 || levels.GetLevels()[0].GetCode() != "province" {
		t.Errorf("levels = %v", levels.GetLevels())
	}
	_, err = e.client.CreateUnit(staff, &directoryv1.CreateUnitRequest{Unit: &directoryv1.Unit{Code: "X", Name: "X", Kind: "province", Level: "province"}})
	wantCode(t, err, codes.PermissionDenied)

	// Every field problem is reported at once.
	_, err = e.client.CreateUnit(secretariat, &directoryv1.CreateUnitRequest{Unit: &directoryv1.Unit{Kind: "department", Level: "province"}})
	wantCode(t, err, codes.InvalidArgument)
	if diff := cmp.Diff([]string{"unit.code", "unit.name"}, fields(err)); diff != "" {
		t.Errorf("violations (-want +got):\n%s", diff)
	}

	// Province → department, and a commune straight under the province (2-tier).
	create := func(u *directoryv1.Unit) *directoryv1.Unit {
		t.Helper()
		resp, err := e.client.CreateUnit(secretariat, &directoryv1.CreateUnitRequest{Unit: u})
		if err != nil {
			t.Fatalf("CreateUnit %s: %v", u.GetCode(), err)
		}
		return resp.GetUnit()
	}
	tq := create(&directoryv1.Unit{Code: "TQ", Name: "Tỉnh Tuyên Quang", Kind: "province", Level: "province"})
	snv := create(&directoryv1.Unit{Code: "TQ-SNV", Name: "Sở Nội vụ", ShortName: "SNV", Kind: "department", Level: "province", ParentId: tq.GetId()})
	xa := create(&directoryv1.Unit{Code: "TQ-XA-MINHQUANG", Name: "Xã Minh Quang", Kind: "commune", Level: "commune", ParentId: tq.GetId(), ValidFrom: "2025-07-01"})
	if xa.GetValidFrom() != "2025-07-01" || xa.GetCreateTime() == nil {
		t.Errorf("commune = %v", xa)
	}
	_, err = e.client.CreateUnit(secretariat, &directoryv1.CreateUnitRequest{Unit: &directoryv1.Unit{Code: "TQ-SNV", Name: "Sở khác", Kind: "department", Level: "province", ParentId: tq.GetId()}})
	wantCode(t, err, codes.AlreadyExists)
	if msg := status.Convert(err).Message(); msg != "Mã đơn vị đã tồn tại" {
		t.Errorf("message = %q", msg)
	}
	_, err = e.client.CreateUnit(secretariat, &directoryv1.CreateUnitRequest{Unit: &directoryv1.Unit{Code: "H1", Name: "Huyện dưới xã", Kind: "district", Level: "district", ParentId: xa.GetId()}})
	wantCode(t, err, codes.InvalidArgument)
	if diff := cmp.Diff([]string{"unit.level"}, fields(err)); diff != "" {
		t.Errorf("rank violation (-want +got):\n%s", diff)
	}

	// Reads for anyone signed in: by id, by code, by folded name.
	got, err := e.client.GetUnit(staff, &directoryv1.GetUnitRequest{UnitId: snv.GetId()})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(snv, got.GetUnit(), protocmp.Transform()); diff != "" {
		t.Errorf("GetUnit (-want +got):\n%s", diff)
	}
	_, err = e.client.GetUnit(staff, &directoryv1.GetUnitRequest{UnitId: "0195c0de-0000-7000-8000-000000000001"})
	wantCode(t, err, codes.NotFound)
	if lk, err := e.client.LookupUnit(staff, &directoryv1.LookupUnitRequest{Code: "TQ-SNV"}); err != nil || lk.GetUnit().GetId() != snv.GetId() {
		t.Errorf("LookupUnit = %v, %v", lk, err)
	}
	found, err := e.client.ListUnits(staff, &directoryv1.ListUnitsRequest{Query: "so noi vu"})
	if err != nil || len(found.GetUnits()) != 1 || found.GetUnits()[0].GetId() != snv.GetId() {
		t.Errorf("search = %v, %v", found, err)
	}
	_, err = e.client.ListUnits(staff, &directoryv1.ListUnitsRequest{PageToken: "not-a-token"})
	wantCode(t, err, codes.InvalidArgument)
	if diff := cmp.Diff([]string{"page_token"}, fields(err)); diff != "" {
		t.Errorf("page token (-want +got):\n%s", diff)
	}
	page1, err := e.client.ListUnits(staff, &directoryv1.ListUnitsRequest{PageSize: 2})
	if err != nil || len(page1.GetUnits()) != 2 || page1.GetNextPageToken() == "" {
		t.Fatalf("page 1 = %v, %v", page1, err)
	}
	page2, err := e.client.ListUnits(staff, &directoryv1.ListUnitsRequest{PageSize: 2, PageToken: page1.GetNextPageToken()})
	if err != nil || len(page2.GetUnits()) != 1 || page2.GetNextPageToken() != "" || page2.GetUnits()[0].GetCode() != "TQ-XA-MINHQUANG" {
		t.Fatalf("page 2 = %v, %v", page2, err)
	}

	// Update honours the mask; code never changes.
	_, err = e.client.UpdateUnit(secretariat, &directoryv1.UpdateUnitRequest{
		Unit: &directoryv1.Unit{Id: snv.GetId(), Code: "NEW"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"code"}},
	})
	wantCode(t, err, codes.InvalidArgument)
	if diff := cmp.Diff([]string{"update_mask"}, fields(err)); diff != "" {
		t.Errorf("immutable path (-want +got):\n%s", diff)
	}
	upd, err := e.client.UpdateUnit(secretariat, &directoryv1.UpdateUnitRequest{
		Unit:       &directoryv1.Unit{Id: snv.GetId(), Name: "Sở Nội vụ tỉnh Tuyên Quang", ShortName: "ignored"},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"name"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if u := upd.GetUnit(); u.GetName() != "Sở Nội vụ tỉnh Tuyên Quang" || u.GetShortName() != "SNV" || u.GetCode() != "TQ-SNV" {
		t.Errorf("updated = %v", u)
	}

	// Heads: A, then B from 01/07/2024 (A ends 30/06/2024), C acting from 01/09/2024 to 30/09/2024.
	assign := func(req *directoryv1.AssignHeadRequest) *directoryv1.AssignHeadResponse {
		t.Helper()
		req.UnitId = snv.GetId()
		resp, err := e.client.AssignHead(secretariat, req)
		if err != nil {
			t.Fatalf("AssignHead %s: %v", req.GetPersonName(), err)
		}
		return resp
	}
	assign(&directoryv1.AssignHeadRequest{PersonName: "Nguyễn Văn An", Title: "Giám đốc", StartDate: "2020-01-01"})
	b := assign(&directoryv1.AssignHeadRequest{PersonName: "Trần Văn Bình", Title: "Giám đốc", StartDate: "2024-07-01", Note: "QĐ 123/QĐ-UBND"})
	if b.GetEndedTenure().GetPersonName() != "Nguyễn Văn An" || b.GetEndedTenure().GetEndDate() != "2024-06-30" {
		t.Errorf("ended tenure = %v", b.GetEndedTenure())
	}
	c := assign(&directoryv1.AssignHeadRequest{PersonName: "Lê Thị Cúc", Title: "Phó Giám đốc phụ trách", Acting: true, StartDate: "2024-09-01"})
	if _, err := e.client.EndHeadTenure(secretariat, &directoryv1.EndHeadTenureRequest{UnitId: snv.GetId(), TenureId: c.GetTenure().GetId(), EndDate: "2024-09-30"}); err != nil {
		t.Fatal(err)
	}
	_, err = e.client.AssignHead(secretariat, &directoryv1.AssignHeadRequest{UnitId: snv.GetId(), PersonName: "Hoàng Văn Em", StartDate: "2024-01-01", EndDate: "2024-02-01"})
	wantCode(t, err, codes.FailedPrecondition)
	_, err = e.client.AssignHead(staff, &directoryv1.AssignHeadRequest{UnitId: snv.GetId(), PersonName: "X", StartDate: "2030-01-01"})
	wantCode(t, err, codes.PermissionDenied)

	on, err := e.client.GetHeadOnDate(staff, &directoryv1.GetHeadOnDateRequest{UnitId: snv.GetId(), Date: "2024-09-15"})
	if err != nil {
		t.Fatal(err)
	}
	if on.GetHead().GetPersonName() != "Trần Văn Bình" || on.GetActingHead().GetPersonName() != "Lê Thị Cúc" || on.GetResponsible().GetPersonName() != "Lê Thị Cúc" {
		t.Errorf("head on 2024-09-15 = %v", on)
	}
	on, err = e.client.GetHeadOnDate(staff, &directoryv1.GetHeadOnDateRequest{UnitId: snv.GetId(), Date: "2024-06-30"})
	if err != nil || on.GetResponsible().GetPersonName() != "Nguyễn Văn An" || on.GetActingHead() != nil {
		t.Errorf("head on 2024-06-30 = %v, %v", on, err)
	}
	on, err = e.client.GetHeadOnDate(staff, &directoryv1.GetHeadOnDateRequest{UnitId: snv.GetId(), Date: "2019-12-31"})
	if err != nil || on.GetResponsible() != nil {
		t.Errorf("head before any tenure = %v, %v", on, err)
	}

	// Users.
	user, err := e.client.CreateUser(secretariat, &directoryv1.CreateUserRequest{User: &directoryv1.User{
		Subject: "binh", DisplayName: "Trần Thị Bình", Email: "binh@tuyenquang.gov.vn", UnitId: snv.GetId(),
		Roles: []directoryv1.Role{directoryv1.Role_ROLE_SECRETARIAT},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if !user.GetUser().GetActive() {
		t.Errorf("new user inactive: %v", user)
	}
	_, err = e.client.CreateUser(secretariat, &directoryv1.CreateUserRequest{User: &directoryv1.User{Subject: "x"}})
	wantCode(t, err, codes.InvalidArgument)
	if diff := cmp.Diff([]string{"user.display_name", "user.unit_id", "user.roles"}, fields(err)); diff != "" {
		t.Errorf("user violations (-want +got):\n%s", diff)
	}
	users, err := e.client.ListUsers(staff, &directoryv1.ListUsersRequest{Query: "tran thi", Role: directoryv1.Role_ROLE_SECRETARIAT})
	if err != nil || len(users.GetUsers()) != 1 {
		t.Errorf("ListUsers = %v, %v", users, err)
	}

	// Every change above, and only those, reached the stream once, in order.
	checkEvents(t, e, []string{
		"directory.v1.unit.created", "directory.v1.unit.created", "directory.v1.unit.created",
		"directory.v1.unit.updated",
		"directory.v1.head.assigned", "directory.v1.head.assigned", "directory.v1.head.assigned",
		"directory.v1.head.ended",
		"directory.v1.user.changed",
	})
}

// checkEvents waits until the outbox is drained, then reads the DIRECTORY stream and
// compares subjects, ids and payload types.
func checkEvents(t *testing.T, e env, want []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()

	pool, err := pg.Open(ctx, e.dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	waitDrained(ctx, t, pool)

	nc, js, err := natsx.Connect(ctx, e.natsURL, "directory-test")
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	stream, err := js.Stream(ctx, natsx.StreamName("directory"))
	if err != nil {
		t.Fatal(err)
	}
	// The stream also carries the audit events of every mutation (kit/audit); these are
	// checked by the audit log's tests, the domain events here.
	info, err := stream.Info(ctx, jetstream.WithSubjectFilter("directory.v1.>"))
	if err != nil {
		t.Fatal(err)
	}
	domain := 0
	for subj, n := range info.State.Subjects {
		if subj != audit.Subject("directory") {
			domain += int(n)
		}
	}
	if domain != len(want) {
		t.Errorf("stream holds %d domain events, want %d", domain, len(want))
	}
	cons, err := stream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{FilterSubjects: []string{"directory.v1.unit.>", "directory.v1.head.>", "directory.v1.user.>"}})
	if err != nil {
		t.Fatal(err)
	}
	batch, err := cons.Fetch(len(want)+1, jetstream.FetchMaxWait(2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	var subjects []string
	ids := map[string]bool{}
	for msg := range batch.Messages() {
		subjects = append(subjects, msg.Subject())
		id := msg.Headers().Get(jetstream.MsgIDHeader)
		if id == "" || ids[id] {
			t.Errorf("message on %s has id %q (empty or repeated)", msg.Subject(), id)
		}
		ids[id] = true
		var payload proto.Message
		switch typ := msg.Headers().Get(outbox.HeaderEventType); typ {
		case "par.directory.v1.UnitCreated":
			payload = &directoryv1.UnitCreated{}
		case "par.directory.v1.UnitUpdated":
			payload = &directoryv1.UnitUpdated{}
		case "par.directory.v1.HeadAssigned":
			payload = &directoryv1.HeadAssigned{}
		case "par.directory.v1.HeadTenureEnded":
			payload = &directoryv1.HeadTenureEnded{}
		case "par.directory.v1.UserChanged":
			payload = &directoryv1.UserChanged{}
		default:
			t.Errorf("message on %s has event type %q", msg.Subject(), typ)
			continue
		}
		if err := proto.Unmarshal(msg.Data(), payload); err != nil {
			t.Errorf("payload on %s: %v", msg.Subject(), err)
		}
		if u, ok := payload.(*directoryv1.UnitUpdated); ok && (u.GetPrevious().GetName() != "Sở Nội vụ" || u.GetUnit().GetName() != "Sở Nội vụ tỉnh Tuyên Quang") {
			t.Errorf("UnitUpdated = %v", u)
		}
	}
	if err := batch.Error(); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, subjects); diff != "" {
		t.Errorf("subjects (-want +got):\n%s", diff)
	}
}

// waitDrained waits until the relay has published every outbox row.
func waitDrained(ctx context.Context, t *testing.T, pool *pgxpool.Pool) {
	t.Helper()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		var pending int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM outbox_events WHERE published_at IS NULL`).Scan(&pending); err != nil {
			t.Fatal(err)
		}
		if pending == 0 {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%d events still unpublished: %v", pending, ctx.Err())
		case <-tick.C:
		}
	}
}
