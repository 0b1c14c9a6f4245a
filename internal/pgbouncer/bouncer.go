// Package pgbouncer starts throwaway PgBouncers for the tests, the benchmarks and the demo:
// each in a directory of its own (owned by the postgres OS user when started by root, since
// PgBouncer refuses to run as root), on a free loopback port, in transaction pooling, with an
// admin user and SCRAM authentication against an auth_file, and a main configuration whose
// [databases] section %includes a file that pghandoff owns.
package pgbouncer

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/pghandoff/pghandoff/internal/pgcluster"
)

// InstallHint is what to run when PgBouncer is missing.
const InstallHint = "apt-get install -y pgbouncer (then stop the service the package may start: " +
	"systemctl disable --now pgbouncer), or set PGHANDOFF_PGBOUNCER_BIN to the binary"

// Binary returns the pgbouncer executable: PGHANDOFF_PGBOUNCER_BIN, else the PATH, else the
// Debian package's /usr/sbin/pgbouncer (not on a non-root PATH).
func Binary() (string, error) {
	if p := os.Getenv("PGHANDOFF_PGBOUNCER_BIN"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("PGHANDOFF_PGBOUNCER_BIN: %w: %s", err, InstallHint)
		}
		return p, nil
	}
	if p, err := exec.LookPath("pgbouncer"); err == nil {
		return p, nil
	}
	if _, err := os.Stat("/usr/sbin/pgbouncer"); err == nil {
		return "/usr/sbin/pgbouncer", nil
	}
	return "", errors.New("pgbouncer not found: " + InstallHint)
}

// User is a login PgBouncer knows, with its password in clear in the auth_file: PgBouncer
// then authenticates clients with SCRAM and logs in to the servers with the password.
type User struct{ Name, Password string }

// Options configures a Bouncer.
type Options struct {
	// Users are the logins besides the admin; they are also the server logins when a
	// database entry names no user.
	Users []User
	// PoolMode is the global pool_mode; "transaction" when empty.
	PoolMode string
	// Settings are extra `key = value` lines for the [pgbouncer] section.
	Settings []string
	// Databases are entries of the main configuration's [databases] section, before the
	// include line.
	Databases []string
}

// Bouncer is one running PgBouncer owned by the test binary.
type Bouncer struct {
	Dir           string
	Port          int
	AdminUser     string
	AdminPassword string
	// Config is the main configuration; Include is the file its [databases] section
	// %includes, created empty (a section header) and owned by the server's OS user.
	Config, Include string

	cmd  *exec.Cmd
	cred *syscall.Credential
	done chan struct{}
}

// Start writes a configuration in a new directory and starts PgBouncer on it.
func Start(ctx context.Context, opts Options) (*Bouncer, error) {
	bin, err := Binary()
	if err != nil {
		return nil, err
	}
	b := &Bouncer{AdminUser: "pghandoff_admin", AdminPassword: pgcluster.RandomHex(12)}
	if b.cred, err = pgcluster.ServerCredential(); err != nil {
		return nil, err
	}
	if b.Dir, err = os.MkdirTemp("", "pghandoff-pgbouncer-"); err != nil {
		return nil, err
	}
	b.Config, b.Include = filepath.Join(b.Dir, "pgbouncer.ini"), filepath.Join(b.Dir, "pghandoff.ini")
	if err := b.chown(b.Dir); err != nil {
		b.remove()
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		if err = b.start(ctx, bin, opts); err == nil || attempt == 4 {
			break
		}
	}
	if err != nil {
		b.remove()
		return nil, err
	}
	return b, nil
}

// start picks a free port, writes the files for it and starts the server; a port taken in
// between fails the start, and the caller tries again with another.
func (b *Bouncer) start(ctx context.Context, bin string, opts Options) error {
	port, err := pgcluster.FreePort()
	if err != nil {
		return err
	}
	b.Port = port
	if err := b.writeFiles(opts); err != nil {
		return err
	}
	b.cmd = exec.Command(bin, b.Config)
	b.cmd.Dir = b.Dir
	// Its own process group (a Ctrl-C of the tests does not reach it first), killed if the
	// test binary dies without stopping it.
	b.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: b.cred, Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := b.cmd.Start(); err != nil {
		return fmt.Errorf("start pgbouncer: %w", err)
	}
	b.done = make(chan struct{})
	go func() { _ = b.cmd.Wait(); close(b.done) }()
	if err := b.waitReady(ctx); err != nil {
		b.kill()
		return fmt.Errorf("pgbouncer did not start: %w\n%s", err, b.Log())
	}
	return nil
}

// waitReady waits until the admin console answers, or the process ends.
func (b *Bouncer) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		conn, err := b.Admin(ctx)
		if err == nil {
			conn.Close(context.Background())
			return nil
		}
		select {
		case <-b.done:
			return errors.New("the process exited")
		case <-ctx.Done():
			return err
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Stop ends PgBouncer at once and removes its directory.
func (b *Bouncer) Stop() {
	b.kill()
	b.remove()
}

// Signal sends sig to the running PgBouncer (SIGHUP reloads, SIGUSR1 pauses all, ...).
func (b *Bouncer) Signal(sig syscall.Signal) error { return b.cmd.Process.Signal(sig) }

func (b *Bouncer) kill() {
	if b.cmd == nil || b.cmd.Process == nil {
		return
	}
	_ = b.cmd.Process.Signal(syscall.SIGTERM) // PgBouncer's immediate shutdown
	select {
	case <-b.done:
	case <-time.After(5 * time.Second):
		_ = b.cmd.Process.Kill()
		<-b.done
	}
}

func (b *Bouncer) remove() { _ = os.RemoveAll(b.Dir) }

// Log returns the end of PgBouncer's log, for failure messages.
func (b *Bouncer) Log() string {
	data, _ := os.ReadFile(filepath.Join(b.Dir, "pgbouncer.log"))
	s := string(data)
	if len(s) > 4000 {
		s = "..." + s[len(s)-4000:]
	}
	return s
}

// AdminDSN is a URL for the admin console (database pgbouncer), with its password.
func (b *Bouncer) AdminDSN() string { return b.DSN(b.AdminUser, b.AdminPassword, "pgbouncer") }

// DSN is a URL for a client of database db through PgBouncer.
func (b *Bouncer) DSN(user, password, db string) string {
	u := url.URL{Scheme: "postgres", User: url.UserPassword(user, password),
		Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(b.Port)), Path: "/" + db,
		RawQuery: "sslmode=disable"}
	return u.String()
}

// Admin opens a connection to the admin console, which speaks only the simple protocol.
func (b *Bouncer) Admin(ctx context.Context) (*pgx.Conn, error) {
	config, err := pgx.ParseConfig(b.AdminDSN())
	if err != nil {
		return nil, err
	}
	config.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	return pgx.ConnectConfig(ctx, config)
}

// AdminExec runs one admin command (PAUSE, RESUME, RELOAD, ...) on a connection of its own.
func (b *Bouncer) AdminExec(ctx context.Context, command string) error {
	conn, err := b.Admin(ctx)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, command)
	return err
}

func (b *Bouncer) chown(path string) error {
	if b.cred == nil {
		return nil
	}
	return os.Chown(path, int(b.cred.Uid), int(b.cred.Gid))
}

// quote is the auth_file's quoting: double quotes, a double quote doubled.
func quote(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
