package core_test

import (
	"context"
	"errors"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pghandoff/pghandoff/core"
	"github.com/pghandoff/pghandoff/internal/pgtest"
)

const secret = "s3cr3t-Pa$$word'\\"

// Malformed connection strings are refused with a message that never quotes the password.
func TestParseDSNNeverLeaksPassword(t *testing.T) {
	for _, dsn := range []string{
		"postgres://user:" + url.QueryEscape(secret) + "@host:notaport/db",
		"postgres://user:" + secret + "@[::1/db",
		"host=h password='" + strings.ReplaceAll(secret, "'", `\'`) + "' port=x",
		"host=h password=" + url.QueryEscape(secret) + " unterminated='",
		"postgres://user:" + url.QueryEscape(secret) + "@host/db?sslmode=bogus",
	} {
		_, err := core.ParseDSN(dsn)
		if err == nil {
			t.Fatalf("ParseDSN accepted %q", dsn)
		}
		for _, s := range []string{secret, url.QueryEscape(secret), "s3cr3t"} {
			if strings.Contains(err.Error(), s) {
				t.Fatalf("error %q leaks the password", err)
			}
		}
	}
}

// Each bad input gives a clear error, with a remedy, and creates nothing.
func TestSetupBadInputs(t *testing.T) {
	pair := pgtest.Pairs(t)[0]
	walReplica := pgtest.Server(t, "walreplica15", 15)
	if err := walReplica.Restart(context.Background(), "wal_level = replica"); err != nil {
		t.Fatal(err)
	}
	primary17 := pgtest.Server(t, "replica17", 17)
	e := newEnv(t, pair)
	e.loadScenario()
	wrongPassword := core.MustParseDSN(pair.Primary.DSNFor("postgres", secret, e.primaryDB))
	closedPort := core.MustParseDSN("postgres://postgres:" + url.QueryEscape(secret) + "@127.0.0.1:1/db?sslmode=disable")
	unroutable := core.MustParseDSN("postgres://postgres:" + url.QueryEscape(secret) + "@10.255.255.1:5432/db?sslmode=disable&connect_timeout=2")
	walDB := pgtest.Database(t, walReplica)
	db17 := pgtest.Database(t, primary17)
	if err := primary17.Exec(context.Background(), db17, `CREATE TABLE t (id int PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name    string
		primary core.DSN
		want    string
	}{
		{"wrong password", wrongPassword, "password authentication failed"},
		{"closed port", closedPort, "connect to primary"},
		{"unreachable host", unroutable, "connect to primary"},
		{"wal_level replica", core.MustParseDSN(walReplica.DSN(walDB)), "wal_level is replica"},
		{"pg_dump too old", core.MustParseDSN(primary17.DSN(db17)), "older than the primary"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			opts := e.setupOptions()
			opts.Primary = c.primary
			opts.ReplicaIdentityFull = true
			_, err := core.Setup(ctxFor(t, time.Minute), opts)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an error containing %q", err, c.want)
			}
			if core.Hint(err).IsZero() {
				t.Errorf("no remedy for %v", err)
			}
			if strings.Contains(err.Error()+core.Hint(err).String(), "s3cr3t") {
				t.Fatalf("error leaks the password: %v", err)
			}
		})
	}
	if left := e.leftovers(); len(left) > 0 {
		t.Fatalf("failed setups left %v", left)
	}
	if n := e.queryInt(true, `SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')`); n != 0 {
		t.Fatalf("failed setups created %d tables on the replica", n)
	}
	if n := primary17.Exec(context.Background(), db17, `SELECT 1`); n != nil {
		t.Fatal(n)
	}
}

// A missing pg_dump is a clear error before anything changes.
func TestSetupWithoutPgDump(t *testing.T) {
	e := newEnv(t, pgtest.Pairs(t)[0])
	e.loadScenario()
	opts := e.setupOptions()
	opts.ReplicaIdentityFull = true
	opts.PgDump = filepath.Join(t.TempDir(), "pg_dump")
	_, err := core.Setup(ctxFor(t, time.Minute), opts)
	if err == nil || !strings.Contains(core.Hint(err).String(), "pg_dump") {
		t.Fatalf("got %v (hint %q)", err, core.Hint(err))
	}
	if left := e.leftovers(); len(left) > 0 {
		t.Fatalf("left %v", left)
	}
	if errors.Is(err, core.ErrLocked) {
		t.Fatal("unexpected lock error")
	}
}
