package bench

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/pghandoff/pghandoff/core"
	"github.com/pghandoff/pghandoff/internal/pgtest"
)

// proxyCluster is the PostgreSQL 15 cluster that plays the proxy, as in the core tests.
func proxyCluster(b testing.TB) *pgtest.Cluster { return pgtest.Server(b, "proxy15", 15) }

// withProxy adds a fresh proxy database to m.
func withProxy(b testing.TB, m core.Migration) (core.Migration, string) {
	p := proxyCluster(b)
	db := pgtest.Database(b, p)
	m.Proxy = core.MustParseDSN(p.DSN(db))
	return m, db
}

// writers is a write workload through the proxy: each client inserts a row and increments a
// counter, retrying serialization failures (postgres_fdw runs remote transactions at
// REPEATABLE READ), and counts what was acknowledged.
type writers struct {
	acked, retries atomic.Int64
	stopping       atomic.Bool
	mu             sync.Mutex
	failures       []error
	wg             sync.WaitGroup
}

const writersSchema = `
CREATE TABLE public.ledger (id bigserial PRIMARY KEY, client int NOT NULL, at timestamptz NOT NULL DEFAULT now());
CREATE TABLE public.counters (id int PRIMARY KEY, hits bigint NOT NULL DEFAULT 0);
INSERT INTO public.counters SELECT g, 0 FROM generate_series(1, 64) g;`

func startWriters(b testing.TB, dsn string, clients int) *writers {
	w := &writers{}
	for c := 0; c < clients; c++ {
		conn, err := pgx.Connect(context.Background(), dsn)
		if err != nil {
			b.Fatal(err)
		}
		w.wg.Add(1)
		go func(c int) {
			defer w.wg.Done()
			defer conn.Close(context.Background())
			for n := 0; !w.stopping.Load(); n++ {
				err := w.retry(func() error {
					_, err := conn.Exec(context.Background(), `INSERT INTO public.ledger (client) VALUES ($1)`, c)
					return err
				})
				if err == nil {
					err = w.retry(func() error {
						_, err := conn.Exec(context.Background(), `UPDATE public.counters SET hits = hits + 1 WHERE id = $1`, 1+(c*7+n)%64)
						return err
					})
				}
				if err != nil {
					w.mu.Lock()
					w.failures = append(w.failures, err)
					w.mu.Unlock()
					return
				}
				w.acked.Add(1)
			}
		}(c)
	}
	return w
}

func (w *writers) retry(write func() error) error {
	for {
		err := write()
		var pgErr *pgconn.PgError
		if err == nil || !errors.As(err, &pgErr) || pgErr.Code != "40001" {
			return err
		}
		w.retries.Add(1)
	}
}

// stop ends the clients between writes and returns the failures.
func (w *writers) stop() []error {
	w.stopping.Store(true)
	w.wg.Wait()
	return w.failures
}

func waitFor(b testing.TB, cond func() bool) {
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			b.Fatal("timed out")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func maxOf(v []float64) float64 {
	m := v[0]
	for _, x := range v {
		m = max(m, x)
	}
	return m
}

var tpsLine = regexp.MustCompile(`tps = ([0-9.]+) \(without initial connection time\)`)

// runPgbench runs the pgbench of PostgreSQL 15 against database db of c.
func runPgbench(b testing.TB, c *pgtest.Cluster, db string, args ...string) []byte {
	dir, err := pgtest.ClientBinDir(15)
	if err != nil {
		b.Fatal(err)
	}
	all := append([]string{"-h", "127.0.0.1", "-p", strconv.Itoa(c.Port), "-U", c.User}, args...)
	cmd := exec.Command(filepath.Join(dir, "pgbench"), append(all, db)...)
	cmd.Env = append(os.Environ(), "PGPASSWORD="+c.Password, "PGSSLMODE=disable")
	out, err := cmd.CombinedOutput()
	if err != nil {
		b.Fatalf("pgbench %v: %v\n%s", args, err, out)
	}
	return out
}

// pgbenchTPS runs a pgbench workload and returns its transactions per second.
func pgbenchTPS(b testing.TB, c *pgtest.Cluster, db string, args ...string) float64 {
	out := runPgbench(b, c, db, args...)
	m := tpsLine.FindSubmatch(out)
	if m == nil {
		b.Fatalf("pgbench %v: no tps in\n%s", args, out)
	}
	tps, _ := strconv.ParseFloat(string(m[1]), 64)
	return tps
}

func writeScript(b testing.TB, name, body string) string {
	path := filepath.Join(b.TempDir(), name)
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		b.Fatal(err)
	}
	return path
}
