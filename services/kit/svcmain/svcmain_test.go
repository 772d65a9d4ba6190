package svcmain

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"testing"
)

type serverConfig struct {
	DatabaseURL string `env:"SVCMAIN_TEST_DATABASE_URL" required:"true" secret:"true"`
}

func TestRunPassesConfigAndListener(t *testing.T) {
	t.Setenv("SVCMAIN_TEST_DATABASE_URL", "postgres://u:secret@127.0.0.1/db")
	t.Setenv("GRPC_ADDR", "127.0.0.1:0")
	var got serverConfig
	var addr net.Addr
	err := Run(t.Context(), "test", "127.0.0.1:1", func(_ context.Context, cfg serverConfig, _ *slog.Logger, lis net.Listener) error {
		got, addr = cfg, lis.Addr()
		return lis.Close()
	})
	if err != nil {
		t.Fatal(err)
	}
	if got.DatabaseURL != "postgres://u:secret@127.0.0.1/db" {
		t.Errorf("server config = %+v", got)
	}
	if a, ok := addr.(*net.TCPAddr); !ok || a.Port == 0 {
		t.Errorf("listener address = %v, want a bound loopback port", addr)
	}
}

func TestRunReportsConfigProblemsBeforeServing(t *testing.T) {
	t.Setenv("SVCMAIN_TEST_DATABASE_URL", "")
	called := false
	err := Run(t.Context(), "test", "127.0.0.1:0", func(context.Context, serverConfig, *slog.Logger, net.Listener) error {
		called = true
		return nil
	})
	if err == nil || !strings.Contains(err.Error(), "SVCMAIN_TEST_DATABASE_URL") {
		t.Errorf("err = %v, want one naming the missing variable", err)
	}
	if called {
		t.Error("server ran without its configuration")
	}
}

func TestRunReturnsServeError(t *testing.T) {
	t.Setenv("SVCMAIN_TEST_DATABASE_URL", "postgres://x")
	t.Setenv("GRPC_ADDR", "127.0.0.1:0")
	boom := errors.New("boom")
	err := Run(t.Context(), "test", "", func(_ context.Context, _ serverConfig, _ *slog.Logger, lis net.Listener) error {
		_ = lis.Close()
		return boom
	})
	if !errors.Is(err, boom) {
		t.Errorf("err = %v, want boom", err)
	}
}
