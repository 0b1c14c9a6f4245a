package core

import (
	"context"
	"fmt"
	"slices"
)

// The preflight checks of the indexes and the transfer: what setup leaves for after the copy and how many
// builds the replica takes at once, and how rows travel.

func checkIndexBuilds(ctx context.Context, p *preflight) error {
	if p.primary == nil {
		return nil
	}
	if p.opts.IndexesFirst {
		p.pass("indexes after the copy", "none: with indexes first, setup imports every index and constraint before the copy")
		return nil
	}
	tables := slices.DeleteFunc(catalogNames(p.tables.publish), func(t TableName) bool { return t == p.opts.sentinel() })
	cat, err := readDeferCatalog(ctx, p.primary, tables)
	if err != nil {
		return err
	}
	n := 0
	for k, o := range cat.objects {
		if o.table.String() == o.root && cat.deferrable(k) { // a partitioned index counts once
			n++
		}
	}
	limits, err := readBuildLimits(ctx, p.replica)
	if err != nil {
		return err
	}
	wanted, err := buildJobs(p.opts.Jobs, p.opts.Client.Budget, 2)
	if err != nil {
		return err
	}
	p.pass("indexes after the copy", fmt.Sprintf("%d secondary index(es) and constraint(s) built after their tables' copy, %d at a time (jobs %d, within shared_buffers %s over maintenance_work_mem %s), each with up to %d parallel worker(s)",
		n, limits.jobs(wanted), wanted, FormatBytes(limits.SharedBuffers), FormatBytes(limits.MaintenanceWorkMem), limits.ParallelWorkers))
	return nil
}

func checkTransfer(ctx context.Context, p *preflight) error {
	if p.primary == nil {
		return nil
	}
	t, err := decideTransfer(ctx, p.primary, p.replica, catalogNames(p.tables.publish))
	if err != nil {
		return err
	}
	streaming := "large transactions are sent only once committed (streaming needs PostgreSQL 14 on both servers)"
	switch t.Streaming {
	case "parallel":
		streaming = "large transactions streamed as they run, applied by parallel workers"
	case "on":
		streaming = "large transactions streamed as they run (applied in parallel from PostgreSQL 16 on both servers)"
	}
	p.pass("transfer", t.Why+"; "+streaming)
	return nil
}
