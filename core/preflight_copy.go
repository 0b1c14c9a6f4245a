package core

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// CopyAdvice is what preflight found of the replica's initial copy: the migration's tables,
// how many the replica's settings let it copy at once and about how long that takes, and the
// settings that would copy SuggestedAtOnce at once instead (setup's sync-workers option sets
// them when the replica lets it).
type CopyAdvice struct {
	// SetupTables are the small tables setup copies itself (setup_copy.go), SetupBytes
	// their size, SetupEstimateSeconds about how long that takes.
	SetupTables          int     `json:"setup_tables"`
	SetupBytes           int64   `json:"setup_bytes"`
	SetupEstimateSeconds float64 `json:"setup_estimate_seconds"`
	// Tables and Bytes are what the replica's sync workers copy: the rest.
	Tables          int                `json:"tables"`
	Bytes           int64              `json:"bytes"`
	Settings        SyncWorkerSettings `json:"settings"`
	AtOnce          int                `json:"at_once"`
	EstimateSeconds float64            `json:"estimate_seconds"`
	Suggested       SyncWorkerSettings `json:"suggested"`
	SuggestedAtOnce int                `json:"suggested_at_once"`
	// SuggestedEstimateSeconds is the copy's estimate with Suggested.
	SuggestedEstimateSeconds float64 `json:"suggested_estimate_seconds"`
}

// copyWorthAdvice is the estimate of the copy under which preflight says nothing of its
// settings: changing them (a restart, for two of them) buys less than that.
const copyWorthAdvice = 5 * time.Second

// checkInitialCopy compares the replica's worker settings with the migration's tables.
func checkInitialCopy(ctx context.Context, p *preflight) error {
	if p.primary == nil {
		return nil
	}
	a, err := adviseCopy(ctx, p.primary, p.replica, p.tables.publish, p.opts.name(), p.opts.CopyByWorkers)
	if err != nil {
		return err
	}
	p.res.Copy = a
	const name = "initial copy"
	now := fmt.Sprintf("the replica's sync workers copy %d table(s), %s: %d at once (max_sync_workers_per_subscription %d, max_logical_replication_workers %d, max_worker_processes %d), about %s",
		a.Tables, FormatBytes(a.Bytes), a.AtOnce, a.Settings.SyncWorkers, a.Settings.LogicalWorkers, a.Settings.WorkerProcesses, seconds(a.EstimateSeconds))
	if a.SetupTables > 0 {
		now = fmt.Sprintf("setup copies %d small table(s) itself from one snapshot, %s, about %s; %s", a.SetupTables, FormatBytes(a.SetupBytes), seconds(a.SetupEstimateSeconds), now)
	}
	if a.SuggestedAtOnce <= a.AtOnce || a.EstimateSeconds < copyWorthAdvice.Seconds() || a.SuggestedEstimateSeconds > a.EstimateSeconds/2 {
		p.pass(name, now)
		return nil
	}
	p.add(name, CheckWarn, now, copyRemedy(a))
	return nil
}

// copyRemedy says which settings to change on the replica, and what that buys.
func copyRemedy(a *CopyAdvice) Remedy {
	var reload, restart []string
	for _, c := range syncWorkerChanges(a.Settings, a.Suggested) {
		if c.restart {
			restart = append(restart, c.String())
		} else {
			reload = append(reload, c.String())
		}
	}
	var set []string
	if len(reload) > 0 {
		set = append(set, strings.Join(reload, ", ")+" (a reload)")
	}
	if len(restart) > 0 {
		set = append(set, strings.Join(restart, ", ")+" (a restart)")
	}
	text := fmt.Sprintf("to copy %d tables at once (about %s), set on the replica %s", a.SuggestedAtOnce, seconds(a.SuggestedEstimateSeconds), strings.Join(set, " and "))
	return remedy(text, ", or have setup set them with ", OptSyncWorkers, fmt.Sprintf(" %d; the primary then needs %d free replication slots and WAL senders", a.SuggestedAtOnce, a.SuggestedAtOnce+1))
}

// adviseCopy reads what the copy of tables would take: setup's own of the small ones
// (unless byWorkers), and the replica's of the rest with its settings and with the
// suggested ones.
func adviseCopy(ctx context.Context, primary, replica *server, tables []catalogTable, subscription string, byWorkers bool) (*CopyAdvice, error) {
	sizes, err := readTableSizes(ctx, primary, quotedNames(tables))
	if err != nil {
		return nil, err
	}
	w, err := readSyncWorkerSettings(ctx, replica, subscription)
	if err != nil {
		return nil, err
	}
	a := &CopyAdvice{Settings: w, AtOnce: w.AtOnce()}
	workers := tables
	if !byWorkers {
		var setup []catalogTable
		setup, workers, a.SetupBytes = splitCopy(tables, sizes, SetupCopyTableMax, SetupCopyTotalMax)
		a.SetupTables = len(setup)
		a.SetupEstimateSeconds = estimateSetupCopy(a.SetupTables, a.SetupBytes).Seconds()
	}
	a.Tables = len(workers)
	for _, t := range workers {
		a.Bytes += sizes[t.String()].bytes
	}
	a.EstimateSeconds = estimateCopy(a.Tables, a.Bytes, a.AtOnce).Seconds()
	a.Suggested = w.For(suggestedSyncWorkers(a.Tables))
	a.SuggestedAtOnce = a.Suggested.AtOnce()
	a.SuggestedEstimateSeconds = estimateCopy(a.Tables, a.Bytes, a.SuggestedAtOnce).Seconds()
	return a, nil
}

// seconds says a duration in seconds the way people round it.
func seconds(s float64) string {
	if s < 10 {
		return fmt.Sprintf("%.1f s", s)
	}
	return fmt.Sprintf("%.0f s", s)
}
