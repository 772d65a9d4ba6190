package stack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// process is one platform program started by the stack, its output appended to a log file.
type process struct {
	name string
	bin  string
	env  []string
	log  string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

// start launches the program. It runs in its own process group so that a Ctrl-C in the
// terminal reaches only the stack, which then stops its children in order.
func (p *process) start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil {
		return fmt.Errorf("%s already running", p.name)
	}
	if err := os.MkdirAll(filepath.Dir(p.log), 0o750); err != nil {
		return fmt.Errorf("log dir: %w", err)
	}
	f, err := os.OpenFile(p.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("open log of %s: %w", p.name, err)
	}
	cmd := exec.Command(p.bin) // #nosec G204 -- the platform binaries devstack built itself
	cmd.Env = append(os.Environ(), p.env...)
	cmd.Stdout = f
	cmd.Stderr = f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		_ = f.Close()
		return fmt.Errorf("start %s: %w", p.name, err)
	}
	done := make(chan struct{})
	p.cmd, p.done = cmd, done
	go func() {
		err := cmd.Wait()
		_ = f.Close()
		p.mu.Lock()
		p.err = err
		p.mu.Unlock()
		close(done)
	}()
	return nil
}

// exited reports whether the program has stopped, and how.
func (p *process) exited() (bool, error) {
	p.mu.Lock()
	done := p.done
	p.mu.Unlock()
	if done == nil {
		return true, nil
	}
	select {
	case <-done:
		p.mu.Lock()
		defer p.mu.Unlock()
		return true, p.err
	default:
		return false, nil
	}
}

// stop asks the program to shut down (SIGTERM) and kills it when it has not stopped within
// the grace period.
func (p *process) stop(grace time.Duration) error {
	return p.signalAndWait(syscall.SIGTERM, grace)
}

// kill stops the program at once (SIGKILL), as a crash would.
func (p *process) kill() error {
	return p.signalAndWait(syscall.SIGKILL, 5*time.Second)
}

func (p *process) signalAndWait(sig syscall.Signal, grace time.Duration) error {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.mu.Unlock()
	if cmd == nil {
		return nil
	}
	_ = cmd.Process.Signal(sig)
	select {
	case <-done:
	case <-time.After(grace):
		_ = cmd.Process.Kill()
		<-done
	}
	p.mu.Lock()
	err := p.err
	p.cmd, p.done, p.err = nil, nil, nil
	p.mu.Unlock()
	var exitErr *exec.ExitError
	if err != nil && errors.As(err, &exitErr) && !exitErr.Exited() {
		// Ended by our signal: the expected way for it to stop.
		return nil
	}
	return err
}

// tail returns the last bytes of the program's log, to show why it failed.
func (p *process) tail(n int64) string {
	f, err := os.Open(p.log)
	if err != nil {
		return ""
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return ""
	}
	off := st.Size() - n
	if off < 0 {
		off = 0
	}
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		return ""
	}
	b, _ := io.ReadAll(f)
	return string(b)
}

// waitReady polls check until it succeeds, the program exits, or the deadline passes.
func (p *process) waitReady(ctx context.Context, timeout time.Duration, check func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		if done, err := p.exited(); done {
			return fmt.Errorf("%s exited (%v); last log lines:\n%s", p.name, err, p.tail(3000))
		}
		cctx, ccancel := context.WithTimeout(ctx, time.Second)
		last = check(cctx)
		ccancel()
		if last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not ready after %s: %w; last log lines:\n%s", p.name, timeout, last, p.tail(3000))
		case <-tick.C:
		}
	}
}
