package pgcluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5"
)

// Cluster is one running PostgreSQL server owned by the test binary.
type Cluster struct {
	Name     string
	Major    int
	BinDir   string
	Dir      string // holds the data directory, the socket and the log
	Port     int
	User     string
	Password string

	cred *syscall.Credential // the postgres OS user, when the tests run as root
}

// settings are what every test cluster runs with: logical replication on, room for many
// concurrent subscriptions (tests run in parallel), and durability off for speed.
var settings = []string{
	"listen_addresses = '127.0.0.1'",
	"wal_level = logical",
	"max_connections = 300",
	"max_wal_senders = 60",
	"max_replication_slots = 60",
	"max_worker_processes = 48",
	"max_logical_replication_workers = 40",
	"max_sync_workers_per_subscription = 2",
	"wal_retrieve_retry_interval = '200ms'",
	"shared_buffers = '64MB'",
	"fsync = off",
	"full_page_writes = off",
	"synchronous_commit = off",
	"log_min_messages = warning",
	"log_line_prefix = '%m [%p] %d %a: '",
	"max_locks_per_transaction = 256",
}

// Start initialises and starts a cluster of the given major version in a new directory.
func Start(ctx context.Context, name string, major int, extra ...string) (*Cluster, error) {
	bin, err := BinDir(major)
	if err != nil {
		return nil, err
	}
	c := &Cluster{Name: name, Major: major, BinDir: bin, User: "postgres", Password: RandomHex(12)}
	if c.cred, err = serverCredential(); err != nil {
		return nil, err
	}
	if c.Dir, err = os.MkdirTemp("", "pghandoff-"+name+"-"); err != nil {
		return nil, err
	}
	if err := c.chownToServer(c.Dir); err != nil {
		return nil, err
	}
	if err := c.initdb(ctx); err != nil {
		c.remove()
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		err = c.start(ctx, extra)
		if err == nil || attempt == 4 {
			break
		}
	}
	if err != nil {
		c.remove()
		return nil, err
	}
	return c, nil
}

func (c *Cluster) dataDir() string { return filepath.Join(c.Dir, "data") }
func (c *Cluster) logFile() string { return filepath.Join(c.Dir, "server.log") }

func (c *Cluster) initdb(ctx context.Context) error {
	pwfile := filepath.Join(c.Dir, "pwfile")
	if err := os.WriteFile(pwfile, []byte(c.Password+"\n"), 0o600); err != nil {
		return err
	}
	if err := c.chownToServer(pwfile); err != nil {
		return err
	}
	defer os.Remove(pwfile)
	return c.run(ctx, "initdb", "-D", c.dataDir(), "-U", c.User, "--pwfile", pwfile,
		"--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync")
}

// start picks a free port and starts the server on it; a port taken in between fails the
// start, and the caller tries again with another.
func (c *Cluster) start(ctx context.Context, extra []string) error {
	port, err := freePort()
	if err != nil {
		return err
	}
	c.Port = port
	conf := append(append([]string{
		"port = " + strconv.Itoa(port),
		"unix_socket_directories = '" + c.Dir + "'",
	}, settings...), extra...)
	auto := filepath.Join(c.dataDir(), "postgresql.auto.conf")
	if err := os.WriteFile(auto, []byte(strings.Join(conf, "\n")+"\n"), 0o600); err != nil {
		return err
	}
	if err := c.chownToServer(auto); err != nil {
		return err
	}
	err = c.run(ctx, "pg_ctl", "-D", c.dataDir(), "-l", c.logFile(), "-w", "-t", "60", "start")
	if err != nil {
		log, _ := os.ReadFile(c.logFile())
		return fmt.Errorf("start %s: %w\n%s", c.Name, err, tail(string(log), 2000))
	}
	return nil
}

// Stop stops the server at once and removes its files.
func (c *Cluster) Stop() {
	_ = c.run(context.Background(), "pg_ctl", "-D", c.dataDir(), "-m", "immediate", "-w", "stop")
	c.remove()
}

// Restart stops and starts the server with extra settings appended, on the same port.
func (c *Cluster) Restart(ctx context.Context, extra ...string) error {
	if err := c.run(ctx, "pg_ctl", "-D", c.dataDir(), "-m", "fast", "-w", "stop"); err != nil {
		return err
	}
	f, err := os.OpenFile(filepath.Join(c.dataDir(), "postgresql.auto.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteString(strings.Join(extra, "\n") + "\n")
	f.Close()
	if err != nil {
		return err
	}
	return c.run(ctx, "pg_ctl", "-D", c.dataDir(), "-l", c.logFile(), "-w", "-t", "60", "start")
}

func (c *Cluster) remove() { _ = os.RemoveAll(c.Dir) }

// Log returns the end of the server log, for failure messages.
func (c *Cluster) Log() string {
	b, _ := os.ReadFile(c.logFile())
	return tail(string(b), 4000)
}

// DSN is a URL for the superuser, with its password, to database db.
func (c *Cluster) DSN(db string) string {
	return c.DSNFor(c.User, c.Password, db)
}

// DSNFor is a URL for another role.
func (c *Cluster) DSNFor(role, password, db string) string {
	u := url.URL{Scheme: "postgres", User: url.UserPassword(role, password),
		Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(c.Port)), Path: "/" + db,
		RawQuery: "sslmode=disable"}
	return u.String()
}

// Connect opens a superuser connection to database db.
func (c *Cluster) Connect(ctx context.Context, db string) (*pgx.Conn, error) {
	return pgx.Connect(ctx, c.DSN(db))
}

// Exec runs SQL as the superuser in database db.
func (c *Cluster) Exec(ctx context.Context, db, sql string, args ...any) error {
	conn, err := c.Connect(ctx, db)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, sql, args...)
	return err
}

func (c *Cluster) run(ctx context.Context, tool string, args ...string) error {
	cmd := exec.CommandContext(ctx, filepath.Join(c.BinDir, tool), args...)
	cmd.Dir = c.Dir
	if c.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	}
	// HOME is the cluster's own directory, as a server's HOME is its user's: libpq in the
	// server (a subscription, postgres_fdw) looks there for client certificates, and the
	// test's own HOME may be one the server's user cannot read.
	cmd.Env = append(os.Environ(), "LC_ALL=C", "HOME="+c.Dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %w: %s", tool, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// serverCredential is the postgres OS user when running as root (initdb refuses root), or nil.
func serverCredential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root needs a postgres OS user to run the servers: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

func (c *Cluster) chownToServer(path string) error {
	if c.cred == nil {
		return nil
	}
	return os.Chown(path, int(c.cred.Uid), int(c.cred.Gid))
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// RandomHex returns n random bytes in hex, for names and passwords.
func RandomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}
