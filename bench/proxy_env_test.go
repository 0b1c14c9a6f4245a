package bench

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"testing"

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
	return runPgbenchAt(b, c.Port, c.User, c.Password, db, args...)
}

// runPgbenchAt runs the pgbench of PostgreSQL 15 against database db on a loopback port
// (a cluster's, or a PgBouncer's), as user.
func runPgbenchAt(b testing.TB, port int, user, password, db string, args ...string) []byte {
	dir, err := pgtest.ClientBinDir(15)
	if err != nil {
		b.Fatal(err)
	}
	all := append([]string{"-h", "127.0.0.1", "-p", strconv.Itoa(port), "-U", user}, args...)
	cmd := exec.Command(filepath.Join(dir, "pgbench"), append(all, db)...)
	cmd.Env = append(os.Environ(), "PGPASSWORD="+password, "PGSSLMODE=disable")
	out, err := cmd.CombinedOutput()
	if err != nil {
		b.Fatalf("pgbench %v: %v\n%s", args, err, out)
	}
	return out
}

// pgbenchTPS runs a pgbench workload and returns its transactions per second.
func pgbenchTPS(b testing.TB, c *pgtest.Cluster, db string, args ...string) float64 {
	return tpsOf(b, runPgbench(b, c, db, args...), args)
}

func tpsOf(b testing.TB, out []byte, args []string) float64 {
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
