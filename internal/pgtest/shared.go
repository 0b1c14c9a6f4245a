// Package pgtest gives tests real PostgreSQL clusters: started once per test binary, shared
// by its tests, each test working in databases of its own.
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/pghandoff/pghandoff/internal/pgcluster"
)

// Cluster is a running test cluster.
type Cluster = pgcluster.Cluster

// BinDir and ClientBinDir locate PostgreSQL binaries of a major version.
var (
	BinDir       = pgcluster.BinDir
	ClientBinDir = pgcluster.ClientBinDir
)

var errStopped = errors.New("pgtest: clusters already stopped")

// The clusters of one test binary, started on first use and stopped by Run.
var (
	mu       sync.Mutex
	clusters = map[string]*Cluster{}
	failures = map[string]error{}
	stopped  bool
)

// Run runs the tests of a package and stops every cluster they started. Use it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }
func Run(m *testing.M) int {
	if code, ok := runWatchdog(); ok {
		return code
	}
	code := m.Run()
	StopAll()
	return code
}

// StopAll stops every shared cluster.
func StopAll() {
	mu.Lock()
	defer mu.Unlock()
	for name, c := range clusters {
		c.Stop()
		delete(clusters, name)
	}
	stopped = true
}

// Server returns the shared cluster called name, starting it with the given major version
// on first use. A cluster that cannot start fails the test: missing PostgreSQL is never a skip.
func Server(t testing.TB, name string, major int) *Cluster {
	t.Helper()
	return ServerWith(t, name, major)
}

// ServerWith is Server for a cluster that runs with settings of its own (postgresql.conf
// lines, over the test settings), for tests that need them; name must be its own, since a
// cluster's settings are shared by every test that uses it.
func ServerWith(t testing.TB, name string, major int, settings ...string) *Cluster {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	if stopped {
		t.Fatal(errStopped)
	}
	if c, ok := clusters[name]; ok {
		return c
	}
	if err, ok := failures[name]; ok {
		t.Fatalf("cluster %s did not start earlier: %v", name, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := pgcluster.Start(ctx, name, major, settings...)
	if err != nil {
		failures[name] = err
		t.Fatalf("start PostgreSQL %d cluster %s: %v", major, name, err)
	}
	clusters[name] = c
	return c
}

// Pair is a source and a target cluster for a replication test.
type Pair struct {
	Name             string // e.g. "15to17", usable as a subtest name
	Primary, Replica *Cluster
}

// Pairs returns the version pairs every replication test runs on: 15 → 15, 15 → 17 and
// 15 → 18 (PlanetScale and most new servers run 17 or 18).
func Pairs(t testing.TB) []Pair {
	t.Helper()
	primary := Server(t, "primary15", 15)
	return []Pair{
		{Name: "15to15", Primary: primary, Replica: Server(t, "replica15", 15)},
		{Name: "15to17", Primary: primary, Replica: Server(t, "replica17", 17)},
		{Name: "15to18", Primary: primary, Replica: Server(t, "replica18", 18)},
	}
}

// OldestPair is the oldest source pghandoff supports, PostgreSQL 13, into 15.
func OldestPair(t testing.TB) Pair {
	t.Helper()
	return Pair{Name: "13to15", Primary: Server(t, "primary13", 13), Replica: Server(t, "replica15", 15)}
}

// Database creates a database of its own for the test on c and drops it afterwards, with
// whatever replication objects the test left in it.
func Database(t testing.TB, c *Cluster) string {
	t.Helper()
	name := "t_" + pgcluster.RandomHex(6)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := c.Exec(ctx, "postgres", fmt.Sprintf(`CREATE DATABASE %q`, name)); err != nil {
		t.Fatalf("create database on %s: %v", c.Name, err)
	}
	t.Cleanup(func() {
		if os.Getenv("PGHANDOFF_KEEP_DATABASES") != "" {
			t.Logf("keeping database %s on %s (port %d)", name, c.Name, c.Port)
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := c.DropDatabase(ctx, name); err != nil {
			t.Errorf("drop database %s on %s: %v", name, c.Name, err)
		}
	})
	return name
}
