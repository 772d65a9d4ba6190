package server_test

import (
	"context"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	accountabilityv1 "github.com/parindex/platform/proto/gen/go/par/accountability/v1"
	directoryv1 "github.com/parindex/platform/proto/gen/go/par/directory/v1"
	"github.com/parindex/platform/services/accountability/internal/postgres"
	"github.com/parindex/platform/services/accountability/internal/server"
	"github.com/parindex/platform/services/kit/apierr"
	"github.com/parindex/platform/services/kit/auth"
	"github.com/parindex/platform/services/kit/auth/authtest"
	"github.com/parindex/platform/services/kit/outbox"
	"github.com/parindex/platform/services/kit/pg/pgtest"
	"github.com/parindex/platform/services/kit/svctest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// callTimeout bounds every call and wait of the test.
const callTimeout = 20 * time.Second

// Directory ids of the units of the default matrix of 002 Art. 15, made up for the tests.
const (
	province   = "0190a000-0000-7000-8000-000000000001"
	homeAffair = "0190a000-0000-7000-8000-000000000010" // Sở Nội vụ
	justice    = "0190a000-0000-7000-8000-000000000011" // Sở Tư pháp
	ppcOffice  = "0190a000-0000-7000-8000-000000000012" // Văn phòng UBND tỉnh
	finance    = "0190a000-0000-7000-8000-000000000013" // Sở Tài chính
	infoComm   = "0190a000-0000-7000-8000-000000000014" // Sở Thông tin và Truyền thông
	planInvest = "0190a000-0000-7000-8000-000000000015" // Sở Kế hoạch và Đầu tư
	taxDept    = "0190a000-0000-7000-8000-000000000016" // Cục Thuế tỉnh
	unknown    = "0190a000-0000-7000-8000-0000000000ff"
)

// fakeDirectory is the directory peer: a real gRPC server answering BatchGetUnits from a
// set of ids, recording the authorization each call carried.
type fakeDirectory struct {
	directoryv1.UnimplementedDirectoryServiceServer
	units map[string]bool
	// tenures are the head tenures per unit, for GetHeadOnDate.
	tenures map[string][]*directoryv1.HeadTenure
	// codes maps directory unit codes to ids, for LookupUnit and GetUnit.
	codes map[string]string
	// parents maps unit ids to their parent's, for GetUnit (no entry: a root).
	parents map[string]string

	// onCall, when set, runs at the start of every call with the method's name (e.g. to
	// look at the caller's database while it waits for the directory).
	onCall func(method string)

	mu      sync.Mutex
	calls   []string       // authorization metadata per BatchGetUnits call
	methods map[string]int // calls per method
}

// called counts a call of method and runs onCall.
func (f *fakeDirectory) called(method string) {
	f.mu.Lock()
	if f.methods == nil {
		f.methods = map[string]int{}
	}
	f.methods[method]++
	hook := f.onCall
	f.mu.Unlock()
	if hook != nil {
		hook(method)
	}
}

// counts returns the calls per method so far and starts counting afresh.
func (f *fakeDirectory) counts() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := f.methods
	f.methods = map[string]int{}
	return out
}

func (f *fakeDirectory) BatchGetUnits(ctx context.Context, req *directoryv1.BatchGetUnitsRequest) (*directoryv1.BatchGetUnitsResponse, error) {
	f.called("BatchGetUnits")
	md, _ := metadata.FromIncomingContext(ctx)
	f.mu.Lock()
	f.calls = append(f.calls, md.Get("authorization")...)
	f.mu.Unlock()
	res := &directoryv1.BatchGetUnitsResponse{}
	for _, id := range req.GetUnitIds() {
		if f.units[id] {
			res.Units = append(res.Units, &directoryv1.Unit{Id: id, ParentId: f.parents[id]})
		} else {
			res.MissingUnitIds = append(res.MissingUnitIds, id)
		}
	}
	return res, nil
}

func (f *fakeDirectory) LookupUnit(_ context.Context, req *directoryv1.LookupUnitRequest) (*directoryv1.LookupUnitResponse, error) {
	f.called("LookupUnit")
	if id, ok := f.codes[req.GetCode()]; ok {
		return &directoryv1.LookupUnitResponse{Unit: &directoryv1.Unit{Id: id, Code: req.GetCode()}}, nil
	}
	return nil, status.Error(codes.NotFound, "no unit")
}

func (f *fakeDirectory) GetUnit(_ context.Context, req *directoryv1.GetUnitRequest) (*directoryv1.GetUnitResponse, error) {
	f.called("GetUnit")
	id := req.GetUnitId()
	for code, cid := range f.codes {
		if cid == id {
			return &directoryv1.GetUnitResponse{Unit: &directoryv1.Unit{Id: id, Code: code, ParentId: f.parents[id]}}, nil
		}
	}
	if f.units[id] {
		return &directoryv1.GetUnitResponse{Unit: &directoryv1.Unit{Id: id, ParentId: f.parents[id]}}, nil
	}
	return nil, status.Error(codes.NotFound, "no unit")
}

