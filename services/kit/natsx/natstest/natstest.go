// Package natstest runs a real JetStream server inside a test, so event tests
// need neither a broker on the machine nor mocks.
package natstest

import (
	"testing"

	"github.com/parindex/platform/services/kit/natsx"
)

// Start runs an in-process NATS server with JetStream on a free port of
// 127.0.0.1, its store in a temporary directory, and returns its client URL.
// The server is shut down when the test ends.
func Start(t testing.TB) string {
	t.Helper()
	// TempDir first: cleanups run last-in first-out, so the server stops
	// before its store is removed.
	dir := t.TempDir()
	s, err := natsx.StartEmbedded(natsx.Options{Dir: dir, Host: "127.0.0.1", Port: -1})
	if err != nil {
		t.Fatalf("natstest: %v", err)
	}
	t.Cleanup(func() {
		s.Shutdown()
		s.WaitForShutdown()
	})
	return s.ClientURL()
}
