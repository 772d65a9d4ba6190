// Package pgcluster starts and stops a private PostgreSQL cluster from the
// binaries installed on the machine (Debian's postgresql package), for tests and
// for the local devstack. It never touches the system's own cluster (15/main):
// every cluster it runs lives in a data directory the caller chooses, listens on
// 127.0.0.1 only and trusts local connections.
//
// initdb refuses to run as root, and CI runs as root, so when the process is
// root the data directory is handed to the "postgres" user and initdb/pg_ctl run
// as that user. That user must be able to reach the data directory: every parent
// directory needs the search (x) bit for others (mode 0711 or 0755; /tmp is
// fine, a 0700 directory made by os.MkdirTemp is not until it is chmod'ed).
package pgcluster

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// debianBinGlob is where Debian and Ubuntu put the server binaries: they are
// not on PATH there, only the client wrappers are.
const debianBinGlob = "/usr/lib/postgresql/*/bin"

// systemDataRoot holds the clusters managed by Debian's pg_ctlcluster; a private
// cluster must never be started from there.
const systemDataRoot = "/var/lib/postgresql"

// Options says where and how to run a cluster.
type Options struct {
	// Dir is the data directory (PGDATA). It is created if missing and
	// initialised only when it holds no PG_VERSION, so a second Start keeps
	// the data. Its parents must be traversable by the postgres user when
	// running as root (see the package comment).
	Dir string
	// Port is the TCP port on 127.0.0.1; 0 picks a free one.
	Port int
	// Log receives progress messages; nil discards them.
	Log *slog.Logger
	// Throwaway turns off durability (fsync, synchronous_commit,
	// full_page_writes) for clusters whose data may be lost on a crash,
	// such as test clusters: it makes them several times faster.
	Throwaway bool
}

// Cluster is a running private PostgreSQL cluster. Superuser "postgres" may
// connect over TCP on 127.0.0.1 without a password.
type Cluster struct {
	dir  string
	port int
	bin  string
	cred *syscall.Credential // nil when not root: run the binaries as ourselves
	log  *slog.Logger
}

// FindBinDir returns the directory holding initdb and pg_ctl: from PATH if
// both are there, else the newest /usr/lib/postgresql/<version>/bin.
func FindBinDir() (string, error) {
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		dir := filepath.Dir(p)
		if isExecutable(filepath.Join(dir, "initdb")) {
			return dir, nil
		}
	}
	dirs, err := filepath.Glob(debianBinGlob)
	if err != nil {
		return "", fmt.Errorf("pgcluster: look for server binaries: %w", err)
	}
	dirs = slices.DeleteFunc(dirs, func(d string) bool {
		return !isExecutable(filepath.Join(d, "initdb")) || !isExecutable(filepath.Join(d, "pg_ctl"))
	})
	if len(dirs) == 0 {
		return "", errors.New("pgcluster: initdb and pg_ctl not found on PATH or under " + debianBinGlob)
	}
	// Compare versions as numbers so that 10 sorts after 9.6.
	slices.SortFunc(dirs, func(a, b string) int {
		return cmp.Compare(versionOf(a), versionOf(b))
	})
	return dirs[len(dirs)-1], nil
}

