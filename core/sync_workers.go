package core

import (
	"context"
	"fmt"
	"math"
	"time"
)

// The initial copy of many tables: the replica copies as many tables at once as it has
// table-synchronisation workers, each a logical replication worker and a background process
// of its own, beside the subscription's apply worker. PostgreSQL's defaults (2 per
// subscription, 4 logical replication workers, 8 processes) copy small tables one by one at
// a few dozen a second, and 1,000 of them take most of a minute.

// SyncWorkerSettings are the replica's settings that bound how many tables its initial copy
// runs at once, and what a copy of the migration's tables would take with them.
type SyncWorkerSettings struct {
	SyncWorkers     int `json:"max_sync_workers_per_subscription"`
	LogicalWorkers  int `json:"max_logical_replication_workers"`
	WorkerProcesses int `json:"max_worker_processes"`
	// Busy are the logical replication workers running now, for other subscriptions.
	Busy int `json:"busy_workers"`
}

// AtOnce is how many tables these settings let the migration's subscription copy at once:
// its table-sync workers, within what the logical replication workers and the background
// processes leave once its apply worker (and, for processes, the launcher) has one.
func (w SyncWorkerSettings) AtOnce() int {
	n := min(w.SyncWorkers, w.LogicalWorkers-w.Busy-1, w.WorkerProcesses-w.Busy-2)
	return max(n, 1) // the apply worker copies tables itself when no sync worker can start
}

// For are the settings that let the subscription copy n tables at once, never below these:
// a sync worker each, the apply worker and the others' workers, and the launcher's process.
func (w SyncWorkerSettings) For(n int) SyncWorkerSettings {
	want := w
	want.SyncWorkers = max(w.SyncWorkers, n)
	want.LogicalWorkers = max(w.LogicalWorkers, n+1+w.Busy)
	want.WorkerProcesses = max(w.WorkerProcesses, want.LogicalWorkers+2)
	return want
}

// SuggestedSyncWorkers is how many tables at once preflight suggests copying: more pass the
// point where the primary's disk and the replica's CPUs, not the workers, set the pace, and
// each one holds a replication slot and a WAL sender on the primary while it copies.
const SuggestedSyncWorkers = 8

// suggestedSyncWorkers is what preflight suggests for a migration of tables tables.
func suggestedSyncWorkers(tables int) int { return max(2, min(tables, SuggestedSyncWorkers)) }

// A rough model of the initial copy, measured on small tables on a 2-core machine: each
// table costs a worker about this much beyond its bytes (a temporary slot on the primary,
// its snapshot, the catch-up with the apply worker), and a worker copies about this many
// bytes a second.
const (
	copyPerTable       = 70 * time.Millisecond
	copyBytesPerSecond = 40 << 20
)

// setupCopyPerTable is what each table costs setup's own copy beyond its bytes (two COPY
// round trips on one connection each side), measured at 1,000 small tables.
const setupCopyPerTable = time.Millisecond

// estimateSetupCopy is how long setup's own copy of tables tables holding bytes takes: one
// table after the other, on one connection.
func estimateSetupCopy(tables int, bytes int64) time.Duration {
	return time.Duration(tables)*setupCopyPerTable + time.Duration(float64(bytes)/copyBytesPerSecond*float64(time.Second))
}

// estimateCopy is how long the initial copy of tables tables holding bytes takes with
// workers copying at once.
func estimateCopy(tables int, bytes int64, workers int) time.Duration {
	workers = max(workers, 1)
	rounds := math.Ceil(float64(tables) / float64(workers))
	perWorker := float64(bytes) / float64(workers) / copyBytesPerSecond
	return time.Duration(rounds*float64(copyPerTable)) + time.Duration(perWorker*float64(time.Second))
}

// readSyncWorkerSettings reads the settings on s (the replica), and how many logical
// replication workers run there now for subscriptions other than exclude (none: "").
func readSyncWorkerSettings(ctx context.Context, s *server, exclude string) (SyncWorkerSettings, error) {
	var w SyncWorkerSettings
	err := s.conn.QueryRow(ctx, `SELECT current_setting('max_sync_workers_per_subscription')::int,
		current_setting('max_logical_replication_workers')::int, current_setting('max_worker_processes')::int,
		(SELECT count(*) FROM pg_stat_subscription WHERE pid IS NOT NULL AND subname <> $1)::int`, exclude).
		Scan(&w.SyncWorkers, &w.LogicalWorkers, &w.WorkerProcesses, &w.Busy)
	if err != nil {
		return w, fmt.Errorf("%s: read the replication worker settings: %w", s.role, err)
	}
	return w, nil
}

// syncWorkerChanges lists the settings that differ between w and want, in the order they
// are given: name = value.
func syncWorkerChanges(w, want SyncWorkerSettings) []settingChange {
	var out []settingChange
	for _, c := range []settingChange{
		{"max_sync_workers_per_subscription", w.SyncWorkers, want.SyncWorkers, false},
		{"max_logical_replication_workers", w.LogicalWorkers, want.LogicalWorkers, true},
		{"max_worker_processes", w.WorkerProcesses, want.WorkerProcesses, true},
	} {
		if c.to != c.from {
			out = append(out, c)
		}
	}
	return out
}

// settingChange is a server setting to change; restart: it takes effect only then.
type settingChange struct {
	name     string
	from, to int
	restart  bool
}

func (c settingChange) String() string { return fmt.Sprintf("%s = %d", c.name, c.to) }
