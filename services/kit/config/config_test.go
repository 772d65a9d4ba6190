package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

type authConfig struct {
	JWKSURL  string `env:"AUTH_JWKS_URL"`
	Issuer   string `env:"AUTH_ISSUER" default:"par-dev"`
	Audience string `env:"AUTH_AUDIENCE" default:"par-platform"`
}

type testConfig struct {
	GRPCAddr     string        `env:"GRPC_ADDR" default:"127.0.0.1:9101"`
	DatabaseURL  string        `env:"DATABASE_URL" required:"true" secret:"true"`
	NATSURL      string        `env:"NATS_URL" default:"nats://127.0.0.1:4222"`
	ServiceToken string        `env:"SERVICE_TOKEN" secret:"true"`
	Workers      int           `env:"WORKERS" default:"4"`
	MaxRows      int64         `env:"MAX_ROWS" default:"10000"`
	Debug        bool          `env:"DEBUG" default:"false"`
	Timeout      time.Duration `env:"TIMEOUT" default:"5s"`
	Ratio        float64       `env:"RATIO" default:"0.5"`
	Origins      []string      `env:"ORIGINS"`
	Auth         authConfig
	internal     string //nolint:unused // unexported fields are ignored
}

func lookupMap(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

func TestLoad(t *testing.T) {
	env := map[string]string{
		"DATABASE_URL":  "postgres://par:s3cret@127.0.0.1:5432/par_directory",
		"WORKERS":       "8",
		"DEBUG":         "true",
		"TIMEOUT":       "1m30s",
		"RATIO":         "0.75",
		"ORIGINS":       " http://a.example , ,http://b.example",
		"AUTH_ISSUER":   "https://id.example",
		"SERVICE_TOKEN": "", // empty counts as unset
	}
	var got testConfig
	if err := LoadFrom(lookupMap(env), &got); err != nil {
		t.Fatalf("LoadFrom: %v", err)
	}
	want := testConfig{
		GRPCAddr:    "127.0.0.1:9101",
		DatabaseURL: "postgres://par:s3cret@127.0.0.1:5432/par_directory",
		NATSURL:     "nats://127.0.0.1:4222",
		Workers:     8,
		MaxRows:     10000,
		Debug:       true,
		Timeout:     90 * time.Second,
		Ratio:       0.75,
		Origins:     []string{"http://a.example", "http://b.example"},
		Auth:        authConfig{Issuer: "https://id.example", Audience: "par-platform"},
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(testConfig{})); diff != "" {
		t.Errorf("LoadFrom (-want +got):\n%s", diff)
	}
}

func TestLoadFromProcessEnvironment(t *testing.T) {
	t.Setenv("DATABASE_URL", "postgres://u@h/db")
	t.Setenv("GRPC_ADDR", "127.0.0.1:0")
	var got testConfig
	if err := Load(&got); err != nil {
		t.Fatalf("Load: %v", err)
	}
	if got.GRPCAddr != "127.0.0.1:0" || got.DatabaseURL != "postgres://u@h/db" {
		t.Errorf("Load read %+v", got)
	}
}

func TestLoadReportsEveryProblem(t *testing.T) {
	env := map[string]string{
		"WORKERS":  "many",
		"MAX_ROWS": "99999999999999999999",
		"DEBUG":    "yes please",
		"TIMEOUT":  "5",
		"RATIO":    "half",
	}
	var cfg testConfig
	err := LoadFrom(lookupMap(env), &cfg)
	var cerr *Error
	if !errors.As(err, &cerr) {
		t.Fatalf("LoadFrom error = %v, want *config.Error", err)
	}
	var vars []string
	for _, p := range cerr.Problems {
		vars = append(vars, p.Var)
	}
	want := []string{"DATABASE_URL", "WORKERS", "MAX_ROWS", "DEBUG", "TIMEOUT", "RATIO"}
	if diff := cmp.Diff(want, vars); diff != "" {
		t.Errorf("problem variables (-want +got):\n%s", diff)
	}
	if !errors.Is(err, ErrMissing) {
		t.Errorf("errors.Is(err, ErrMissing) = false for %v", err)
	}
	for _, v := range want {
		if !strings.Contains(err.Error(), v) {
			t.Errorf("error message %q does not name %s", err, v)
		}
	}
}

func TestLoadDoesNotEchoInvalidSecrets(t *testing.T) {
	type cfg struct {
		Port int `env:"PIN" secret:"true"`
	}
	err := LoadFrom(lookupMap(map[string]string{"PIN": "hunter2"}), &cfg{})
	if err == nil {
		t.Fatal("LoadFrom accepted a non-integer")
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Errorf("error %q leaks the secret value", err)
	}
}

func TestLoadRejectsBadDestinations(t *testing.T) {
	type unsupported struct {
		When time.Time `env:"WHEN"`
	}
	tests := []struct {
		name string
		dst  any
	}{
		{"non-pointer", testConfig{}},
		{"nil pointer", (*testConfig)(nil)},
		{"pointer to non-struct", new(int)},
		{"unsupported field type", &unsupported{}},
	}
	for _, tt := range tests {
		if err := LoadFrom(lookupMap(nil), tt.dst); err == nil {
			t.Errorf("%s: LoadFrom returned nil error", tt.name)
		}
	}
}

func TestMasked(t *testing.T) {
	cfg := testConfig{
		GRPCAddr:     "127.0.0.1:9101",
		DatabaseURL:  "postgres://par:s3cret@127.0.0.1/par_directory",
		NATSURL:      "nats://user:natspass@127.0.0.1:4222",
		ServiceToken: "eyJhbGciOi.secret.token",
		Workers:      4,
		Timeout:      5 * time.Second,
		Origins:      []string{"https://a.example", "https://u:pw@b.example"},
		Auth:         authConfig{JWKSURL: "https://id.example/jwks?password=leak"},
	}
	got := Masked(&cfg)
	want := map[string]string{
		"GRPC_ADDR":     "127.0.0.1:9101",
		"DATABASE_URL":  "***",
		"NATS_URL":      "nats://user:***@127.0.0.1:4222",
		"SERVICE_TOKEN": "***",
		"WORKERS":       "4",
		"MAX_ROWS":      "0",
		"DEBUG":         "false",
		"TIMEOUT":       "5s",
		"RATIO":         "0",
		"ORIGINS":       "https://a.example,https://u:***@b.example",
		"AUTH_JWKS_URL": "https://id.example/jwks?password=***",
		"AUTH_ISSUER":   "",
		"AUTH_AUDIENCE": "",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Masked (-want +got):\n%s", diff)
	}
}

func TestMaskURLPasswords(t *testing.T) {
	tests := []struct{ in, want string }{
		{"postgres://u:p@h/db", "postgres://u:***@h/db"},
		{"postgres://u:p%40ss@h:5432/db?sslmode=disable", "postgres://u:***@h:5432/db?sslmode=disable"},
		{"postgres://u@h/db", "postgres://u@h/db"},
		{"postgres://h/db", "postgres://h/db"},
		{"host=h user=u password='a b' dbname=x", "host=h user=u password=*** dbname=x"},
		{"host=h PASSWORD=abc", "host=h PASSWORD=***"},
		{"postgres://u:p@h1,h2/db", "postgres://u:***@h1,h2/db"},
		{"plain value", "plain value"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := MaskURLPasswords(tt.in); got != tt.want {
			t.Errorf("MaskURLPasswords(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestLogValue(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	cfg := testConfig{DatabaseURL: "postgres://u:topsecret@h/db", NATSURL: "nats://a:natspw@h"}
	log.Info("config", "config", LogValue(cfg))
	if strings.Contains(buf.String(), "topsecret") || strings.Contains(buf.String(), "natspw") {
		t.Fatalf("log line leaks a secret: %s", buf.String())
	}
	var line struct {
		Config map[string]string `json:"config"`
	}
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("log line is not JSON: %v: %s", err, buf.String())
	}
	if got := line.Config["DATABASE_URL"]; got != Mask {
		t.Errorf("DATABASE_URL logged as %q, want %q", got, Mask)
	}
	if got := line.Config["NATS_URL"]; got != "nats://a:***@h" {
		t.Errorf("NATS_URL logged as %q", got)
	}
}