// versionOf reads the version from /usr/lib/postgresql/<version>/bin.
func versionOf(binDir string) float64 {
	v, err := strconv.ParseFloat(filepath.Base(filepath.Dir(binDir)), 64)
	if err != nil {
		return -1
	}
	return v
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

// EnsureInstalled makes sure the server binaries are present (see FindBinDir),
// installing Debian's postgresql package with apt-get when they are missing and
// the process is root. When not root it returns an error saying what to
// install. Installing the package also creates and starts Debian's own 15/main
// cluster on port 5432; it is left alone.
func EnsureInstalled(ctx context.Context, log *slog.Logger) error {
	log = orDiscard(log)
	_, findErr := FindBinDir()
	if findErr == nil {
		return nil
	}
	if os.Geteuid() != 0 {
		return fmt.Errorf("%w; install the PostgreSQL server, e.g. `sudo apt-get install -y postgresql` on Debian/Ubuntu, or put initdb and pg_ctl on PATH", findErr)
	}
	log.InfoContext(ctx, "PostgreSQL server binaries not found; installing package postgresql with apt-get")
	if err := aptGet(ctx, "install", "-y", "--no-install-recommends", "postgresql"); err != nil {
		// A clean machine often has stale or empty package lists.
		log.InfoContext(ctx, "apt-get install failed; updating package lists and retrying", "err", err)
		if err := aptGet(ctx, "update"); err != nil {
			return err
		}
		if err := aptGet(ctx, "install", "-y", "--no-install-recommends", "postgresql"); err != nil {
			return err
		}
	}
	if _, err := FindBinDir(); err != nil {
		return fmt.Errorf("after installing postgresql: %w", err)
	}
	return nil
}

func aptGet(ctx context.Context, args ...string) error {
	// Wait for the dpkg lock instead of failing when several test packages
	// install at once on a clean CI machine.
	args = append([]string{"-o", "DPkg::Lock::Timeout=300", "-q"}, args...)
	cmd := exec.CommandContext(ctx, "apt-get", args...) // #nosec G204 -- apt-get and the PostgreSQL binaries of the system, with arguments built here
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("pgcluster: apt-get %s: %w: %s", strings.Join(args, " "), err, tail(out, 2000))
	}
	return nil
}

// Start runs a cluster in opts.Dir (installing PostgreSQL first if needed, see
// EnsureInstalled), creating it first if the directory holds no
// cluster. If a postmaster is already running there it is reused when its port
// fits opts.Port (or opts.Port is 0), else stopped cleanly and started again.
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	if opts.Dir == "" {
		return nil, errors.New("pgcluster: Options.Dir is required")
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("pgcluster: data directory: %w", err)
	}
	if dir == systemDataRoot || strings.HasPrefix(dir, systemDataRoot+string(filepath.Separator)) {
		return nil, fmt.Errorf("pgcluster: %s belongs to the system's clusters; choose another directory", dir)
	}
	log := orDiscard(opts.Log)
	if err := EnsureInstalled(ctx, log); err != nil {
		return nil, err
	}
	bin, err := FindBinDir()
	if err != nil {
		return nil, err
	}
	c := &Cluster{dir: dir, bin: bin, log: log}
	if os.Geteuid() == 0 {
		if c.cred, err = postgresCredential(); err != nil {
			return nil, err
		}
	}
	if err := c.prepareDir(); err != nil {
		return nil, err
	}
	if err := c.initIfEmpty(ctx); err != nil {
		return nil, err
	}

	running, port, err := c.runningPort(ctx)
	if err != nil {
		return nil, err
	}
	if running {
		if opts.Port == 0 || opts.Port == port {
			log.InfoContext(ctx, "reusing running PostgreSQL cluster", "dir", dir, "port", port)
			c.port = port
			return c, nil
		}
		log.InfoContext(ctx, "stopping PostgreSQL cluster running on another port", "dir", dir, "port", port, "want", opts.Port)
		if err := c.Stop(ctx); err != nil {
			return nil, err
		}
	}

	// A free port found by listening can be taken by someone else before the
	// postmaster binds it: with port 0, try again with a fresh one.
	attempts := 1
	if opts.Port == 0 {
		attempts = 3
	}
	for i := range attempts {
		port := opts.Port
		if port == 0 {
			if port, err = freePort(); err != nil {
				return nil, err
			}
		}
		c.port = port
		err = c.start(ctx, opts.Throwaway)
		if err == nil {
			log.InfoContext(ctx, "PostgreSQL cluster started", "dir", dir, "port", port)
			return c, nil
		}
		if i+1 < attempts {
			log.InfoContext(ctx, "PostgreSQL did not start; retrying on another port", "port", port, "err", err)
		}
	}
	return nil, err
}

