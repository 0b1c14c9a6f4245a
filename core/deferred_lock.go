package core

import (
	"context"
	"fmt"
)

// buildLockClass is the first key of the advisory lock that whoever builds a migration's
// deferred indexes holds on the replica ("pghi"); the second is the migration's, as for the
// operation lock. Two waits, or a wait and the bot, never build the same index twice: the
// second finds the lock taken and leaves the building to the first.
const buildLockClass int32 = 0x70676869

// takeBuildLock opens a connection to the replica holding the build lock in a transaction
// left open, the way the operation lock is held (operation_lock.go). The transaction reads
// the list of deferred units as they are built (read committed sees each build's commit),
// and holds no snapshot between reads. It returns nil, and no connection, when another
// session holds the lock.
func takeBuildLock(ctx context.Context, m Migration) (*server, error) {
	srv, err := openServer(ctx, roleReplica, m.Replica, "build indexes")
	if err != nil {
		return nil, err
	}
	if _, err := srv.conn.Exec(ctx, lockSessionSettings); err != nil {
		srv.close()
		return nil, fmt.Errorf("replica: take the lock for building indexes: %w", err)
	}
	ok, err := srv.exists(ctx, "SELECT pg_try_advisory_xact_lock($1, $2)", buildLockClass, lockKey(m.name()))
	if err != nil || !ok {
		srv.close()
		return nil, wrapRole(srv, "take the lock for building indexes", err)
	}
	return srv, nil
}

// buildLimits are the replica's settings that bound how many indexes it builds at once.
type buildLimits struct {
	SharedBuffers      int64 `json:"shared_buffers"`       // bytes
	MaintenanceWorkMem int64 `json:"maintenance_work_mem"` // bytes, each build's memory
	ParallelWorkers    int   `json:"max_parallel_maintenance_workers"`
}

func readBuildLimits(ctx context.Context, replica *server) (buildLimits, error) {
	var l buildLimits
	err := replica.conn.QueryRow(ctx, `SELECT pg_size_bytes(current_setting('shared_buffers')),
		pg_size_bytes(current_setting('maintenance_work_mem')), current_setting('max_parallel_maintenance_workers')::int`).
		Scan(&l.SharedBuffers, &l.MaintenanceWorkMem, &l.ParallelWorkers)
	return l, wrapRole(replica, "read the settings of index builds", err)
}

// jobs is how many builds the replica takes at once, of the wanted: as many as leave their
// memory (maintenance_work_mem each) within shared_buffers, the share of the server's memory
// its operator gave PostgreSQL, and at least one.
func (l buildLimits) jobs(wanted int) int {
	if l.MaintenanceWorkMem > 0 {
		wanted = min(wanted, int(l.SharedBuffers/l.MaintenanceWorkMem))
	}
	return max(1, wanted)
}

// buildJobs is how many builds an operation may run at once by its options: the option's,
// or DefaultJobs, within what a connection budget leaves beside the operation's other
// connections to the replica.
func buildJobs(jobs int, budget *Budget, others int) (int, error) {
	jobs, err := orDefault(OptJobs, jobs, DefaultJobs)
	if err != nil {
		return 0, err
	}
	if budget != nil {
		jobs = max(1, min(jobs, budget.PerServer()-others))
	}
	return jobs, nil
}
