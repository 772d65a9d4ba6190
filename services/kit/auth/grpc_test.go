package auth_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"github.com/parindex/platform/services/kit/auth"
	"github.com/parindex/platform/services/kit/auth/authtest"
)

// seen records what the interceptor put in the handler's context and the error it returned.
type seen struct {
	mu        sync.Mutex
	principal auth.Principal
	token     string
	err       error
}

func (s *seen) record(ctx context.Context, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.principal, _ = auth.FromContext(ctx)
	s.token, _ = auth.TokenFromContext(ctx)
	s.err = err
}

// startServer serves the gRPC health service behind the auth interceptors on loopback.
func startServer(t *testing.T, v auth.Verifier, public func(string) bool) (*grpc.ClientConn, *seen) {
	t.Helper()
	rec := &seen{}
	unaryRecorder := func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		rec.record(ctx, nil)
		return h(ctx, req)
	}
	// Outermost: sees the interceptor's error as a logging interceptor would.
	unaryErrors := func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		resp, err := h(ctx, req)
		if err != nil {
			rec.record(ctx, err)
		}
		return resp, err
	}
	srv := grpc.NewServer(
		grpc.ChainUnaryInterceptor(unaryErrors, auth.UnaryServerInterceptor(v, public), unaryRecorder),
		grpc.ChainStreamInterceptor(auth.StreamServerInterceptor(v, public)),
	)
	healthpb.RegisterHealthServer(srv, health.NewServer())
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	return dial(t, lis.Addr().String(), auth.PerRPCCredentials{}), rec
}

func dial(t *testing.T, target string, creds auth.PerRPCCredentials) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient(target,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithPerRPCCredentials(creds))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

func TestUnaryInterceptor(t *testing.T) {
	signer, v := authtest.NewIssuer(t)
	p := auth.Principal{Subject: "u1", UserID: "u1", UnitID: "so-tu-phap", Name: "Trần Văn Bình", Roles: []string{auth.RoleUnitHead}}
	good := authtest.Token(t, signer, p)
	otherSigner, _ := authtest.NewIssuer(t)
	forged := authtest.Token(t, otherSigner, p)

	conn, rec := startServer(t, v, nil)
	addr := conn.Target()

	tests := []struct {
		name     string
		creds    auth.PerRPCCredentials
		ctx      func(context.Context) context.Context
		wantCode codes.Code
		wantMsg  string
	}{
		{name: "no token", wantCode: codes.Unauthenticated, wantMsg: auth.MsgMissingToken},
		{name: "forged token", creds: auth.PerRPCCredentials{ServiceToken: forged}, wantCode: codes.Unauthenticated, wantMsg: auth.MsgInvalidToken},
		{name: "service token", creds: auth.PerRPCCredentials{ServiceToken: good}, wantCode: codes.OK},
		{
			name:     "token of the incoming call is forwarded before the service token",
			creds:    auth.PerRPCCredentials{ServiceToken: forged},
			ctx:      func(ctx context.Context) context.Context { return auth.WithToken(ctx, good) },
			wantCode: codes.OK,
		},
	}
	for name, tok := range authtest.RefusedTokens(t, signer, p) {
		tests = append(tests, struct {
			name     string
			creds    auth.PerRPCCredentials
			ctx      func(context.Context) context.Context
			wantCode codes.Code
			wantMsg  string
		}{name: name + " token", creds: auth.PerRPCCredentials{ServiceToken: tok}, wantCode: codes.Unauthenticated, wantMsg: auth.MsgInvalidToken})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := t.Context()
			if tt.ctx != nil {
				ctx = tt.ctx(ctx)
			}
			_, err := healthpb.NewHealthClient(dial(t, addr, tt.creds)).Check(ctx, &healthpb.HealthCheckRequest{})
			st := status.Convert(err)
			if st.Code() != tt.wantCode {
				t.Fatalf("code = %v (%v), want %v", st.Code(), err, tt.wantCode)
			}
			if tt.wantCode != codes.OK {
				if st.Message() != tt.wantMsg {
					t.Errorf("message = %q, want %q", st.Message(), tt.wantMsg)
				}
				return
			}
			rec.mu.Lock()
			defer rec.mu.Unlock()
			if diff := cmp.Diff(p, rec.principal); diff != "" {
				t.Errorf("principal in handler ctx (-want +got):\n%s", diff)
			}
			if rec.token != good {
				t.Error("raw token not in handler ctx")
			}
		})
	}

}