func (f *fakeDirectory) GetHeadOnDate(_ context.Context, req *directoryv1.GetHeadOnDateRequest) (*directoryv1.GetHeadOnDateResponse, error) {
	f.called("GetHeadOnDate")
	if !f.units[req.GetUnitId()] {
		return nil, status.Error(codes.NotFound, "no unit")
	}
	for _, h := range f.tenures[req.GetUnitId()] {
		if h.GetStartDate() <= req.GetDate() && (h.GetEndDate() == "" || req.GetDate() <= h.GetEndDate()) {
			return &directoryv1.GetHeadOnDateResponse{Head: h, Responsible: h}, nil
		}
	}
	return &directoryv1.GetHeadOnDateResponse{}, nil
}

func (f *fakeDirectory) authorizations() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

// startDirectory serves f on a free loopback port and returns its address.
func startDirectory(t *testing.T, f *fakeDirectory) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	directoryv1.RegisterDirectoryServiceServer(srv, f)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	return lis.Addr().String()
}

// harness is one accountability process started in-process on a fresh database and an
// in-process JetStream, with a token issuer the server trusts.
type harness struct {
	client       accountabilityv1.AccountabilityServiceClient
	explanations accountabilityv1.ExplanationServiceClient
	conn         *grpc.ClientConn
	js           jetstream.JetStream
	signer       *auth.Signer
	// databaseURL is the service's database, for tests that watch its sessions.
	databaseURL string
}

func start(t *testing.T, directoryAddr string, opts ...func(*server.Config)) *harness {
	t.Helper()
	inf := svctest.New(t, postgres.Migrations())
	cfg := server.Config{Base: inf.Base}
	cfg.DirectoryAddr = directoryAddr
	for _, o := range opts {
		o(&cfg)
	}
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelError}))
	conn, _ := svctest.Serve(t, server.Run, cfg, log)
	return &harness{client: accountabilityv1.NewAccountabilityServiceClient(conn), explanations: accountabilityv1.NewExplanationServiceClient(conn), conn: conn, js: inf.JetStream(t), signer: inf.Signer, databaseURL: cfg.DatabaseURL}
}

// token mints a token with the given roles.
func (h *harness) token(t *testing.T, roles ...string) string {
	t.Helper()
	return authtest.Token(t, h.signer, auth.Principal{UserID: "u-" + roles[0], Name: "Trần Thị B", Roles: roles})
}

// ctx returns a call context carrying tok ("" for none).
func ctx(t *testing.T, tok string) context.Context {
	t.Helper()
	c, cancel := context.WithTimeout(t.Context(), callTimeout)
	t.Cleanup(cancel)
	if tok == "" {
		return c
	}
	return metadata.AppendToOutgoingContext(c, "authorization", "Bearer "+tok)
}

// art15 is the default matrix of 002 Art. 15 on the fields of QĐ 2948.
func art15() *accountabilityv1.PutResponsibilityMatrixRequest {
	return &accountabilityv1.PutResponsibilityMatrixRequest{
		ProvinceUnitId: province, Year: 2024, UnitsOwnIndex: true,
		Entries: []*accountabilityv1.ResponsibilityEntry{
			{NodeCode: "1", OwnerUnitId: homeAffair},
			{NodeCode: "2", OwnerUnitId: justice},
			{NodeCode: "3", OwnerUnitId: ppcOffice},
			{NodeCode: "4", OwnerUnitId: homeAffair},
			{NodeCode: "5", OwnerUnitId: homeAffair},
			{NodeCode: "6", OwnerUnitId: finance},
			{NodeCode: "7", OwnerUnitId: infoComm},
			{NodeCode: "8", OwnerUnitId: planInvest, CooperatingUnitIds: []string{finance, taxDept}},
		},
	}
}

func violationFields(err error) []string {
	var out []string
	for _, v := range apierr.Violations(err) {
		out = append(out, v.Field)
	}
	return out
}

