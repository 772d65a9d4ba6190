package server_test

import (
	"context"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	parscoringv1 "github.com/parindex/platform/proto/gen/go/par/parscoring/v1"
	"github.com/parindex/platform/services/kit/apierr"
	"github.com/parindex/platform/services/kit/auth"
	"github.com/parindex/platform/services/kit/auth/authtest"
	"github.com/parindex/platform/services/kit/outbox"
	"github.com/parindex/platform/services/kit/pg/pgtest"
	"github.com/parindex/platform/services/kit/svctest"
	"github.com/parindex/platform/services/parscoring/internal/postgres"
	"github.com/parindex/platform/services/parscoring/internal/server"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// callTimeout bounds every call and wait of the test.
const callTimeout = 20 * time.Second

// harness is one PAR scoring process started in-process on a fresh database and an
// in-process JetStream, with a token issuer the server trusts.
type harness struct {
	client parscoringv1.ParScoringServiceClient
	conn   *grpc.ClientConn
	js     jetstream.JetStream
	signer *auth.Signer
}

func start(t *testing.T) *harness {
	t.Helper()
	return startWith(t, nil)
}

// startWith is start with a change to the configuration (nil for none).
func startWith(t *testing.T, configure func(*server.Config)) *harness {
	t.Helper()
	inf := svctest.New(t, postgres.Migrations())
	cfg := server.Config{Base: inf.Base}
	if configure != nil {
		configure(&cfg)
	}
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	conn, _ := svctest.Serve(t, server.Run, cfg, log)
	return &harness{client: parscoringv1.NewParScoringServiceClient(conn), conn: conn, js: inf.JetStream(t), signer: inf.Signer}
}

// as returns a context for calls made with a token of the given roles ("" for no token).
func (h *harness) as(t *testing.T, roles ...string) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), callTimeout)
	t.Cleanup(cancel)
	if len(roles) == 0 {
		return ctx
	}
	tok := authtest.Token(t, h.signer, auth.Principal{UserID: "u-" + roles[0], Name: "Nguyễn Văn A", Roles: roles})
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+tok)
}

// qd2948 is the provincial index of QĐ 2948/QĐ-BNV (2017) at field level, as the API takes it.
func qd2948(t *testing.T) *parscoringv1.CriteriaSet {
	t.Helper()
	raw, err := os.ReadFile("../methodology/testdata/qd2948_2017_province_fields.json")
	if err != nil {
		t.Fatal(err)
	}
	set := &parscoringv1.CriteriaSet{}
	if err := protojson.Unmarshal(raw, set); err != nil {
		t.Fatal(err)
	}
	return set
}

func code(err error) codes.Code { return status.Code(err) }

