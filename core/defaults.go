package core

import "time"

// Every default of pghandoff's options, in one place. The CLI's flags, the Action's inputs
// (action.yml) and the bot's configuration show these values, and tests in each front end
// compare what they show with them.
//
// One rule for zero: in every options struct, a zero duration or count means the default
// given here. A negative one is refused with an InvalidOptionError naming the option.

// DefaultName names the sentinel table, the publication, the subscription and the replication
// slot as the seed scripts name them, so that a migration started with the scripts can be
// watched and finished with pghandoff.
const DefaultName = "_planetscale_import"

// Readiness.
const (
	// DefaultMaxLag is the lag under which a migration counts as caught up.
	DefaultMaxLag int64 = 1 << 20
	// DefaultSentinelTimeout is how long status waits for its sentinel row on the replica.
	DefaultSentinelTimeout = 5 * time.Second
	// DefaultWaitInterval is the time between wait's checks.
	DefaultWaitInterval = 2 * time.Second
	// DefaultWaitTimeout: wait has no limit of its own; a workflow's or a terminal's does.
	DefaultWaitTimeout time.Duration = 0
)

// The pause of cutover.
const (
	// DefaultMaxPause bounds how long the application's statements are held.
	DefaultMaxPause = 5 * time.Second
	// DefaultPauseLockTimeout bounds the wait for each lock of the pause. It stays under
	// PostgreSQL's deadlock_timeout (1s) so that it is cutover that gives way.
	DefaultPauseLockTimeout = 500 * time.Millisecond
	// DefaultPauseLockAttempts is how often the pause tries to take its locks.
	DefaultPauseLockAttempts = 5
	// DefaultMargin is how many values cutover moves each sequence past the old primary's,
	// for writers that reach the old primary without the proxy.
	DefaultMargin int64 = 1000
)

// Statements that take locks or change schema on production servers.
const (
	// DefaultLockTimeout is lock_timeout for DDL: pghandoff never queues behind a long
	// transaction and blocks everyone after it.
	DefaultLockTimeout = 5 * time.Second
	// DefaultStatementTimeout is statement_timeout for everything an operation runs.
	DefaultStatementTimeout = 5 * time.Minute
)

// Sequences for the switch without a proxy, as ff-seq.sh did them.
const (
	// DefaultSkip is how many seconds of each sequence's observed use to move ahead by.
	DefaultSkip int64 = 3600
	// DefaultWindow is how long the primary's sequences are watched to measure their use.
	DefaultWindow = 10 * time.Second
)

// Setup copies the small tables itself, from one snapshot, and leaves the others to the
// replica's sync workers (setup_copy.go): a table-sync worker costs a process, a slot and
// a handshake with the apply worker, some 40 to 100 ms, whatever the table's size.
const (
	// SetupCopyTableMax is the largest table setup copies itself: above it, the workers'
	// parallel copy, with its progress in status, is worth their cost.
	SetupCopyTableMax int64 = 64 << 20
	// SetupCopyTotalMax bounds what setup copies in all, so that it returns in seconds.
	SetupCopyTotalMax int64 = 1 << 30
)

// DefaultVerifyParallel is how many tables verify compares at once.
const DefaultVerifyParallel = 4

// DefaultJobs is how many deferred indexes and constraints wait builds at once on the
// replica, at most: fewer when the replica's shared_buffers do not hold that many builds'
// maintenance_work_mem (deferred_lock.go), or a connection budget does not allow them.
const DefaultJobs = 4

// The connection budget of a client that runs many operations (the bot, status --serve).
const (
	// DefaultConnections is how many connections such a client holds at once on each server:
	// enough for one operation and its lock beside a status check, few beside the
	// application's.
	DefaultConnections = 3
	// MinConnections is the least budget every operation fits in.
	MinConnections = 3
)

// defaultConnectTimeout bounds how long an unreachable server can hold an operation.
const defaultConnectTimeout = 10 * time.Second

// DefaultFDWOptions are the postgres_fdw server options pghandoff sets, chosen by measuring
// an application's traffic through the proxy (see BENCHMARKS.md, "Issue 3"):
//   - fetch_size: rows per round trip when reading; the default, 100, makes a scan of 10,000
//     rows take 100 round trips.
//   - batch_size: rows per INSERT round trip for multi-row inserts and COPY (PG14+); the
//     default, 1, sends one statement per row.
//   - keep_connections: keep each session's connection to the server between transactions
//     (the default, said explicitly so that nobody's ALTER SERVER turns it off unnoticed).
var DefaultFDWOptions = map[string]string{
	"fetch_size":       "1000",
	"batch_size":       "100",
	"keep_connections": "on",
}

// orDefault applies the rule for zero to one option: v when set, def when zero, and an
// error naming the option when negative.
func orDefault[T int | int64 | time.Duration](opt Option, v, def T) (T, error) {
	switch {
	case v < 0:
		return 0, &InvalidOptionError{Option: opt, Reason: "must not be negative"}
	case v == 0:
		return def, nil
	}
	return v, nil
}
