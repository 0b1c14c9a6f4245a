package core

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// fdwSwitch is the postgres_fdw proxy as the pause drives it: the hold is an ACCESS EXCLUSIVE
// lock on every foreign table of the migration, taken in one transaction of the proxy (one
// LOCK TABLE of the pause's parents, pause_parents.go, for their children; an ALTER FOREIGN
// TABLE for each of the others, pause_fdw_locks.go); the repoint is the foreign server's and
// user mappings' options, changed in that transaction; the release is its COMMIT. The queued
// statements then run against the target.
type fdwSwitch struct {
	m       Migration
	proxy   *server
	watcher *server // a second connection, watching the lock batch for deadlocks
	srv     fdwServer
	// tables are the foreign tables to lock: the first ones, in order, those earlier attempts
	// were not granted in time; then the others, the application's before the helpers.
	tables []lockTarget
	first  int
	// parents are the pause's parents with children to lock, the application's tables' first.
	parents []string
	r       *runner
	dryRun  bool
	// prepared: the lock batch is recorded and the session's caches loaded (prepare).
	prepared bool
}

var _ trafficStrategy = (*fdwSwitch)(nil)

func (s *fdwSwitch) role() string      { return roleProxy }
func (s *fdwSwitch) name() string      { return "the proxy" }
func (s *fdwSwitch) subject() string   { return "the proxy's foreign server " + ident(s.m.name()) }
func (s *fdwSwitch) settled() []string { return nil }

// pointsAt is where the foreign server pointed when the switch began.
func (s *fdwSwitch) pointsAt() string {
	switch {
	case s.srv.pointsAt(s.m.Primary):
		return rolePrimary
	case s.srv.pointsAt(s.m.Replica):
		return roleReplica
	}
	return ""
}

// newFDWSwitch reads the proxy's foreign server and lists the foreign tables to lock (the
// helper ones too: a default drawing a sequence value is a write to the source), checking
// that the proxy has lock slots for them.
func newFDWSwitch(ctx context.Context, proxy *server, m Migration, r *runner) (*fdwSwitch, error) {
	s := &fdwSwitch{m: m, proxy: proxy, r: r, dryRun: r.dryRun}
	var err error
	if s.srv, err = readFDWServer(ctx, proxy, m); err != nil {
		return nil, err
	}
	if !s.srv.exists {
		return nil, withHint(fmt.Errorf("%w: the proxy has no foreign server %s", ErrNotFound, m.name()), remedy("run ", CmdProxyCreate, " first"))
	}
	if err := s.listLockTargets(ctx); err != nil {
		return nil, err
	}
	return s, s.checkLockSlots(ctx)
}

// checkLockSlots refuses a pause the proxy's lock table cannot hold. It is shared, sized
// max_locks_per_transaction per connection: one transaction may take more than its share
// only while others leave room.
func (s *fdwSwitch) checkLockSlots(ctx context.Context) error {
	var maxLocks int
	if err := s.proxy.conn.QueryRow(ctx, "SELECT current_setting('max_locks_per_transaction')::int").Scan(&maxLocks); err != nil {
		return fmt.Errorf("proxy: read max_locks_per_transaction: %w", err)
	}
	if need := len(s.tables) + 16; need > maxLocks {
		return refused(remedyf("set max_locks_per_transaction = %d (or more) on the proxy and restart it (on a managed service, in its parameters), then try again", need),
			"the pause locks %d foreign tables in one transaction, and the proxy's max_locks_per_transaction is %d", len(s.tables), maxLocks)
	}
	return nil
}

// prepare does, before the first attempt, what taking hold needs and can do without holding
// anything: it opens the deadlock watch's connection, records the lock batch, and loads the
// proxy session's caches with every foreign table. A session that has never opened a
// relation reads its catalog entries on first use: done by the lock batch, that was half of
// it (2,000 foreign tables: 100 to 200 ms cold, 25 to 60 ms warm, on 2 shared cores).
// Later attempts find it done.
func (s *fdwSwitch) prepare(ctx context.Context, p *pause) error {
	if s.prepared {
		return nil
	}
	for _, stmt := range s.lockBatch(p).sql {
		s.r.record(ctx, s.proxy, stmt)
	}
	p.rep.Tables = len(s.tables)
	s.noteOneByOne(ctx)
	if s.dryRun {
		return nil
	}
	if err := s.openWatcher(ctx); err != nil {
		return err
	}
	names := slices.Clone(s.parents)
	for _, t := range s.tables {
		names = append(names, t.name)
	}
	// pg_relation_size opens each table (a foreign table has no files: 0), by its name as the
	// lock batch names it, and closes it: a share lock held for an instant.
	if _, err := s.proxy.conn.Exec(ctx, "SELECT count(pg_relation_size(n::regclass)) FROM unnest($1::text[]) AS n", names); err != nil {
		return fmt.Errorf("proxy: read the foreign tables: %w", err)
	}
	s.prepared = true
	return nil
}