func TestResponsibilityMatrix(t *testing.T) {
	dir := &fakeDirectory{units: map[string]bool{}}
	for _, id := range []string{province, homeAffair, justice, ppcOffice, finance, infoComm, planInvest, taxDept} {
		dir.units[id] = true
	}
	h := start(t, startDirectory(t, dir))
	secretariat := h.token(t, auth.RoleSecretariat)
	wait := grpc.WaitForReady(true) // the server may still be migrating

	t.Run("unauthenticated", func(t *testing.T) {
		_, err := h.client.PutResponsibilityMatrix(ctx(t, ""), art15(), wait)
		if status.Code(err) != codes.Unauthenticated {
			t.Errorf("err = %v, want Unauthenticated", err)
		}
	})

	t.Run("wrong role", func(t *testing.T) {
		_, err := h.client.PutResponsibilityMatrix(ctx(t, h.token(t, auth.RoleUnitHead, auth.RoleLeadership)), art15(), wait)
		if status.Code(err) != codes.PermissionDenied {
			t.Errorf("err = %v, want PermissionDenied", err)
		}
	})

	t.Run("invalid", func(t *testing.T) {
		req := art15()
		req.Entries[7].CooperatingUnitIds = []string{planInvest, finance} // the owner among its helpers
		req.Entries[3].NodeCode = "1"                                     // a second owner for field 1
		_, err := h.client.PutResponsibilityMatrix(ctx(t, secretariat), req, wait)
		if status.Code(err) != codes.InvalidArgument {
			t.Fatalf("err = %v, want InvalidArgument", err)
		}
		want := []string{"entries[3].node_code", "entries[7].cooperating_unit_ids[0]"}
		if diff := cmp.Diff(want, violationFields(err)); diff != "" {
			t.Errorf("violations (-want +got):\n%s", diff)
		}
	})

	t.Run("unknown units", func(t *testing.T) {
		req := art15()
		req.Entries[1].OwnerUnitId = unknown
		req.Entries[7].CooperatingUnitIds = []string{finance, unknown}
		_, err := h.client.PutResponsibilityMatrix(ctx(t, secretariat), req, wait)
		if status.Code(err) != codes.InvalidArgument {
			t.Fatalf("err = %v, want InvalidArgument", err)
		}
		want := []string{"entries[1].owner_unit_id", "entries[7].cooperating_unit_ids[1]"}
		if diff := cmp.Diff(want, violationFields(err)); diff != "" {
			t.Errorf("violations (-want +got):\n%s", diff)
		}
	})

	t.Run("not found before put", func(t *testing.T) {
		_, err := h.client.GetResponsibilityMatrix(ctx(t, secretariat), &accountabilityv1.GetResponsibilityMatrixRequest{ProvinceUnitId: province, Year: 2024})
		if status.Code(err) != codes.NotFound {
			t.Errorf("err = %v, want NotFound", err)
		}
	})

	t.Run("put", func(t *testing.T) {
		before := len(dir.authorizations())
		res, err := h.client.PutResponsibilityMatrix(ctx(t, secretariat), art15(), wait)
		if err != nil {
			t.Fatalf("PutResponsibilityMatrix: %v", err)
		}
		put := res.GetMatrix()
		if put.GetUpdateTime() == nil || len(put.GetEntries()) != 8 {
			t.Errorf("put returned %v", put)
		}

		// One directory call, made with the caller's own token.
		if diff := cmp.Diff([]string{"Bearer " + secretariat}, dir.authorizations()[before:]); diff != "" {
			t.Errorf("directory calls (-want +got):\n%s", diff)
		}

		// The event, relayed from the outbox, is on the ACCOUNTABILITY stream.
		msg := nextEvent(t, h.js, "accountability.v1.matrix.changed")
		if msg.Headers().Get(jetstream.MsgIDHeader) == "" {
			t.Error("event has no Nats-Msg-Id")
		}
		if got := msg.Headers().Get(outbox.HeaderEventType); got != "par.accountability.v1.ResponsibilityMatrixChanged" {
			t.Errorf("Par-Event-Type = %q", got)
		}
		var ev accountabilityv1.ResponsibilityMatrixChanged
		if err := proto.Unmarshal(msg.Data(), &ev); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(put, ev.GetMatrix(), protocmp.Transform()); diff != "" {
			t.Errorf("event (-want +got):\n%s", diff)
		}

		// Anyone signed in reads it back.
		got, err := h.client.GetResponsibilityMatrix(ctx(t, h.token(t, auth.RoleUnitStaff)),
			&accountabilityv1.GetResponsibilityMatrixRequest{ProvinceUnitId: province, Year: 2024})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(put, got.GetMatrix(), protocmp.Transform()); diff != "" {
			t.Errorf("get (-want +got):\n%s", diff)
		}
	})
}

func TestDirectoryDown(t *testing.T) {
	// A port nobody listens on any more.
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	_ = lis.Close()

	h := start(t, addr)
	_, err = h.client.PutResponsibilityMatrix(ctx(t, h.token(t, auth.RoleSecretariat)), art15(), grpc.WaitForReady(true))
	if status.Code(err) != codes.Unavailable {
		t.Errorf("err = %v, want Unavailable", err)
	}
}

// nextEvent returns the first message on subject in the ACCOUNTABILITY stream, waiting for
// the relay.
func nextEvent(t *testing.T, js jetstream.JetStream, subject string) jetstream.Msg {
	t.Helper()
	return svctest.NextEvent(t, js, "accountability", subject)
}
