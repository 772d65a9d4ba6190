package grpcserver_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	reflectionalphapb "google.golang.org/grpc/reflection/grpc_reflection_v1alpha"
	"google.golang.org/grpc/status"

	"github.com/parindex/platform/services/kit/apierr"
	"github.com/parindex/platform/services/kit/auth"
	"github.com/parindex/platform/services/kit/auth/authtest"
	"github.com/parindex/platform/services/kit/grpcserver"
	"github.com/parindex/platform/services/kit/logx"
)

func TestMain(m *testing.M) {
	// A recording provider, as otelx.Setup installs, so calls get trace ids to log.
	tp := sdktrace.NewTracerProvider()
	otel.SetTracerProvider(tp)
	code := m.Run()
	_ = tp.Shutdown(context.Background())
	os.Exit(code)
}

// logBuffer is a bytes.Buffer safe for the server's goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// records returns the JSON log records with the given message.
func (b *logBuffer) records(t *testing.T, msg string) []map[string]any {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	for line := range strings.SplitSeq(strings.TrimSpace(b.buf.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line is not JSON: %s", line)
		}
		if rec["msg"] == msg {
			out = append(out, rec)
		}
	}
	return out
}

type fixture struct {
	echo   echoTypes
	signer *auth.Signer
	addr   string
	logs   *logBuffer
	cancel context.CancelFunc
	served chan error
}

func start(t *testing.T) *fixture {
	t.Helper()
	signer, verifier := authtest.NewIssuer(t)
	logs := &logBuffer{}
	srv, hs := grpcserver.New(grpcserver.Options{
		Service:  "kittest",
		Log:      logx.NewWithWriter(logs, "kittest", slog.LevelDebug),
		Verifier: verifier,
	})
	echo := newEchoTypes(t)
	echo.register(srv)

	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	f := &fixture{echo: echo, signer: signer, addr: lis.Addr().String(), logs: logs, cancel: cancel, served: make(chan error, 1)}
	go func() { f.served <- grpcserver.Serve(ctx, srv, hs, lis) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-f.served:
		case <-time.After(grpcserver.GracePeriod + 5*time.Second):
			t.Error("Serve did not return after cancel")
		}
	})
	return f
}