func TestInterceptorKeepsCauseForServerLog(t *testing.T) {
	otherSigner, _ := authtest.NewIssuer(t)
	_, v := authtest.NewIssuer(t)
	conn, rec := startServer(t, v, nil)
	forged := authtest.Token(t, otherSigner, auth.Principal{Subject: "x"})
	_, err := healthpb.NewHealthClient(dial(t, conn.Target(), auth.PerRPCCredentials{ServiceToken: forged})).Check(t.Context(), &healthpb.HealthCheckRequest{})
	if strings.Contains(err.Error(), "signature") {
		t.Errorf("client error %q reveals the reason", err)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if !errors.Is(rec.err, auth.ErrUnauthenticated) || !strings.Contains(rec.err.Error(), "signature") {
		t.Errorf("server-side error = %v, want the verification cause", rec.err)
	}
	if status.Code(rec.err) != codes.Unauthenticated {
		t.Errorf("server-side error code = %v", status.Code(rec.err))
	}
}

func TestPublicMethodSkipsAuth(t *testing.T) {
	_, v := authtest.NewIssuer(t)
	public := func(m string) bool { return m == healthpb.Health_Check_FullMethodName }
	conn, _ := startServer(t, v, public)
	client := healthpb.NewHealthClient(conn)

	if _, err := client.Check(t.Context(), &healthpb.HealthCheckRequest{}); err != nil {
		t.Errorf("public Check without token: %v", err)
	}
	// Watch is not public: the stream interceptor rejects it.
	stream, err := client.Watch(t.Context(), &healthpb.HealthCheckRequest{})
	if err == nil {
		_, err = stream.Recv()
	}
	if status.Code(err) != codes.Unauthenticated {
		t.Errorf("Watch without token: %v, want Unauthenticated", err)
	}
}

func TestStreamInterceptor(t *testing.T) {
	signer, v := authtest.NewIssuer(t)
	conn, _ := startServer(t, v, nil)
	tok := authtest.Token(t, signer, auth.Principal{Roles: []string{auth.RoleService}})
	client := healthpb.NewHealthClient(dial(t, conn.Target(), auth.PerRPCCredentials{ServiceToken: tok}))
	stream, err := client.Watch(t.Context(), &healthpb.HealthCheckRequest{})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := stream.Recv()
	if err != nil {
		t.Fatalf("Watch with token: %v", err)
	}
	if resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Errorf("status = %v", resp.GetStatus())
	}
}

func TestPerRPCCredentials(t *testing.T) {
	tests := []struct {
		name    string
		creds   auth.PerRPCCredentials
		ctx     context.Context
		want    map[string]string
		wantNil bool
	}{
		{"incoming token wins", auth.PerRPCCredentials{ServiceToken: "svc"}, auth.WithToken(context.Background(), "caller"), map[string]string{"authorization": "Bearer caller"}, false},
		{"service token otherwise", auth.PerRPCCredentials{ServiceToken: "svc"}, context.Background(), map[string]string{"authorization": "Bearer svc"}, false},
		{"nothing to send", auth.PerRPCCredentials{}, context.Background(), nil, true},
	}
	for _, tt := range tests {
		got, err := tt.creds.GetRequestMetadata(tt.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
	if (auth.PerRPCCredentials{}).RequireTransportSecurity() {
		t.Error("RequireTransportSecurity = true; loopback calls would fail")
	}
}