// postgresCredential returns the uid/gid of the postgres user with no
// supplementary groups, so the binaries keep none of root's.
func postgresCredential() (*syscall.Credential, error) {
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("pgcluster: running as root needs a postgres user (created by the postgresql package): %w", err)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("pgcluster: uid of postgres: %w", err)
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("pgcluster: gid of postgres: %w", err)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}, nil
}

// prepareDir creates the data directory with the 0700 mode PostgreSQL demands
// and, as root, gives it to the postgres user after checking that user can
// reach it.
func (c *Cluster) prepareDir() error {
	if err := os.MkdirAll(c.dir, 0o700); err != nil {
		return fmt.Errorf("pgcluster: create data directory: %w", err)
	}
	if c.cred == nil {
		return nil
	}
	for p := filepath.Dir(c.dir); ; p = filepath.Dir(p) {
		if err := checkTraversable(p, c.cred); err != nil {
			return err
		}
		if p == filepath.Dir(p) {
			break
		}
	}
	uid, gid := int(c.cred.Uid), int(c.cred.Gid)
	err := filepath.WalkDir(c.dir, func(path string, _ os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(path, uid, gid) // #nosec G122 -- our own freshly created cluster directory; Lchown does not follow symlinks
	})
	if err != nil {
		return fmt.Errorf("pgcluster: give %s to the postgres user: %w", c.dir, err)
	}
	return nil
}

// checkTraversable reports whether the user in cred can search dir, from its
// mode bits, so the failure names the directory instead of initdb's vaguer
// "permission denied".
func checkTraversable(dir string, cred *syscall.Credential) error {
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("pgcluster: %w", err)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	mode := fi.Mode().Perm()
	switch {
	case st.Uid == cred.Uid && mode&0o100 != 0,
		st.Gid == cred.Gid && mode&0o010 != 0,
		mode&0o001 != 0:
		return nil
	}
	return fmt.Errorf("pgcluster: the postgres user cannot reach the data directory through %s (mode %v): make it 0711 or 0755, or choose a directory under /tmp", dir, mode)
}

func (c *Cluster) initIfEmpty(ctx context.Context) error {
	if _, err := os.Stat(filepath.Join(c.dir, "PG_VERSION")); err == nil {
		return nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("pgcluster: %w", err)
	}
	c.log.InfoContext(ctx, "initialising PostgreSQL cluster", "dir", c.dir)
	// --no-sync: a cluster that is lost before the OS flushes it is simply
	// initialised again; it saves most of initdb's second.
	// C.UTF-8: byte-order collation, Unicode-aware upper/lower; glibc ≥ 2.35
	// has it built in, so no locale package is needed.
	_, err := c.run(ctx, "initdb", "-D", c.dir, "--no-sync", "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8")
	return err
}

// runningPort says whether a postmaster runs in the directory and on which port.
func (c *Cluster) runningPort(ctx context.Context) (bool, int, error) {
	running, err := c.isRunning(ctx)
	if err != nil || !running {
		return false, 0, err
	}
	f, err := os.Open(filepath.Join(c.dir, "postmaster.pid"))
	if err != nil {
		return false, 0, fmt.Errorf("pgcluster: read postmaster.pid: %w", err)
	}
	defer f.Close()
	// Line 4 of postmaster.pid is the port (see pidfile.h).
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		if line == 4 {
			port, err := strconv.Atoi(strings.TrimSpace(sc.Text()))
			if err != nil {
				return false, 0, fmt.Errorf("pgcluster: port in postmaster.pid: %w", err)
			}
			return true, port, nil
		}
	}
	return false, 0, fmt.Errorf("pgcluster: postmaster.pid in %s has no port line", c.dir)
}

