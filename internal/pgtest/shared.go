package pgtest

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"
)

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
	c, err := Start(ctx, name, major)
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

// Pairs returns the version pairs every replication test runs on: 15 → 15 and 15 → 17.
func Pairs(t testing.TB) []Pair {
	t.Helper()
	primary := Server(t, "primary15", 15)
	return []Pair{
		{Name: "15to15", Primary: primary, Replica: Server(t, "replica15", 15)},
		{Name: "15to17", Primary: primary, Replica: Server(t, "replica17", 17)},
	}
}

// Database creates a database of its own for the test on c and drops it afterwards, with
// whatever replication objects the test left in it.
func Database(t testing.TB, c *Cluster) string {
	t.Helper()
	name := "t_" + randomHex(6)
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

// DropDatabase drops db after removing what would block it: subscriptions in it and
// replication slots for it.
func (c *Cluster) DropDatabase(ctx context.Context, db string) error {
	conn, err := c.Connect(ctx, db)
	if err == nil {
		rows, _ := conn.Query(ctx, `SELECT quote_ident(subname) FROM pg_subscription s
			JOIN pg_database d ON d.oid = s.subdbid WHERE d.datname = current_database()`)
		var subs []string
		for rows.Next() {
			var s string
			if rows.Scan(&s) == nil {
				subs = append(subs, s)
			}
		}
		rows.Close()
		for _, s := range subs {
			_, _ = conn.Exec(ctx, "ALTER SUBSCRIPTION "+s+" DISABLE")
			_, _ = conn.Exec(ctx, "ALTER SUBSCRIPTION "+s+" SET (slot_name = NONE)")
			_, _ = conn.Exec(ctx, "DROP SUBSCRIPTION "+s)
		}
		conn.Close(ctx)
	}
	admin, err := c.Connect(ctx, "postgres")
	if err != nil {
		return err
	}
	defer admin.Close(context.Background())
	for attempt := 0; attempt < 50; attempt++ {
		_, err = admin.Exec(ctx, `SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots
			WHERE database = $1 AND active_pid IS NOT NULL`, db)
		if err == nil {
			_, err = admin.Exec(ctx, `SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots
				WHERE database = $1 AND NOT active`, db)
		}
		if err == nil {
			_, err = admin.Exec(ctx, fmt.Sprintf(`DROP DATABASE IF EXISTS %q WITH (FORCE)`, db))
		}
		if err == nil {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return err
}
