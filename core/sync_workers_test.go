package core_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pghandoff/pghandoff/core"
	"github.com/pghandoff/pghandoff/internal/pgtest"
)

// A replica with PostgreSQL's defaults for its workers copies two tables at once: preflight
// says so for a schema of many tables, with the settings that copy more at once and about
// how long each way takes; setup's sync-workers option sets the one a reload applies, and
// says that the two others wait for a restart it leaves to the operator.
func TestInitialCopyAdvice(t *testing.T) {
	defaults := []string{"max_worker_processes = 8", "max_logical_replication_workers = 4", "max_sync_workers_per_subscription = 2"}
	pair := pgtest.Pair{Name: "15to15defaults", Primary: pgtest.Server(t, "primary15", 15),
		Replica: pgtest.ServerWith(t, "replica15defaults", 15, defaults...)}
	e := newEnv(t, pair)
	const tables = 300
	e.execPrimary(fmt.Sprintf(`DO $$ BEGIN FOR i IN 1..%d LOOP
		EXECUTE format('CREATE TABLE public.t%%s (id bigserial PRIMARY KEY, v text)', i);
	END LOOP; END $$`, tables))

	// Setup copies small tables itself: nothing is left to the workers to advise on.
	pre, err := core.Preflight(ctxFor(t, time.Minute), core.PreflightOptions{Migration: e.m, PgDump: e.pgDump})
	if err != nil {
		t.Fatal(err)
	}
	if a, c := pre.Copy, findCheck(pre, "initial copy"); a == nil || c.Status != core.CheckPass || a.SetupTables != tables || a.Tables != 0 {
		t.Fatalf("initial copy of small tables by setup: %+v, %+v", c, a)
	}
	pre, err = core.Preflight(ctxFor(t, time.Minute), core.PreflightOptions{Migration: e.m, PgDump: e.pgDump, CopyByWorkers: true})
	if err != nil {
		t.Fatal(err)
	}
	a, c := pre.Copy, findCheck(pre, "initial copy")
	if a == nil || c.Status != core.CheckWarn || a.Tables != tables || a.AtOnce != 2 || !strings.Contains(c.Detail, "2 at once") {
		t.Fatalf("initial copy on a replica with the defaults: %+v, %+v", c, a)
	}
	want := core.SyncWorkerSettings{SyncWorkers: 8, LogicalWorkers: 9, WorkerProcesses: 11}
	if a.Suggested != want || a.SuggestedAtOnce != 8 || a.SuggestedEstimateSeconds*2 > a.EstimateSeconds {
		t.Fatalf("suggested %+v (%d at once, %.1f s), want %+v, less than half of %.1f s", a.Suggested, a.SuggestedAtOnce, a.SuggestedEstimateSeconds, want, a.EstimateSeconds)
	}
	for _, s := range []string{"max_sync_workers_per_subscription = 8", "max_logical_replication_workers = 9", "max_worker_processes = 11", "restart", "sync-workers"} {
		if !strings.Contains(c.Remedy.String(), s) {
			t.Errorf("remedy %q does not say %q", c.Remedy, s)
		}
	}

	t.Cleanup(func() {
		_ = pair.Replica.Exec(ctxFor(t, time.Minute), e.replicaDB, `ALTER SYSTEM RESET max_sync_workers_per_subscription;
			ALTER SYSTEM RESET max_logical_replication_workers; ALTER SYSTEM RESET max_worker_processes; SELECT pg_reload_conf()`)
	})
	if _, err := core.Setup(ctxFor(t, time.Minute), core.SetupOptions{Migration: e.m, PgDump: e.pgDump, SyncWorkers: -1}); !isInvalidOption(err, core.OptSyncWorkers) {
		t.Fatalf("setup with sync workers -1: %v, want it refused naming the option", err)
	}
	res, err := core.Setup(ctxFor(t, 2*time.Minute), core.SetupOptions{Migration: e.m, PgDump: e.pgDump, SyncWorkers: 8})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = core.Teardown(ctxFor(t, time.Minute), core.TeardownOptions{Migration: e.m}) })
	now := core.SyncWorkerSettings{SyncWorkers: 8, LogicalWorkers: 4, WorkerProcesses: 8}
	if res.SyncWorkers == nil || *res.SyncWorkers != now || res.SyncWorkers.AtOnce() != 3 {
		t.Fatalf("setup left the settings %+v, want %+v (3 at once until a restart)", res.SyncWorkers, now)
	}
	asksRestart := func(w string) bool {
		return strings.Contains(w, "max_logical_replication_workers = 9, max_worker_processes = 11") && strings.Contains(w, "restart")
	}
	if !slices.ContainsFunc(res.Warnings, asksRestart) {
		t.Fatalf("setup's warnings do not ask for a restart: %q", res.Warnings)
	}
	// The reload reaches every new session once the postmaster has read it.
	for {
		st, err := core.GetStatus(ctxFor(t, time.Minute), core.StatusOptions{Migration: e.m, NoSentinel: true})
		if err != nil {
			t.Fatal(err)
		}
		if st.Subscription != nil && st.Subscription.MaxCopying == 8 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func findCheck(res *core.PreflightResult, name string) core.Check {
	for _, c := range res.Checks {
		if c.Name == name {
			return c
		}
	}
	return core.Check{}
}

func isInvalidOption(err error, o core.Option) bool {
	var invalid *core.InvalidOptionError
	return errors.As(err, &invalid) && invalid.Option == o
}
