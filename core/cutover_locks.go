package core

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// The locks of the pause: which, in what order, and how they are taken.

// lockTarget is a foreign table of the migration on the proxy.
type lockTarget struct {
	name  string // qualified, quoted
	oid   uint32
	owner string
}

// prepareLocks lists the foreign tables to lock (the helper ones too: a default drawing a
// sequence value is a write to the primary) and checks the proxy has lock slots for them.
// The helpers come last, in the order an INSERT takes them: its table, then the helper of
// its default. Locking a helper first would deadlock with every insert in flight.
func (c *cutover) prepareLocks(ctx context.Context) error {
	rows, err := c.proxy.conn.Query(ctx, `SELECT format('%I.%I', n.nspname, c.relname), c.oid, pg_get_userbyid(c.relowner)::text
		FROM pg_foreign_table ft
		JOIN pg_class c ON c.oid = ft.ftrelid
		JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE ft.ftserver = (SELECT oid FROM pg_foreign_server WHERE srvname = $1)
		ORDER BY n.nspname = $2, 1`, c.opts.name(), c.opts.helperSchema())
	if err != nil {
		return fmt.Errorf("proxy: list foreign tables: %w", err)
	}
	err = forEachRow(rows, func(row pgx.CollectableRow) error {
		var t lockTarget
		if err := row.Scan(&t.name, &t.oid, &t.owner); err != nil {
			return err
		}
		c.tables = append(c.tables, t)
		return nil
	})
	if err != nil {
		return fmt.Errorf("proxy: list foreign tables: %w", err)
	}
	c.res.Tables = len(c.tables)
	if !c.opts.DryRun {
		if c.watcher, err = openServer(ctx, roleProxy, c.opts.Proxy, "cutover (deadlock watch)"); err != nil {
			return err
		}
	}
	var maxLocks int
	if err := c.proxy.conn.QueryRow(ctx, "SELECT current_setting('max_locks_per_transaction')::int").Scan(&maxLocks); err != nil {
		return fmt.Errorf("proxy: read max_locks_per_transaction: %w", err)
	}
	// The lock table is shared, sized max_locks_per_transaction per connection: one
	// transaction may take more than its share only while others leave room.
	if need := len(c.tables) + 16; need > maxLocks {
		return refused(remedyf("set max_locks_per_transaction = %d (or more) on the proxy and restart it (on a managed service, in its parameters), then cut over again", need),
			"the pause locks %d foreign tables in one transaction, and the proxy's max_locks_per_transaction is %d", len(c.tables), maxLocks)
	}
	return nil
}

// lockBatch opens the pause's transaction and takes every lock, in one round trip. An
// ALTER FOREIGN TABLE takes an ACCESS EXCLUSIVE lock (LOCK TABLE refuses foreign tables);
// setting the owner it already has changes nothing.
func (c *cutover) lockBatch(timeout time.Duration) []string {
	stmts := []string{"BEGIN", fmt.Sprintf("SET LOCAL lock_timeout = %d", timeout.Milliseconds()),
		fmt.Sprintf("SET LOCAL statement_timeout = %d", (c.opts.MaxPause + timeout).Milliseconds())}
	for _, t := range c.tables {
		stmts = append(stmts, fmt.Sprintf("ALTER FOREIGN TABLE %s OWNER TO %s", t.name, ident(t.owner)))
	}
	return stmts
}

// lockBatchPrefix is the number of statements of lockBatch before the first ALTER.
const lockBatchPrefix = 3

// takeLocks runs the lock batch, watched for deadlocks. When a lock is not granted it
// returns the index of its table, read from how many statements of the batch completed.
func (c *cutover) takeLocks(ctx context.Context, attempt int) (int, error) {
	stmts := c.lockBatch(c.opts.LockTimeout)
	if attempt == 1 {
		for _, stmt := range stmts {
			c.r.record(ctx, c.proxy, stmt)
		}
	}
	if c.opts.DryRun {
		return -1, nil
	}
	stop := c.watchDeadlock(ctx)
	results := c.proxy.conn.PgConn().Exec(ctx, strings.Join(stmts, ";\n"))
	done := 0
	for results.NextResult() {
		if _, err := results.ResultReader().Close(); err != nil {
			break
		}
		done++
	}
	err := results.Close()
	if deadlock := stop(); err != nil {
		if deadlock {
			return done - lockBatchPrefix, fmt.Errorf("proxy: take the locks: %w", errDeadlock)
		}
		return done - lockBatchPrefix, fmt.Errorf("proxy: take the locks: %w", err)
	}
	return -1, nil
}

// errDeadlock: the pause and an application transaction were waiting for each other.
var errDeadlock = errors.New("an application transaction holds a table the pause waits for, and waits for one the pause holds")

// deadlockSQL finds a session that the pause waits for and that waits for the pause: an
// application transaction holding a table the pause asks for and asking for one it holds.
const deadlockSQL = `SELECT EXISTS (SELECT 1 FROM unnest(pg_blocking_pids($1)) AS b(pid) WHERE $1 = ANY (pg_blocking_pids(b.pid)))`

// watchDeadlock watches, from a second connection, the lock batch in flight, and cancels it
// as soon as it is in a deadlock: PostgreSQL's own detector waits deadlock_timeout (1s by
// default) and could pick the application's transaction to kill; lock_timeout alone would
// hold the application for all of LockTimeout. stop ends the watch and reports whether it
// cancelled the batch. A cancel that arrives once the batch is over finds the session idle,
// where PostgreSQL ignores it.
func (c *cutover) watchDeadlock(ctx context.Context) (stop func() bool) {
	pid := c.proxy.conn.PgConn().PID()
	var mu sync.Mutex
	running, cancelled := true, false
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
			if err := c.watcher.conn.QueryRow(ctx, deadlockSQL, pid).Scan(&deadlock); err != nil || !deadlock {
				continue
			}
			mu.Lock()
			if running {
				_, err := c.watcher.conn.Exec(ctx, "SELECT pg_cancel_backend($1)", pid)
				cancelled = err == nil
			}
			mu.Unlock()
			return
		}
	}()
	return func() bool {
		mu.Lock()
		running = false
		mu.Unlock()
		close(quit)
		<-finished
		return cancelled
	}
}
