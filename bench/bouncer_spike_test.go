package bench

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/pghandoff/pghandoff/internal/pgtest"
	"github.com/pghandoff/pghandoff/internal/workload"
)

// semanticsSchema is what the application does through PgBouncer that postgres_fdw cannot
// carry: an upsert, a sequence called by name, concurrent READ COMMITTED updates of a row.
const semanticsSchema = `;
CREATE TABLE public.semantics (k int PRIMARY KEY, n int NOT NULL);
INSERT INTO public.semantics VALUES (0, 0);
CREATE SEQUENCE public.tickets`

// The switch through PgBouncer, as cutover makes it: writers through PgBouncer to the
// primary, then PAUSE, the sentinel through replication, the sequences, the entry
// repointed at the replica and confirmed, RESUME. Every acknowledged write is on the new
// primary, none reached the old one after the switch, and the application's semantics hold
// through PgBouncer before and after.
func TestBouncerSwitchSpike(t *testing.T) {
	for _, pair := range pgtest.Pairs(t) {
		t.Run(pair.Name, func(t *testing.T) {
			t.Parallel()
			mv := newBouncerMove(t, pair, workload.Schema+semanticsSchema)
			ticket := checkSemantics(t, mv, 1)
			w := mv.startWorkload(t, 8)
			p, err := mv.cutover(ctxFor(t, time.Minute), 5*time.Second)
			split := time.Now()
			if err != nil {
				t.Fatalf("cutover: %v\n%s", err, mv.bouncer.Log())
			}
			t.Logf("paused %.1f ms: PAUSE drained in %.1f, sentinel %.1f; %d clients queued; sentinel at %s",
				p.PauseMS, p.LockMS, p.CatchUpMS, p.WaitedStatements, p.SentinelLSN)
			if err := w.WaitAcked(ctxFor(t, time.Minute), 300); err != nil {
				t.Fatal(err)
			}
			report := mv.checkAfterSwitch(t, w, split)
			t.Logf("%d inserts and %d increments acknowledged, all on the new primary", report.Inserts, report.Increments)
			if after := checkSemantics(t, mv, 2); after <= ticket {
				t.Fatalf("nextval('tickets') gave %d after the switch, %d before", after, ticket)
			}
		})
	}
}

// checkAfterSwitch checks the workload on the new primary, and that no insert made after
// the switch reached the old one.
func (mv *bouncerMove) checkAfterSwitch(t testing.TB, w *workload.Workload, split time.Time) workload.Report {
	conn, err := mv.pair.Replica.Connect(ctxFor(t, time.Minute), mv.rdb)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	report, err := w.Check(ctxFor(t, time.Minute), conn, split)
	if err != nil || !report.OK() {
		t.Fatalf("writes lost or reordered: %v %+v", err, report)
	}
	var last int64
	old, err := mv.pair.Primary.Connect(ctxFor(t, time.Minute), mv.pdb)
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close(context.Background())
	if err := old.QueryRow(ctxFor(t, time.Minute), `SELECT coalesce(max(id), 0) FROM public.ledger`).Scan(&last); err != nil {
		t.Fatal(err)
	}
	for _, a := range w.Inserts() {
		if a.Started.After(split) && a.ID <= last {
			t.Fatalf("insert %+v made after the switch is at or below the old primary's last key %d", a, last)
		}
	}
	return report
}

// checkSemantics runs, through PgBouncer, an upsert (on key k), concurrent READ COMMITTED
// increments of one row by 8 clients, and nextval by name, whose value it returns.
func checkSemantics(t testing.TB, mv *bouncerMove, k int) int64 {
	ctx := ctxFor(t, time.Minute)
	conn, err := pgx.Connect(ctx, mv.appDSN())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int
	for i := 0; i < 2; i++ {
		if err := conn.QueryRow(ctx, `INSERT INTO public.semantics (k, n) VALUES ($1, 1) ON CONFLICT (k) DO UPDATE SET n = semantics.n + 1 RETURNING n`, k).Scan(&n); err != nil {
			t.Fatalf("upsert through PgBouncer: %v", err)
		}
	}
	if n != 2 {
		t.Fatalf("upsert: n = %d, want 2", n)
	}
	var before, after int
	if err := conn.QueryRow(ctx, `SELECT n FROM public.semantics WHERE k = 0`).Scan(&before); err != nil {
		t.Fatal(err)
	}
	if err := concurrentIncrements(ctx, mv.appDSN(), 8, 25); err != nil {
		t.Fatalf("READ COMMITTED increments through PgBouncer: %v", err)
	}
	if err := conn.QueryRow(ctx, `SELECT n FROM public.semantics WHERE k = 0`).Scan(&after); err != nil || after-before != 200 {
		t.Fatalf("8 clients × 25 increments: %d → %d (%v), want +200", before, after, err)
	}
	var ticket int64
	if err := conn.QueryRow(ctx, `SELECT nextval('public.tickets')`).Scan(&ticket); err != nil {
		t.Fatalf("nextval by name through PgBouncer: %v", err)
	}
	return ticket
}

// concurrentIncrements has clients increment row 0 each times, at READ COMMITTED: every
// one must succeed at once, with no serialization failure to retry.
func concurrentIncrements(ctx context.Context, dsn string, clients, times int) error {
	var wg sync.WaitGroup
	errs := make([]error, clients)
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, err := pgx.Connect(ctx, dsn)
			if err != nil {
				errs[c] = err
				return
			}
			defer conn.Close(context.Background())
			for i := 0; i < times && errs[c] == nil; i++ {
				_, errs[c] = conn.Exec(ctx, `UPDATE public.semantics SET n = n + 1 WHERE k = 0`)
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}
