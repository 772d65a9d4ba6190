// Package logx builds the structured logger every process uses: JSON lines on stdout,
// tagged with the service name, and with the trace and span ids of the request when a
// record is logged with its context — so a log line leads straight to its trace.
package logx

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"go.opentelemetry.io/otel/trace"
)

// Attribute keys added by this package.
const (
	ServiceKey = "service"
	TraceIDKey = "trace_id"
	SpanIDKey  = "span_id"
)

// New returns a JSON logger writing to stdout at level and above, with the attribute
// service=service on every record and trace ids on records logged with a span context.
func New(service string, level slog.Level) *slog.Logger {
	return NewWithWriter(os.Stdout, service, level)
}

// NewWithWriter is New writing to w; tests pass a buffer.
func NewWithWriter(w io.Writer, service string, level slog.Level) *slog.Logger {
	h := slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level})
	return slog.New(NewTraceHandler(h)).With(slog.String(ServiceKey, service))
}

// TraceHandler is a slog.Handler that adds trace_id and span_id, taken from the span in
// the record's context, before passing the record to the handler it wraps. Use the
// *Context logging methods (InfoContext, LogAttrs, …) so the context reaches it.
type TraceHandler struct {
	next slog.Handler
}

// NewTraceHandler wraps next.
func NewTraceHandler(next slog.Handler) *TraceHandler {
	return &TraceHandler{next: next}
}

// Enabled reports whether the wrapped handler handles records at level.
func (h *TraceHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.next.Enabled(ctx, level)
}

// Handle adds the trace ids when ctx carries a valid span context. After WithGroup the ids
// land inside the open group, like any attribute added to the record.
func (h *TraceHandler) Handle(ctx context.Context, r slog.Record) error {
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		r = r.Clone()
		r.AddAttrs(
			slog.String(TraceIDKey, sc.TraceID().String()),
			slog.String(SpanIDKey, sc.SpanID().String()),
		)
	}
	return h.next.Handle(ctx, r)
}

// WithAttrs returns a TraceHandler over next.WithAttrs(attrs).
func (h *TraceHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &TraceHandler{next: h.next.WithAttrs(attrs)}
}

// WithGroup returns a TraceHandler over next.WithGroup(name).
func (h *TraceHandler) WithGroup(name string) slog.Handler {
	return &TraceHandler{next: h.next.WithGroup(name)}
}

// ParseLevel parses a LOG_LEVEL value: debug, info, warn (or warning), error, in any case,
// optionally with an offset as slog accepts it ("info+2"). The empty string means info.
func ParseLevel(s string) (slog.Level, error) {
	s = strings.TrimSpace(s)
	switch strings.ToLower(s) {
	case "":
		return slog.LevelInfo, nil
	case "warning":
		return slog.LevelWarn, nil
	}
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return 0, fmt.Errorf("logx: log level %q is not one of debug, info, warn, error: %w", s, err)
	}
	return l, nil
}
