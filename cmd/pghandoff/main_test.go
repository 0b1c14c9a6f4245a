package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pghandoff/pghandoff/core"
	"github.com/pghandoff/pghandoff/internal/pgtest"
)

func TestMain(m *testing.M) {
	// A switch through PgBouncer starts its watchdog as this executable with the hidden
	// subcommand (bouncerWatchdog): the test binary then plays pghandoff.
	if len(os.Args) > 1 && os.Args[1] == watchdogCommandName {
		os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr, os.Getenv))
	}
	os.Exit(pgtest.Run(m))
}

// cli runs pghandoff in-process, as a user would from a shell with env set.
type cli struct {
	t   *testing.T
	env map[string]string
	all bytes.Buffer // everything any command printed, to search for secrets
}

func (c *cli) run(args ...string) (code int, stdout, stderr string) {
	c.t.Helper()
	var out, errOut bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	code = run(ctx, args, &out, &errOut, func(k string) string { return c.env[k] })
	c.all.Write(out.Bytes())
	c.all.Write(errOut.Bytes())
	return code, out.String(), errOut.String()
}

func (c *cli) expect(want int, args ...string) (string, string) {
	c.t.Helper()
	code, stdout, stderr := c.run(args...)
	if code != want {
		c.t.Fatalf("pghandoff %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, want, stdout, stderr)
	}
	return stdout, stderr
}

func TestUsage(t *testing.T) {
	c := &cli{t: t}
	_, stderr := c.expect(exitUsage)
	if !strings.Contains(stderr, "Exit codes") || !strings.Contains(stderr, "setup") {
		t.Fatalf("bare pghandoff does not explain itself:\n%s", stderr)
	}
	for _, cmd := range []string{"preflight", "setup", "status", "wait", "teardown", "verify"} {
		_, stderr := c.expect(exitUsage, cmd)
		if !strings.Contains(stderr, "Usage:") || !strings.Contains(stderr, "--primary") {
			t.Fatalf("bare %s prints no usage:\n%s", cmd, stderr)
		}
		stdout, _ := c.expect(exitOK, cmd, "--help")
		if !strings.Contains(stdout, "--replica") {
			t.Fatalf("%s --help:\n%s", cmd, stdout)
		}
	}
	c.expect(exitUsage, "status", "--primary", "x", "--replica", "y", "--name", "Bad Name")
	c.expect(exitUsage, "wait", "--max-lag", "lots")
	c.expect(exitUsage, "setup", "extra-argument")
}

// A whole migration from the command line, as the README runs it, on both version pairs.
func TestCommandLineMigration(t *testing.T) {
	for _, pair := range pgtest.Pairs(t) {
		t.Run(pair.Name, func(t *testing.T) {
			t.Parallel()
			primaryDB, replicaDB := pgtest.Database(t, pair.Primary), pgtest.Database(t, pair.Replica)
			scenario := func(name string) string {
				b, err := os.ReadFile(filepath.Join("..", "..", "core", "testdata", "scenario", name))
				if err != nil {
					t.Fatal(err)
				}
				return string(b)
			}
			for _, f := range []string{"schema.sql", "data.sql"} {
				if err := pair.Primary.Exec(context.Background(), primaryDB, scenario(f)); err != nil {
					t.Fatal(err)
				}
			}
			pgDumpDir, err := pgtest.ClientBinDir(15)
			if err != nil {
				t.Fatal(err)
			}
			c := &cli{t: t, env: map[string]string{}}
			primary, replica := pair.Primary.DSN(primaryDB), pair.Replica.DSN(replicaDB)
			dsns := []string{"--primary", primary, "--replica", replica, "--name", primaryDB}
			pgDump := "--pg-dump=" + filepath.Join(pgDumpDir, "pg_dump")

			stdout, _ := c.expect(exitNotReady, append([]string{"preflight", "--json", pgDump}, dsns...)...)
			var pre core.PreflightResult
			if err := json.Unmarshal([]byte(stdout), &pre); err != nil || pre.OK {
				t.Fatalf("preflight JSON %v: %s", err, stdout)
			}
			stdout, _ = c.expect(exitOK, append([]string{"preflight", "--replica-identity-full", pgDump}, dsns...)...)
			if !strings.Contains(stdout, "ready to set up") {
				t.Fatalf("preflight:\n%s", stdout)
			}

			stdout, _ = c.expect(exitOK, append([]string{"setup", "--dry-run", "--replica-identity-full", pgDump}, dsns...)...)
			if !strings.Contains(stdout, "CREATE SUBSCRIPTION") || !strings.Contains(stdout, "password=''********''") {
				t.Fatalf("dry run does not show the subscription with its password masked:\n%s", stdout)
			}
			c.expect(exitNotReady, append([]string{"status"}, dsns...)...) // the dry run changed nothing

			// DSNs from the environment, as the README recommends.
			c.env["PGHANDOFF_PRIMARY"], c.env["PGHANDOFF_REPLICA"] = primary, replica
			stdout, _ = c.expect(exitOK, "setup", "--replica-identity-full", "--name", primaryDB, pgDump)
			if !strings.Contains(stdout, "is set up") {
				t.Fatalf("setup:\n%s", stdout)
			}
			stdout, _ = c.expect(exitOK, "setup", "--replica-identity-full", "--name", primaryDB, pgDump)
			if !strings.Contains(stdout, "already set up") {
				t.Fatalf("second setup:\n%s", stdout)
			}
			c.expect(exitOK, "wait", "--name", primaryDB, "--timeout", "2m", "--interval", "200ms")
			// Other tests write to the same primary cluster, and WAL is cluster-wide: give the
			// lag room, this checks the report, not the threshold.
			stdout, _ = c.expect(exitOK, "status", "--json", "--max-lag", "64MB", "--name", primaryDB)
			var st core.Status
			if err := json.Unmarshal([]byte(stdout), &st); err != nil || !st.Ready || st.LagBytes == nil || len(st.Tables) != 7 {
				t.Fatalf("status JSON %v: %s", err, stdout)
			}
			stdout, _ = c.expect(exitOK, "status", "--max-lag", "64MB", "--name", primaryDB)
			if !strings.HasPrefix(stdout, "Migration "+primaryDB+": READY") {
				t.Fatalf("status text does not start with the verdict:\n%s", stdout)
			}
			c.expect(exitOK, "verify", "--name", primaryDB)
			c.expect(exitUsage, "teardown", "--drop", "--name", primaryDB)
			stdout, _ = c.expect(exitOK, "teardown", "--name", primaryDB)
			if !strings.Contains(stdout, "subscription") || !strings.Contains(stdout, "publication") {
				t.Fatalf("teardown:\n%s", stdout)
			}
			c.expect(exitNotReady, "status", "--name", primaryDB)

			for _, secret := range []string{pair.Primary.Password, pair.Replica.Password} {
				if strings.Contains(c.all.String(), secret) {
					t.Fatal("a password appeared in the output")
				}
			}
		})
	}
}

// Bad inputs: a clear error, the right exit code, and no password in any output.
func TestCommandLineBadInputs(t *testing.T) {
	primary := pgtest.Server(t, "primary15", 15)
	db := pgtest.Database(t, primary)
	const secret = "hunter2-Very-Secret"
	c := &cli{t: t}
	_, stderr := c.expect(exitUsage, "status", "--primary", "postgres://u:"+secret+"@host:port/db", "--replica", primary.DSN(db))
	if !strings.Contains(stderr, "--primary") || !strings.Contains(stderr, "invalid connection string") {
		t.Fatalf("malformed DSN:\n%s", stderr)
	}
	_, stderr = c.expect(exitFailed, "status", "--primary", primary.DSNFor("postgres", secret, db), "--replica", primary.DSN(db))
	if !strings.Contains(stderr, "password authentication failed") || !strings.Contains(stderr, "Try:") {
		t.Fatalf("wrong password:\n%s", stderr)
	}
	_, stderr = c.expect(exitFailed, "setup", "--primary", "host=127.0.0.1 port=1 user=u password="+secret+" dbname=d sslmode=disable", "--replica", primary.DSN(db))
	if !strings.Contains(stderr, "connect to primary") {
		t.Fatalf("closed port:\n%s", stderr)
	}
	stdout, _ := c.expect(exitNotReady, "status", "--primary", primary.DSN(db), "--replica", primary.DSN(db))
	if !strings.Contains(stdout, "NOT SET UP") {
		t.Fatalf("status of nothing:\n%s", stdout)
	}
	if strings.Contains(c.all.String(), secret) || strings.Contains(c.all.String(), primary.Password) {
		t.Fatalf("a password appeared in the output:\n%s", c.all.String())
	}
}
