package logx

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

func decodeLines(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for line := range strings.SplitSeq(strings.TrimSpace(buf.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line is not JSON: %v: %s", err, line)
		}
		out = append(out, m)
	}
	return out
}

func TestTraceIDsFromContext(t *testing.T) {
	tp := sdktrace.NewTracerProvider()
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	ctx, span := tp.Tracer("test").Start(t.Context(), "op")
	defer span.End()
	sc := span.SpanContext()

	var buf bytes.Buffer
	log := NewWithWriter(&buf, "directory", slog.LevelInfo)
	log.InfoContext(ctx, "with span", "unit", "u1")
	log.Info("without span")
	log.With("k", "v").InfoContext(ctx, "derived logger")
	log.DebugContext(ctx, "below level")

	lines := decodeLines(t, &buf)
	if len(lines) != 3 {
		t.Fatalf("got %d lines, want 3: %s", len(lines), buf.String())
	}
	type ids struct{ Service, Trace, Span any }
	got := make([]ids, len(lines))
	for i, l := range lines {
		got[i] = ids{l[ServiceKey], l[TraceIDKey], l[SpanIDKey]}
	}
	want := []ids{
		{"directory", sc.TraceID().String(), sc.SpanID().String()},
		{"directory", nil, nil},
		{"directory", sc.TraceID().String(), sc.SpanID().String()},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ids per line (-want +got):\n%s", diff)
	}
	if lines[0]["unit"] != "u1" || lines[2]["k"] != "v" {
		t.Errorf("record attributes lost: %v", lines)
	}
}

func TestParseLevel(t *testing.T) {
	tests := []struct {
		in      string
		want    slog.Level
		wantErr bool
	}{
		{"", slog.LevelInfo, false},
		{"debug", slog.LevelDebug, false},
		{"INFO", slog.LevelInfo, false},
		{"warn", slog.LevelWarn, false},
		{"Warning", slog.LevelWarn, false},
		{"error", slog.LevelError, false},
		{" info ", slog.LevelInfo, false},
		{"verbose", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseLevel(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseLevel(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}
