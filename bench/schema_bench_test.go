package bench

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/pghandoff/pghandoff/core"
	"github.com/pghandoff/pghandoff/internal/pgtest"
)

// BenchmarkStatusSchemaCheck measures what comparing the schemas costs status, on a
// migration of 1,000 tables of 8 columns, two secondary indexes and a check constraint each:
// status without its sentinel row (what the bot's alerts run every minute), and schema diff,
// when the schemas agree (one digest query on each server) and when one table differs (and
// is read whole on both). Medians of 10.
func BenchmarkStatusSchemaCheck(b *testing.B) {
	const tables = 1000
	pair := pgtest.Pairs(b)[0]
	m, pdb, _ := migration(b, pair)
	var ddl strings.Builder
	for i := 0; i < tables; i++ {
		fmt.Fprintf(&ddl, `CREATE TABLE t%04d (id bigserial PRIMARY KEY, account int NOT NULL, kind text NOT NULL DEFAULT 'k',
			payload jsonb, created_at timestamptz NOT NULL DEFAULT now(), price numeric(12,2) CHECK (price >= 0), note text,
			flag boolean DEFAULT false);
			CREATE INDEX ON t%04d (account, created_at); CREATE INDEX ON t%04d (kind);
			INSERT INTO t%04d (account) VALUES (1);`+"\n", i, i, i, i)
	}
	if err := pair.Primary.Exec(ctxFor(b, 10*time.Minute), pdb, ddl.String()); err != nil {
		b.Fatal(err)
	}
	if _, err := core.Setup(ctxFor(b, 10*time.Minute), core.SetupOptions{Migration: m, PgDump: pgDump(b)}); err != nil {
		b.Fatal(err)
	}
	if _, err := core.Wait(ctxFor(b, 30*time.Minute), core.WaitOptions{StatusOptions: core.StatusOptions{Migration: m}, Timeout: 20 * time.Minute}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		// Each iteration adds a column to t0000: i of them so far.
		report(b, "status-ms", medianOf(b, func() { schemaStatus(b, m, i) }))
		report(b, "diff-ms", medianOf(b, func() { schemaDiff(b, m, i) }))
		b.StopTimer()
		if err := pair.Primary.Exec(ctxFor(b, time.Minute), pdb, fmt.Sprintf(`ALTER TABLE t0000 ADD COLUMN extra%d int`, i)); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		report(b, "status-1-differs-ms", medianOf(b, func() { schemaStatus(b, m, i+1) }))
		report(b, "diff-1-differs-ms", medianOf(b, func() { schemaDiff(b, m, i+1) }))
	}
	b.ReportMetric(0, "ns/op")
}

func schemaStatus(b *testing.B, m core.Migration, differences int) {
	st, err := core.GetStatus(ctxFor(b, time.Minute), core.StatusOptions{Migration: m, NoSentinel: true})
	if err != nil || st.Schema == nil || len(st.Schema.Changes) != differences {
		b.Fatalf("status: %v, schema %+v", err, st.Schema)
	}
}

func schemaDiff(b *testing.B, m core.Migration, differences int) {
	res, err := core.SchemaDiff(ctxFor(b, time.Minute), core.SchemaDiffOptions{Migration: m})
	if err != nil || len(res.Changes) != differences || res.TablesDiffering != min(differences, 1) {
		b.Fatalf("schema diff: %v, %+v", err, res)
	}
}

// medianOf runs f ten times and returns its median duration.
func medianOf(b *testing.B, f func()) time.Duration {
	var ds []time.Duration
	for range 10 {
		start := time.Now()
		f()
		ds = append(ds, time.Since(start))
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return ds[len(ds)/2]
}

func report(b *testing.B, unit string, d time.Duration) {
	b.ReportMetric(float64(d.Microseconds())/1000, unit)
}