func TestCriteriaSets(t *testing.T) {
	h := start(t)
	wait := grpc.WaitForReady(true) // the server may still be migrating

	t.Run("unauthenticated", func(t *testing.T) {
		_, err := h.client.CreateCriteriaSet(h.as(t), &parscoringv1.CreateCriteriaSetRequest{CriteriaSet: qd2948(t)}, wait)
		if code(err) != codes.Unauthenticated {
			t.Errorf("err = %v, want Unauthenticated", err)
		}
	})

	t.Run("wrong role", func(t *testing.T) {
		_, err := h.client.CreateCriteriaSet(h.as(t, auth.RoleUnitStaff, auth.RoleUnitHead), &parscoringv1.CreateCriteriaSetRequest{CriteriaSet: qd2948(t)}, wait)
		if code(err) != codes.PermissionDenied {
			t.Errorf("err = %v, want PermissionDenied", err)
		}
	})

	t.Run("invalid tree", func(t *testing.T) {
		set := qd2948(t)
		// Field 3 (14.50) given criteria adding to 14.00, one of them hung on a field
		// that does not exist: both problems come back at once.
		set.Nodes = append(set.Nodes,
			&parscoringv1.CriteriaNode{Code: "3.1", ParentCode: "3", Name: "Tiêu chí thử nghiệm", MaxPoints: "14"},
			&parscoringv1.CriteriaNode{Code: "9.1", ParentCode: "9", Name: "Tiêu chí thử nghiệm", MaxPoints: "1"},
		)
		_, err := h.client.CreateCriteriaSet(h.as(t, auth.RoleSecretariat), &parscoringv1.CreateCriteriaSetRequest{CriteriaSet: set}, wait)
		if code(err) != codes.InvalidArgument {
			t.Fatalf("err = %v, want InvalidArgument", err)
		}
		var fields []string
		for _, v := range apierr.Violations(err) {
			fields = append(fields, v.Field)
		}
		want := []string{"criteria_set.nodes[9].parent_code", "criteria_set.nodes[2].max_points"}
		if diff := cmp.Diff(want, fields); diff != "" {
			t.Errorf("violations (-want +got):\n%s", diff)
		}
	})

	var created *parscoringv1.CriteriaSet
	t.Run("create", func(t *testing.T) {
		res, err := h.client.CreateCriteriaSet(h.as(t, auth.RoleSecretariat), &parscoringv1.CreateCriteriaSetRequest{CriteriaSet: qd2948(t)}, wait)
		if err != nil {
			t.Fatalf("CreateCriteriaSet: %v", err)
		}
		created = res.GetCriteriaSet()
		if created.GetId() == "" || created.GetMaxPoints() != "100.00" || created.GetNodes()[2].GetMaxPoints() != "14.50" ||
			created.GetNodes()[7].GetPosition() != 8 {
			t.Errorf("created %v", created)
		}

		// The event, relayed from the outbox, is on the PARSCORING stream.
		msg := nextEvent(t, h.js, "parscoring.v1.criteria_set.created")
		if msg.Headers().Get(jetstream.MsgIDHeader) == "" {
			t.Error("event has no Nats-Msg-Id")
		}
		if got := msg.Headers().Get(outbox.HeaderEventType); got != "par.parscoring.v1.CriteriaSetCreated" {
			t.Errorf("Par-Event-Type = %q", got)
		}
		var ev parscoringv1.CriteriaSetCreated
		if err := proto.Unmarshal(msg.Data(), &ev); err != nil {
			t.Fatal(err)
		}
		want := proto.Clone(created).(*parscoringv1.CriteriaSet)
		want.Nodes = nil
		if diff := cmp.Diff(want, ev.GetCriteriaSet(), protocmp.Transform()); diff != "" {
			t.Errorf("event (-want +got):\n%s", diff)
		}
	})
	if created == nil {
		t.FailNow()
	}

	t.Run("read by any role", func(t *testing.T) {
		ctx := h.as(t, auth.RoleUnitStaff)
		got, err := h.client.GetCriteriaSet(ctx, &parscoringv1.GetCriteriaSetRequest{CriteriaSetId: created.GetId()})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(created, got.GetCriteriaSet(), protocmp.Transform()); diff != "" {
			t.Errorf("get (-want +got):\n%s", diff)
		}
		list, err := h.client.ListCriteriaSets(ctx, &parscoringv1.ListCriteriaSetsRequest{Year: 2017, SubjectKind: "province"})
		if err != nil {
			t.Fatal(err)
		}
		if len(list.GetCriteriaSets()) != 1 || list.GetCriteriaSets()[0].GetId() != created.GetId() || len(list.GetCriteriaSets()[0].GetNodes()) != 0 {
			t.Errorf("list %v", list)
		}
	})

	t.Run("same decision twice", func(t *testing.T) {
		_, err := h.client.CreateCriteriaSet(h.as(t, auth.RoleService), &parscoringv1.CreateCriteriaSetRequest{CriteriaSet: qd2948(t)})
		if code(err) != codes.AlreadyExists {
			t.Errorf("err = %v, want AlreadyExists", err)
		}
	})

	t.Run("not found", func(t *testing.T) {
		_, err := h.client.GetCriteriaSet(h.as(t, auth.RoleLeadership), &parscoringv1.GetCriteriaSetRequest{CriteriaSetId: "0190a000-0000-7000-8000-000000000000"})
		if code(err) != codes.NotFound {
			t.Errorf("err = %v, want NotFound", err)
		}
	})
}

// nextEvent returns the first message on subject in the PARSCORING stream, waiting for
// the relay.
func nextEvent(t *testing.T, js jetstream.JetStream, subject string) jetstream.Msg {
	t.Helper()
	return svctest.NextEvent(t, js, "parscoring", subject)
}
