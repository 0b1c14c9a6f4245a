package core

import (
	"context"
	"sync"
	"time"
)

// watchLocksSQL reads, for the lock batch's session $1, whether it waits for a lock and, only
// then: whether it is in a deadlock (a session it waits for waits for it: an application
// transaction holding a table the pause asks for and asking for one the pause holds), and
// the relation it waits for. pg_locks is read only while the batch waits (a CASE runs its
// subquery only when reached): it has a row for each of the pause's locks, thousands on a
// big schema, and reading it every 5 ms would slow the batch it watches.
const watchLocksSQL = `SELECT b.blocked AND EXISTS (SELECT 1 FROM unnest(b.pids) AS x(pid) WHERE $1 = ANY (pg_blocking_pids(x.pid))),
	CASE WHEN b.blocked THEN (SELECT l.relation::int8 FROM pg_locks l
	                          WHERE l.pid = $1 AND NOT l.granted AND l.locktype = 'relation' LIMIT 1) END
	FROM (SELECT p AS pids, cardinality(p) > 0 AS blocked FROM pg_blocking_pids($1) AS p) b`

// lockWatch is what the watch saw of the lock batch.
type lockWatch struct {
	deadlock  bool   // it cancelled the batch, in a deadlock
	waitedFor uint32 // the last relation seen the batch waiting for (0: none)
}

// watchLocks watches, from the second connection, the lock batch in flight: it keeps the
// relation the batch waits for (one LOCK TABLE locks thousands: the count of its results
// cannot say which lock failed), and cancels the batch as soon as it is in a deadlock:
// PostgreSQL's own detector waits deadlock_timeout (1s by default) and could pick the
// application's transaction to kill; lock_timeout alone would hold the application for all
// of it. stop ends the watch and reports what it saw. A cancel that arrives once the batch is
// over finds the session idle, where PostgreSQL ignores it.
func (s *fdwSwitch) watchLocks(ctx context.Context) (stop func() lockWatch) {
	pid := s.proxy.conn.PgConn().PID()
	var mu sync.Mutex
	running := true
	var seen lockWatch
	quit, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		for {
			select {
			case <-quit:
				return
			case <-time.After(5 * time.Millisecond):
			}
			var deadlock bool
			var rel *int64
			if err := s.watcher.conn.QueryRow(ctx, watchLocksSQL, pid).Scan(&deadlock, &rel); err != nil {
				continue
			}
			mu.Lock()
			if rel != nil {
				seen.waitedFor = uint32(*rel)
			}
			if deadlock && running {
				_, err := s.watcher.conn.Exec(ctx, "SELECT pg_cancel_backend($1)", pid)
				seen.deadlock = err == nil
			}
			mu.Unlock()
			if deadlock {
				return
			}
		}
	}()
	return func() lockWatch {
		mu.Lock()
		running = false
		mu.Unlock()
		close(quit)
		<-finished
		return seen
	}
}
