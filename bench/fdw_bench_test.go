package bench

import (
	"fmt"
	"testing"
	"time"

	"github.com/pghandoff/pghandoff/core"
	"github.com/pghandoff/pghandoff/internal/pgtest"
)

// BenchmarkProxyTPS runs pgbench workloads directly against the primary and through proxies
// made with different postgres_fdw options, and reports each proxy's TPS as a fraction of
// the direct TPS: the measurement behind core.DefaultFDWOptions.
func BenchmarkProxyTPS(b *testing.B) {
	pair := pgtest.Pairs(b)[0]
	m, pdb, _ := migration(b, pair)
	runPgbench(b, pair.Primary, pdb, "-i", "-s", "10", "-q")
	// A table whose key comes from a bigserial: through the proxy, each row's default draws
	// from the primary's sequence through pghandoff's helper, one round trip per row.
	if err := pair.Primary.Exec(ctxFor(b, time.Minute), pdb, `CREATE TABLE serial_rows (id bigserial PRIMARY KEY, v int)`); err != nil {
		b.Fatal(err)
	}
	variants := []struct {
		name string
		opts map[string]string
	}{
		{"defaults", map[string]string{}},
		{"fetch_size=1000", map[string]string{"fetch_size": "1000"}},
		{"batch_size=100", map[string]string{"batch_size": "100"}},
		{"pghandoff", nil},
	}
	proxies := make([]string, len(variants))
	for i, v := range variants {
		pm, db := withProxy(b, m)
		pm.Name = fmt.Sprintf("%s_%d", pdb, i)
		if _, err := core.ProxyCreate(ctxFor(b, time.Minute), core.ProxyCreateOptions{Migration: pm, FDWOptions: v.opts}); err != nil {
			b.Fatal(err)
		}
		proxies[i] = db
	}
	workloads := []struct{ name, script string }{
		{"tpcb", ""},
		{"select-only", "-S"},
		{"range-1000", "\\set aid random(1, 99000)\nSELECT aid, abalance FROM pgbench_accounts WHERE aid BETWEEN :aid AND :aid + 999;\n"},
		{"insert-100", "INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) SELECT 1, 1, g, 0, now() FROM generate_series(1, 100) g;\n"},
		{"insert-serial-1", "INSERT INTO serial_rows (v) VALUES (1);\n"},
		{"insert-serial-100", "INSERT INTO serial_rows (v) SELECT g FROM generate_series(1, 100) g;\n"},
	}
	common := []string{"-n", "-c", "8", "-j", "2", "-T", "15", "--max-tries", "100"}
	for _, w := range workloads {
		args := common
		switch {
		case w.script == "-S":
			args = append(args, "-S")
		case w.script != "":
			args = append(args, "-f", writeScript(b, w.name+".sql", w.script))
		}
		direct := pgbenchTPS(b, pair.Primary, pdb, args...)
		b.ReportMetric(direct, w.name+"-direct-tps")
		for i, v := range variants {
			tps := pgbenchTPS(b, proxyCluster(b), proxies[i], args...)
			b.ReportMetric(tps/direct, w.name+"-"+v.name+"-ratio")
			b.Logf("%-12s %-16s %8.1f tps through the proxy, %8.1f direct: %.3f", w.name, v.name, tps, direct, tps/direct)
		}
	}
}