// openWatcher opens the deadlock watch's connection.
func (s *fdwSwitch) openWatcher(ctx context.Context) error {
	if s.watcher != nil {
		return nil
	}
	var err error
	s.watcher, err = openServer(ctx, roleProxy, s.m.Proxy, s.r.op+" (deadlock watch)")
	return err
}

func (s *fdwSwitch) close() { s.watcher.close() }

// remainingSQL sets, on the proxy, the statement and idle timeouts of the pause's
// transaction to what is left of the pause, computed by the proxy itself from the
// transaction's start (now()): if pghandoff stops talking, the proxy ends the transaction and
// releases the locks on time.
func remainingSQL(maxPause time.Duration) string {
	left := fmt.Sprintf("greatest(1, %d - (extract(epoch FROM clock_timestamp() - now()) * 1000)::bigint)::text", maxPause.Milliseconds())
	return "SELECT set_config('statement_timeout', " + left + ", true), set_config('idle_in_transaction_session_timeout', " + left + ", true)"
}

// repoint points the foreign server and every user mapping at the target, in the pause's
// transaction, with the proxy's timeouts brought down to what is left of the pause.
func (s *fdwSwitch) repoint(ctx context.Context, p *pause) error {
	real, shown := s.switchBatch(p.targetDSN)
	for _, sql := range shown {
		s.r.record(ctx, s.proxy, sql)
	}
	if s.dryRun || len(real) == 0 {
		return nil
	}
	_, err := s.proxy.conn.Exec(ctx, strings.Join(append([]string{remainingSQL(p.maxPause)}, real...), ";\n"))
	return err
}

// switchBatch points the foreign server and every user mapping at dsn: the statements to
// run and the statements to show.
func (s *fdwSwitch) switchBatch(dsn DSN) (real, shown []string) {
	name := ident(s.m.name())
	if clause := alterOptionsClause(s.srv.options, connectionOptions(dsn), isTuningOption); clause != "" {
		real = append(real, "ALTER SERVER "+name+" "+clause)
		shown = append(shown, "ALTER SERVER "+name+" "+clause)
	}
	creds, masked := mappingOptions(dsn)
	notCredential := func(k string) bool { return k != "user" && k != "password" }
	for _, um := range s.srv.mappings {
		prefix := "ALTER USER MAPPING FOR " + mappingRole(um.role) + " SERVER " + name + " "
		if clause := alterOptionsClause(um.options, creds, notCredential); clause != "" {
			real = append(real, prefix+clause)
			shown = append(shown, prefix+alterOptionsClause(maskPassword(um.options), masked, notCredential))
		}
	}
	return real, shown
}

func maskPassword(opts map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range opts {
		if k == "password" {
			v = "(old)"
		}
		out[k] = v
	}
	return out
}

func (s *fdwSwitch) release(ctx context.Context, p *pause) error {
	return s.r.exec(ctx, s.proxy, "COMMIT", "")
}

// abort rolls the pause's transaction back: the foreign server's options return with it.
func (s *fdwSwitch) abort(*pause) error {
	if !s.dryRun {
		rollback(s.proxy)
	}
	return nil
}

// waiting counts the sessions waiting for the pause's locks: those the pause's session
// blocks (pg_blocking_pids, computed only for sessions waiting for a lock). Reading pg_locks
// instead costs a row for each of the pause's own locks, thousands on a big schema.
func (s *fdwSwitch) waiting(ctx context.Context) int {
	if s.dryRun {
		return 0
	}
	var n int
	err := s.proxy.conn.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
		WHERE datname = current_database() AND wait_event_type = 'Lock' AND pg_backend_pid() = ANY (pg_blocking_pids(pid))`).Scan(&n)
	if err != nil {
		return 0
	}
	return n
}

// target reads, on a connection of its own, where the foreign server points.
func (s *fdwSwitch) target(ctx context.Context) (string, error) {
	return proxyTarget(ctx, s.m)
}

// proxyTarget reads where migration m's foreign server on the proxy points: the primary,
// the replica, or neither ("").
func proxyTarget(ctx context.Context, m Migration) (string, error) {
	proxy, err := openServer(ctx, roleProxy, m.Proxy, "read where the proxy points")
	if err != nil {
		return "", err
	}
	defer proxy.close()
	srv, err := readFDWServer(ctx, proxy, m)
	switch {
	case err != nil:
		return "", err
	case !srv.exists:
		return "", nil
	case srv.pointsAt(m.Primary):
		return rolePrimary, nil
	case srv.pointsAt(m.Replica):
		return roleReplica, nil
	}
	return "", nil
}