func (f *fixture) conn(t *testing.T, token string) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient(f.addr,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithPerRPCCredentials(auth.PerRPCCredentials{ServiceToken: token}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

func (f *fixture) token(t *testing.T, subject string) string {
	return authtest.Token(t, f.signer, auth.Principal{Subject: subject, Roles: []string{auth.RoleUnitStaff}})
}

func callCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestAuthentication(t *testing.T) {
	f := start(t)
	tests := []struct {
		name        string
		token       string
		wantCode    codes.Code
		wantSubject string
	}{
		{"no token", "", codes.Unauthenticated, ""},
		{"bad token", "not-a-jwt", codes.Unauthenticated, ""},
		{"valid token", f.token(t, "user-7"), codes.OK, "user-7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := f.echo.newResp()
			err := f.conn(t, tt.token).Invoke(callCtx(t), echoMethod, f.echo.newReq("Sở Nội vụ", 2025), resp)
			if got := status.Code(err); got != tt.wantCode {
				t.Fatalf("code = %v (%v), want %v", got, err, tt.wantCode)
			}
			if err != nil {
				if msg := status.Convert(err).Message(); !strings.HasPrefix(msg, "Chưa xác thực") {
					t.Errorf("message = %q, want the Vietnamese unauthenticated message", msg)
				}
				return
			}
			if got := str(resp, "subject"); got != tt.wantSubject {
				t.Errorf("handler saw subject %q, want %q", got, tt.wantSubject)
			}
			if got := str(resp, "name"); got != "Sở Nội vụ" {
				t.Errorf("echoed name %q", got)
			}
		})
	}
}

func TestCallLog(t *testing.T) {
	f := start(t)
	conn := f.conn(t, f.token(t, "user-9"))
	if err := conn.Invoke(callCtx(t), echoMethod, f.echo.newReq("a", 2025), f.echo.newResp()); err != nil {
		t.Fatal(err)
	}
	_ = f.conn(t, "").Invoke(callCtx(t), echoMethod, f.echo.newReq("a", 2025), f.echo.newResp())

	recs := f.logs.records(t, "grpc call")
	var echoRecs []map[string]any
	for _, r := range recs {
		if r["grpc.method"] == echoMethod {
			echoRecs = append(echoRecs, r)
		}
	}
	if len(echoRecs) != 2 {
		t.Fatalf("%d call lines for %s, want 2: %v", len(echoRecs), echoMethod, recs)
	}
	ok, denied := echoRecs[0], echoRecs[1]
	if ok["grpc.code"] != "OK" || ok["sub"] != "user-9" || ok["service"] != "kittest" || ok["level"] != "INFO" {
		t.Errorf("OK call line = %v", ok)
	}
	if _, has := ok["duration_ms"].(float64); !has {
		t.Errorf("OK call line has no duration_ms: %v", ok)
	}
	if id, _ := ok["trace_id"].(string); len(id) != 32 {
		t.Errorf("OK call line has no trace_id: %v", ok)
	}
	if denied["grpc.code"] != "Unauthenticated" || denied["sub"] != nil {
		t.Errorf("denied call line = %v", denied)
	}
}

func TestPanicBecomesInternalAndServerSurvives(t *testing.T) {
	f := start(t)
	conn := f.conn(t, f.token(t, "user-1"))

	err := conn.Invoke(callCtx(t), panicMethod, f.echo.newReq("x", 2025), f.echo.newResp())
	st := status.Convert(err)
	if st.Code() != codes.Internal || st.Message() != apierr.InternalMessage {
		t.Fatalf("panic answered %v %q, want Internal %q", st.Code(), st.Message(), apierr.InternalMessage)
	}
	if strings.Contains(err.Error(), "nil map") {
		t.Errorf("client error %q reveals the panic", err)
	}

	if err := conn.Invoke(callCtx(t), echoMethod, f.echo.newReq("x", 2025), f.echo.newResp()); err != nil {
		t.Fatalf("call after panic: %v", err)
	}

	panics := f.logs.records(t, "panic in gRPC handler")
	if len(panics) != 1 {
		t.Fatalf("%d panic log lines, want 1", len(panics))
	}
	if p, _ := panics[0]["panic"].(string); !strings.Contains(p, "nil map") {
		t.Errorf("panic logged as %q", p)
	}
	if s, _ := panics[0]["stack"].(string); !strings.Contains(s, "echo_test.go") {
		t.Errorf("logged stack does not reach the panicking handler:\n%s", s)
	}
	var panicCall map[string]any
	for _, r := range f.logs.records(t, "grpc call") {
		if r["grpc.method"] == panicMethod {
			panicCall = r
		}
	}
	if panicCall["grpc.code"] != "Internal" || panicCall["level"] != "ERROR" {
		t.Errorf("panicking call logged as %v", panicCall)
	}
}

func TestValidation(t *testing.T) {
	f := start(t)
	conn := f.conn(t, f.token(t, "user-1"))
	tests := []struct {
		name string
		req  func() any
		want []apierr.FieldViolation
	}{
		{name: "valid", req: func() any { return f.echo.newReq("Tuyên Quang", 2025, "TQ") }},
		{
			name: "every field wrong",
			req:  func() any { return f.echo.newReq("", 1999, "OK", "bad") },
			want: []apierr.FieldViolation{
				{Field: "name", Description: "phải có ít nhất 1 ký tự", Rule: "string.min_len"},
				{Field: "year", Description: "phải từ 2020 đến 2100", Rule: "int32.gte_lte"},
				{Field: "codes[1]", Description: "không đúng định dạng quy định (mẫu `^[A-Z]+$`)", Rule: "string.pattern"},
			},
		},
		{
			name: "too long",
			req:  func() any { return f.echo.newReq("Ủy ban nhân dân tỉnh Tuyên Quang", 2025) },
			want: []apierr.FieldViolation{{Field: "name", Description: "không được dài quá 20 ký tự", Rule: "string.max_len"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := conn.Invoke(callCtx(t), echoMethod, tt.req(), f.echo.newResp())
			if tt.want == nil {
				if err != nil {
					t.Fatalf("valid request refused: %v", err)
				}
				return
			}
			st := status.Convert(err)
			if st.Code() != codes.InvalidArgument || st.Message() != apierr.InvalidArgumentMessage {
				t.Fatalf("status = %v %q, want InvalidArgument", st.Code(), st.Message())
			}
			if diff := cmp.Diff(tt.want, apierr.Violations(err)); diff != "" {
				t.Errorf("BadRequest field violations (-want +got):\n%s", diff)
			}
			recs := f.logs.records(t, "grpc call")
			last := recs[len(recs)-1]
			if logged, _ := last["violations"].([]any); len(logged) != len(tt.want) {
				t.Errorf("call line logs violations %v, want %d", last["violations"], len(tt.want))
			}
		})
	}
}

func TestStreams(t *testing.T) {
	f := start(t)
	conn := f.conn(t, f.token(t, "user-1"))

	names, err := f.echo.repeat(callCtx(t), conn, f.echo.newReq("Đồng Nai", 2023))
	if err != nil {
		t.Fatalf("Repeat: %v", err)
	}
	if diff := cmp.Diff([]string{"Đồng Nai", "Đồng Nai", "Đồng Nai"}, names); diff != "" {
		t.Errorf("streamed names (-want +got):\n%s", diff)
	}

	_, err = f.echo.repeat(callCtx(t), conn, f.echo.newReq("", 2023))
	if status.Code(err) != codes.InvalidArgument || len(apierr.Violations(err)) != 1 {
		t.Errorf("invalid stream request: %v, want InvalidArgument with one violation", err)
	}

	_, err = f.echo.repeat(callCtx(t), f.conn(t, ""), f.echo.newReq("x", 2023))
	if status.Code(err) != codes.Unauthenticated {
		t.Errorf("stream without token: %v, want Unauthenticated", err)
	}
}

func TestHealthAndReflectionArePublic(t *testing.T) {
	f := start(t)
	conn := f.conn(t, "") // no token

	health := healthpb.NewHealthClient(conn)
	for _, service := range []string{"", echoService} {
		resp, err := health.Check(callCtx(t), &healthpb.HealthCheckRequest{Service: service})
		if err != nil {
			t.Fatalf("Check(%q): %v", service, err)
		}
		if resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			t.Errorf("Check(%q) = %v, want SERVING", service, resp.GetStatus())
		}
	}

	want := []string{
		"grpc.health.v1.Health",
		"grpc.reflection.v1.ServerReflection",
		"grpc.reflection.v1alpha.ServerReflection",
		echoService,
	}
	stream, err := reflectionpb.NewServerReflectionClient(conn).ServerReflectionInfo(callCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(&reflectionpb.ServerReflectionRequest{
		MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{},
	}); err != nil {
		t.Fatal(err)
	}
	resp, err := stream.Recv()
	if err != nil {
		t.Fatalf("reflection v1: %v", err)
	}
	var got []string
	for _, s := range resp.GetListServicesResponse().GetService() {
		got = append(got, s.GetName())
	}
	slices.Sort(got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("reflection v1 services (-want +got):\n%s", diff)
	}

	alpha, err := reflectionalphapb.NewServerReflectionClient(conn).ServerReflectionInfo(callCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := alpha.Send(&reflectionalphapb.ServerReflectionRequest{
		MessageRequest: &reflectionalphapb.ServerReflectionRequest_ListServices{},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := alpha.Recv(); err != nil {
		t.Errorf("reflection v1alpha: %v", err)
	}

	// Health calls are routine: logged at debug, not info.
	for _, r := range f.logs.records(t, "grpc call") {
		if grpcserver.IsHealthOrReflection(r["grpc.method"].(string)) && r["level"] != "DEBUG" {
			t.Errorf("health/reflection call logged at %v", r["level"])
		}
	}
}

func TestServeStopsGracefully(t *testing.T) {
	f := start(t)
	conn := f.conn(t, "")
	watchCtx, stopWatch := context.WithCancel(callCtx(t))
	defer stopWatch()
	watch, err := healthpb.NewHealthClient(conn).Watch(watchCtx, &healthpb.HealthCheckRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if resp, err := watch.Recv(); err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("first Watch status = %v, %v; want SERVING", resp.GetStatus(), err)
	}

	f.cancel()
	// Watchers learn about the shutdown before connections close, so they can drain.
	resp, err := watch.Recv()
	if err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_NOT_SERVING {
		t.Fatalf("Watch after cancel = %v, %v; want NOT_SERVING", resp.GetStatus(), err)
	}
	// The open Watch holds the graceful stop; once the client lets go, Serve returns.
	stopWatch()
	select {
	case err := <-f.served:
		if err != nil {
			t.Fatalf("Serve returned %v, want nil", err)
		}
		f.served <- nil // for the cleanup
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return after the last call ended")
	}
	if err := conn.Invoke(callCtx(t), echoMethod, f.echo.newReq("x", 2025), f.echo.newResp()); status.Code(err) != codes.Unavailable {
		t.Errorf("call after stop: %v, want Unavailable", err)
	}
}

func TestServeReportsListenerFailure(t *testing.T) {
	_, v := authtest.NewIssuer(t)
	srv, hs := grpcserver.New(grpcserver.Options{Verifier: v, Log: slog.New(slog.DiscardHandler)})
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	lis.Close() // Serve's Accept fails at once
	if err := grpcserver.Serve(callCtx(t), srv, hs, lis); err == nil {
		t.Error("Serve on a closed listener returned nil")
	}
}

func TestNewRequiresVerifier(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("New without a Verifier did not panic")
		}
	}()
	grpcserver.New(grpcserver.Options{})
}

func TestPublicOption(t *testing.T) {
	_, v := authtest.NewIssuer(t)
	srv, hs := grpcserver.New(grpcserver.Options{
		Verifier: v,
		Log:      slog.New(slog.DiscardHandler),
		Public:   func(m string) bool { return m == echoMethod },
	})
	echo := newEchoTypes(t)
	echo.register(srv)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- grpcserver.Serve(ctx, srv, hs, lis) }()
	defer func() { cancel(); <-done }()

	f := &fixture{addr: lis.Addr().String()}
	conn := f.conn(t, "")
	if err := conn.Invoke(callCtx(t), echoMethod, echo.newReq("x", 2025), echo.newResp()); err != nil {
		t.Errorf("public method without token: %v", err)
	}
	if err := conn.Invoke(callCtx(t), panicMethod, echo.newReq("x", 2025), echo.newResp()); status.Code(err) != codes.Unauthenticated {
		t.Errorf("non-public method without token: %v, want Unauthenticated", err)
	}
}
