// Command devstack runs the whole platform on one machine (`make run`) and mints development
// tokens (`make token`).
//
//	devstack run    [-data .data] [-bin bin]
//	devstack token  [-data .data] [-subject s] [-unit-id id] [-roles r1,r2] [-ttl 12h]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/parindex/platform/services/kit/auth"
	"github.com/parindex/platform/services/kit/grpcclient"

	"github.com/parindex/platform/deploy/devstack/demo"
	"github.com/parindex/platform/deploy/devstack/stack"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: devstack run|token [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "run":
		err = run(ctx, os.Args[2:])
	case "token":
		err = token(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q (run, token)", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "devstack:", err)
		stop()
		os.Exit(1)
	}
}

// repoRoot finds the folder holding go.work, so `.data` lands in the repository whatever the
// working directory.
func repoRoot() string {
	dir, err := os.Getwd()
	if err != nil {
		return "."
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.work")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return dir
		}
	}
}

func run(ctx context.Context, args []string) error {
	root := repoRoot()
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	dataDir := fs.String("data", filepath.Join(root, ".data"), "folder for the database, the NATS store, keys and logs")
	binDir := fs.String("bin", filepath.Join(root, "bin"), "folder of the built programs")
	gwPort := fs.Int("http-port", 8080, "gateway port")
	if err := fs.Parse(args); err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))

	opts := stack.Options{
		DataDir:      *dataDir,
		BinDir:       *binDir,
		DatabaseURL:  os.Getenv("DATABASE_URL"),
		NATSURL:      os.Getenv("NATS_URL"),
		PostgresPort: 55432,
		NATSPort:     4222,
		IssuerPort:   8079,
		GatewayPort:  *gwPort,
		GRPCPorts: map[string]int{
			"directory": 9101, "tasktracking": 9102, "parscoring": 9103, "accountability": 9104, "notification": 9105,
		},
		Log: log,
	}
	fmt.Println("Đang khởi động nền tảng CCHC (PostgreSQL, NATS JetStream, 5 dịch vụ, gateway)…")
	st, err := stack.Start(ctx, opts)
	if err != nil {
		return err
	}
	defer func() {
		fmt.Println("\nĐang dừng…")
		sctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		if err := st.Stop(sctx); err != nil {
			log.Error("stop", slog.Any("error", err))
		}
		fmt.Println("Đã dừng. Dữ liệu được giữ trong", *dataDir)
	}()

	// Demo data through the public APIs, with a secretariat token of the dev issuer.
	loader, err := st.Signer().Mint(auth.Principal{Subject: "service:demo-loader", Name: "Nạp dữ liệu mẫu", Roles: []string{auth.RoleSecretariat, auth.RoleService}}, stack.Audience, time.Hour)
	if err != nil {
		return err
	}
	creds := auth.PerRPCCredentials{ServiceToken: loader}
	dirConn, err := grpcclient.Dial(st.GRPCAddr("directory"), creds)
	if err != nil {
		return err
	}
	defer dirConn.Close()
	taskConn, err := grpcclient.Dial(st.GRPCAddr("tasktracking"), creds)
	if err != nil {
		return err
	}
	defer taskConn.Close()
	sum, err := demo.Load(ctx, log, dirConn, taskConn)
	if err != nil {
		return fmt.Errorf("demo data: %w", err)
	}
	if _, err := demo.LoadTargets(ctx, log, sum.UnitIDs, taskConn); err != nil {
		return fmt.Errorf("demo targets: %w", err)
	}
	scoringConn, err := grpcclient.Dial(st.GRPCAddr("parscoring"), creds)
	if err != nil {
		return err
	}
	defer scoringConn.Close()
	res, err := demo.LoadResults(ctx, log, dirConn, scoringConn)
	if err != nil {
		return fmt.Errorf("demo results: %w", err)
	}
	fmt.Printf("Kết quả PAR INDEX công bố (không cần đăng nhập): %s/v1/published/units/%s/scorecards/2023\n", st.GatewayURL(), res.UnitID)

	// A dev token for a secretariat user of the Department of Home Affairs.
	snv := sum.UnitIDs["TQ-SNV"]
	tok, err := st.Signer().Mint(auth.Principal{Subject: "snv.cv01", Name: "Chuyên viên Sở Nội vụ", UnitID: snv, Roles: []string{auth.RoleSecretariat}}, stack.Audience, 12*time.Hour)
	if err != nil {
		return err
	}

	fmt.Printf(`
Nền tảng CCHC đã sẵn sàng.

  Gateway (REST):    %s
  OpenAPI:           %s/openapi.json
  gRPC:              directory %s · tasktracking %s · parscoring %s · accountability %s · notification %s
  NATS JetStream:    %s
  JWKS (dev issuer): %s
  Nhật ký (logs):    %s
  Dữ liệu mẫu:       %d đơn vị, %d nhiệm kỳ, %d người dùng, %d văn bản mới nạp (0 = đã có từ lần chạy trước)

Dev token (Sở Nội vụ, vai trò secretariat, 12 giờ):

export TOKEN=%s

  curl -s -H "Authorization: Bearer $TOKEN" '%s/v1/units?query=so%%20noi%%20vu'
  curl -s -H "Authorization: Bearer $TOKEN" '%s/v1/units/%s/inbox-items'
  make token ARGS="-unit-id <unit id> -roles unit_head"   # token khác

Nhấn Ctrl-C để dừng.
`,
		st.GatewayURL(), st.GatewayURL(),
		st.GRPCAddr("directory"), st.GRPCAddr("tasktracking"), st.GRPCAddr("parscoring"), st.GRPCAddr("accountability"), st.GRPCAddr("notification"),
		st.NATSURL(), st.JWKSURL(), filepath.Join(*dataDir, "logs"),
		sum.Units, sum.Heads, sum.Users, sum.Documents,
		tok, st.GatewayURL(), st.GatewayURL(), snv)

	<-ctx.Done()
	return nil
}

// token mints a token with the dev signing key that `make run` created.
func token(args []string) error {
	root := repoRoot()
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	dataDir := fs.String("data", filepath.Join(root, ".data"), "folder holding dev-signing-key.pem")
	subject := fs.String("subject", "dev.user", "sub claim")
	name := fs.String("name", "Người dùng thử", "display name")
	unitID := fs.String("unit-id", "", "unit_id claim (directory unit id)")
	roles := fs.String("roles", auth.RoleSecretariat, "comma-separated roles: secretariat, appraiser, leadership, unit_head, unit_staff, agency_system")
	ttl := fs.Duration("ttl", 12*time.Hour, "lifetime")
	if err := fs.Parse(args); err != nil {
		return err
	}
	keyFile := filepath.Join(*dataDir, "dev-signing-key.pem")
	if _, err := os.Stat(keyFile); errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("%s not found: run `make run` once first", keyFile)
	}
	signer, err := auth.LoadOrCreateSigner(keyFile, stack.Issuer)
	if err != nil {
		return err
	}
	tok, err := signer.Mint(auth.Principal{Subject: *subject, Name: *name, UnitID: *unitID, Roles: strings.Split(*roles, ",")}, stack.Audience, *ttl)
	if err != nil {
		return err
	}
	fmt.Println(tok)
	return nil
}
