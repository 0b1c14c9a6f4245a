package core

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
)

// The proxy's hold: one round trip that opens the pause's transaction and locks every foreign
// table of the migration. The application's tables are locked before the sequence helpers,
// in the order an INSERT takes them (its table, then the helper of its default): locking a
// helper first would deadlock with every insert in flight.

// lockTarget is a foreign table of the migration on the proxy.
type lockTarget struct {
	name   string // qualified, quoted
	oid    uint32
	owner  string
	helper bool // a sequence helper
	child  bool // it inherits its pause parent, whose LOCK TABLE locks it
}

// listLockTargets lists the migration's foreign tables, the application's first, each with
// whether its pause parent locks it, and the parents to lock.
func (s *fdwSwitch) listLockTargets(ctx context.Context) error {
	rows, err := s.proxy.conn.Query(ctx, `SELECT format('%I.%I', n.nspname, c.relname), c.oid, pg_get_userbyid(c.relowner)::text,
		n.nspname = $2 AS helper,
		EXISTS (SELECT 1 FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent JOIN pg_namespace pn ON pn.oid = p.relnamespace
		        WHERE i.inhrelid = c.oid AND pn.nspname = $2 AND p.relkind = 'r'
		          AND p.relname = CASE WHEN n.nspname = $2 THEN $4 ELSE $3 END) AS child
		FROM pg_foreign_table ft
		JOIN pg_class c ON c.oid = ft.ftrelid
		JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE ft.ftserver = (SELECT oid FROM pg_foreign_server WHERE srvname = $1)
		ORDER BY n.nspname = $2, 1`, s.m.name(), s.m.helperSchema(), pauseTablesParent, pauseSequencesParent)
	if err != nil {
		return fmt.Errorf("proxy: list foreign tables: %w", err)
	}
	children := map[string]bool{} // parents with children
	err = forEachRow(rows, func(row pgx.CollectableRow) error {
		var t lockTarget
		if err := row.Scan(&t.name, &t.oid, &t.owner, &t.helper, &t.child); err != nil {
			return err
		}
		s.tables = append(s.tables, t)
		children[pauseTablesParent] = children[pauseTablesParent] || (t.child && !t.helper)
		children[pauseSequencesParent] = children[pauseSequencesParent] || (t.child && t.helper)
		return nil
	})
	if err != nil {
		return fmt.Errorf("proxy: list foreign tables: %w", err)
	}
	for _, parent := range []string{pauseTablesParent, pauseSequencesParent} {
		if children[parent] {
			s.parents = append(s.parents, s.m.pauseParent(parent))
		}
	}
	return nil
}

// noteOneByOne says how many foreign tables the pause locks one by one: those of a proxy an
// older pghandoff made, which cost the pause a statement each.
func (s *fdwSwitch) noteOneByOne(ctx context.Context) {
	n := 0
	for _, t := range s.tables {
		if !t.child {
			n++
		}
	}
	if n > 0 {
		s.r.note(ctx, roleProxy, "%d of the %d foreign tables do not inherit the pause's parents (a proxy made by an older pghandoff): "+
			"the pause locks them one by one, a statement each; creating the proxy again makes them children", n, len(s.tables))
	}
}

// What a statement of the lock batch locks: one of s.tables (its index), or neither.
const (
	locksNothing = -1
	locksParents = -2 // the LOCK TABLE of the parents: which child it waited for, the watch reads
)

// lockStatements are the hold's statements, and for each what it locks.
type lockStatements struct {
	sql   []string
	locks []int
}

func (b *lockStatements) add(sql string, locks int) {
	b.sql, b.locks = append(b.sql, sql), append(b.locks, locks)
}