// isRunning asks pg_ctl, which checks that the pid in postmaster.pid is alive
// (a stale file left by a crash counts as not running).
func (c *Cluster) isRunning(ctx context.Context) (bool, error) {
	_, err := c.run(ctx, "pg_ctl", "status", "-D", c.dir)
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		return true, nil
	case errors.As(err, &exitErr) && (exitErr.ExitCode() == 3 || exitErr.ExitCode() == 4):
		// 3: no server running; 4: no accessible data directory.
		return false, nil
	default:
		return false, err
	}
}

func (c *Cluster) start(ctx context.Context, throwaway bool) error {
	socketDir := c.dir
	// A Unix socket path is limited to 107 bytes; clients here use TCP anyway.
	if len(socketDir)+len("/.s.PGSQL.65535") >= 107 {
		socketDir = ""
	}
	settings := []string{
		"-p", strconv.Itoa(c.port),
		"-k", shellQuote(socketDir),
		"-c", "listen_addresses=127.0.0.1",
	}
	if throwaway {
		settings = append(settings, "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	}
	logFile := filepath.Join(c.dir, "postmaster.log")
	_, err := c.run(ctx, "pg_ctl", "start", "-w", "-t", "60", "-D", c.dir, "-l", logFile, "-o", strings.Join(settings, " "))
	if err != nil {
		// pg_ctl only says "could not start server": the reason is in the log.
		if b, readErr := os.ReadFile(logFile); readErr == nil { // #nosec G304 -- the server log of our own cluster
			return fmt.Errorf("%w; server log: %s", err, tail(b, 1500))
		}
		return err
	}
	return nil
}

// Stop shuts the cluster down with pg_ctl's fast mode (active sessions are
// disconnected, then a clean checkpoint). Stopping a stopped cluster is a no-op.
func (c *Cluster) Stop(ctx context.Context) error {
	running, err := c.isRunning(ctx)
	if err != nil || !running {
		return err
	}
	_, err = c.run(ctx, "pg_ctl", "stop", "-w", "-t", "60", "-D", c.dir, "-m", "fast")
	if err == nil {
		c.log.InfoContext(ctx, "PostgreSQL cluster stopped", "dir", c.dir)
	}
	return err
}

// Dir returns the data directory.
func (c *Cluster) Dir() string { return c.dir }

// Port returns the TCP port the cluster listens on at 127.0.0.1.
func (c *Cluster) Port() int { return c.port }

// URL returns a connection URL for database dbname as the superuser postgres.
func (c *Cluster) URL(dbname string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.port, url.PathEscape(dbname))
}

// CreateDatabase creates database name unless it exists.
func (c *Cluster) CreateDatabase(ctx context.Context, name string) error {
	conn, err := pgx.Connect(ctx, c.URL("postgres"))
	if err != nil {
		return fmt.Errorf("pgcluster: connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return fmt.Errorf("pgcluster: look up database %s: %w", name, err)
	}
	if exists {
		return nil
	}
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "42P04" {
		return nil // created concurrently by someone else: fine
	}
	if err != nil {
		return fmt.Errorf("pgcluster: create database %s: %w", name, err)
	}
	return nil
}

// run executes one of the server binaries, as the postgres user when root.
func (c *Cluster) run(ctx context.Context, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, filepath.Join(c.bin, name), args...) // #nosec G204 -- apt-get and the PostgreSQL binaries of the system, with arguments built here
	// The postgres user may not be able to enter our working directory
	// (e.g. /root); initdb and pg_ctl complain about that.
	cmd.Dir = c.dir
	if c.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	}
	// pg_ctl start passes its output to the postmaster only through -l, but
	// bound the wait for pipes anyway should a child keep them open.
	cmd.WaitDelay = 10 * time.Second
	out, err := cmd.CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("pgcluster: %s %s: %w: %s", name, strings.Join(args, " "), err, tail(out, 1500))
	}
	return out, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pgcluster: find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// shellQuote quotes s for the shell command line pg_ctl builds from -o.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// tail keeps the last n bytes of command output for error messages.
func tail(b []byte, n int) string {
	b = bytes.TrimSpace(b)
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

func orDiscard(log *slog.Logger) *slog.Logger {
	if log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return log
}