// lockBatch opens the pause's transaction and takes every lock, in one round trip: first the
// tables earlier attempts were not granted in time (the latest first: it is waited for while
// holding nothing else), then the application's tables that are no parent's children, the parents (the
// application's tables', then the helpers'), and the helpers that are no parent's children.
// An ALTER FOREIGN TABLE setting the owner the table already has changes nothing but takes
// its lock; a table locked twice is locked once.
func (s *fdwSwitch) lockBatch(p *pause) lockStatements {
	var b lockStatements
	b.add("BEGIN", locksNothing)
	b.add(fmt.Sprintf("SET LOCAL lock_timeout = %d", p.lockTimeout.Milliseconds()), locksNothing)
	b.add(fmt.Sprintf("SET LOCAL statement_timeout = %d", p.maxPause.Milliseconds()), locksNothing)
	alter := func(i int) {
		b.add(fmt.Sprintf("ALTER FOREIGN TABLE %s OWNER TO %s", s.tables[i].name, ident(s.tables[i].owner)), i)
	}
	for i := range s.first {
		alter(i)
	}
	for i := s.first; i < len(s.tables); i++ {
		if !s.tables[i].child && !s.tables[i].helper {
			alter(i)
		}
	}
	if len(s.parents) > 0 {
		b.add("LOCK TABLE "+strings.Join(s.parents, ", ")+" IN ACCESS EXCLUSIVE MODE", locksParents)
	}
	for i := s.first; i < len(s.tables); i++ {
		if !s.tables[i].child && s.tables[i].helper {
			alter(i)
		}
	}
	b.add(remainingSQL(p.maxPause), locksNothing)
	return b
}

// hold takes the locks, watched for deadlocks. When a lock is not granted in time, it lets
// everything go and puts that table first for the next attempt: waiting for it first,
// holding no other, lets an application transaction that holds it and wants another finish
// instead of deadlocking.
func (s *fdwSwitch) hold(ctx context.Context, p *pause, _ int) (bool, error) {
	if s.dryRun {
		return false, nil
	}
	b := s.lockBatch(p)
	stop := s.watchLocks(ctx)
	results := s.proxy.conn.PgConn().Exec(ctx, strings.Join(b.sql, ";\n"))
	done := 0
	for results.NextResult() {
		if _, err := results.ResultReader().Close(); err != nil {
			break
		}
		done++
	}
	err := results.Close()
	seen := stop()
	if err == nil {
		s.r.note(ctx, roleProxy, "locks taken on %d foreign tables: no write reaches the %s through the proxy now", len(s.tables), p.sourceRole)
		return false, nil
	}
	rollback(s.proxy)
	if sqlState(err) != codeLockNotAvailable && !seen.deadlock {
		return false, fmt.Errorf("proxy: take the locks: %w", err)
	}
	why := fmt.Sprintf("was not granted within %s", p.lockTimeout)
	if seen.deadlock {
		why = "is held by an application transaction waiting for a table the pause held"
	}
	i := s.failedAt(b, done, seen.waitedFor)
	if i < 0 {
		s.r.warn(ctx, roleProxy, "a lock of the pause %s: released every lock, trying again", why)
		return true, nil
	}
	s.r.warn(ctx, roleProxy, "the lock on %s %s: released every lock, trying again with that table first", s.tables[i].name, why)
	s.putFirst(i)
	return true, nil
}

// failedAt finds the table whose lock failed the batch at statement done: the one its ALTER
// names, or for the LOCK TABLE of the parents, the child the watch saw it wait for (-1: none).
func (s *fdwSwitch) failedAt(b lockStatements, done int, waitedFor uint32) int {
	if done >= len(b.locks) {
		return -1
	}
	if b.locks[done] != locksParents {
		return b.locks[done]
	}
	return slices.IndexFunc(s.tables, func(t lockTarget) bool { return t.oid == waitedFor && waitedFor != 0 })
}

// putFirst moves table i to the front of the tables earlier attempts failed on.
func (s *fdwSwitch) putFirst(i int) {
	t := s.tables[i]
	s.tables = slices.Insert(slices.Delete(s.tables, i, i+1), 0, t)
	if i >= s.first {
		s.first++
	}
}
