package core

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"time"
)

// A consistency point: both servers held at one WAL position for verify to read, while the
// application keeps writing. Replication applies the source's transactions in commit order,
// so the target stopped just before one transaction holds exactly what the source had
// committed before it. Verify writes a sentinel on the source, and a trigger on the target's
// sentinel table (enabled ALWAYS, so that the apply worker fires it) makes the apply worker
// wait, before applying that sentinel, for a lock verify holds. On the source, snapshots
// exported just before and just after the sentinel's commit bracket the same point: a table
// whose rows are the same in both had no commit in between, and its rows at the point are
// those. A table that changed in that millisecond is read again at a new point.

// pointSentinel marks the sentinel rows verify writes; the gate stops only these.
const pointSentinel = "pghandoff verify"

// consistencyPoint is one point: the target's apply stopped at the sentinel, and the source's
// two exported snapshots. It borrows verify's own connections to either server (the one to
// the source writes the sentinel, then holds the second snapshot; the one to the target holds
// the gate's lock) and opens one more, for the first snapshot: verify stays within three
// connections to a server with one worker.
type consistencyPoint struct {
	before, after string  // snapshot ids exported on the source
	first         *server // the source transaction keeping the first snapshot alive
	source        *server // verify's connection to the source, holding the second
	gate          *server // verify's connection to the target, holding the gate's lock
	gateKey       int32
	LSN           string // the sentinel's commit on the source
}

func (m Migration) verifyGate() string { return ident(m.helperSchema(), "verify_gate") + "()" }

// gateKey is the advisory lock the gate waits for, apart from the operation lock's.
func gateKey(name string) int32 {
	h := fnv.New32a()
	h.Write([]byte(name + " verify"))
	return int32(h.Sum32())
}

// installGate makes, on the target, the trigger that stops the apply worker at verify's
// sentinel while verify holds the gate's lock. Without that lock it stops nothing, so one
// left behind by a crash is harmless; verify drops it when it is done.
func installGate(ctx context.Context, target *server, m Migration) error {
	body := fmt.Sprintf(`BEGIN
	IF NEW.status = %s THEN
		PERFORM pg_advisory_xact_lock(%d, %d);
	END IF;
	RETURN NEW;
END`, literal(pointSentinel), lockClass, gateKey(m.name()))
	trigger := ident(m.helperSchema())
	stmts := []string{
		"CREATE SCHEMA IF NOT EXISTS " + ident(m.helperSchema()),
		fmt.Sprintf("COMMENT ON SCHEMA %s IS %s", ident(m.helperSchema()), literal(m.marker())),
		"CREATE OR REPLACE FUNCTION " + m.verifyGate() + " RETURNS trigger LANGUAGE plpgsql AS " + literal(body),
		fmt.Sprintf("DROP TRIGGER IF EXISTS %s ON %s", trigger, m.sentinel()),
		fmt.Sprintf("CREATE TRIGGER %s BEFORE INSERT ON %s FOR EACH ROW EXECUTE FUNCTION %s", trigger, m.sentinel(), m.verifyGate()),
		fmt.Sprintf("ALTER TABLE %s ENABLE ALWAYS TRIGGER %s", m.sentinel(), trigger),
	}
	if err := inOneTransaction(ctx, target, stmts); err != nil {
		return fmt.Errorf("%s: install verify's gate on the sentinel table: %w", target.role, err)
	}
	return nil
}

// removeGate drops the gate's trigger and function, and the helper schema if that leaves it
// empty.
func removeGate(target *server, m Migration) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_ = inOneTransaction(ctx, target, []string{"DROP FUNCTION IF EXISTS " + m.verifyGate() + " CASCADE"})
	empty, err := target.exists(ctx, `SELECT NOT EXISTS (SELECT 1 FROM pg_depend WHERE refclassid = 'pg_namespace'::regclass
		AND refobjid = (SELECT oid FROM pg_namespace WHERE nspname = $1) AND deptype = 'n')`, m.helperSchema())
	if err == nil && empty {
		_, _ = target.conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+ident(m.helperSchema()))
	}
}

// inOneTransaction runs stmts on s in one transaction, with a lock timeout: the sentinel
// table is written to by replication.
func inOneTransaction(ctx context.Context, s *server, stmts []string) error {
	all := append([]string{"BEGIN", fmt.Sprintf("SET LOCAL lock_timeout = %d", DefaultLockTimeout.Milliseconds())}, append(stmts, "COMMIT")...)
	for _, sql := range all {
		if _, err := s.conn.Exec(ctx, sql); err != nil {
			rollback(s)
			return err
		}
	}
	return nil
}

// errNotAligned: the target did not stop at verify's sentinel in time (replication is behind
// or stopped); verify then reads both servers as they are.
var errNotAligned = errors.New("the target did not reach verify's sentinel in time")

// takePoint makes a consistency point of stream s: it closes the gate, exports the source's
// snapshot, commits a sentinel, exports again, and waits until the target's apply worker
// waits at the gate. open makes the session of the first snapshot.
func takePoint(ctx context.Context, s stream, m Migration, open func(*server) (*server, error), wait time.Duration) (*consistencyPoint, error) {
	err := closeGate(ctx, s.target, m)
	if err != nil {
		return nil, err
	}
	p := &consistencyPoint{gate: s.target, gateKey: gateKey(m.name()), source: s.source}
	if p.first, err = open(s.source); err != nil {
		p.close()
		return nil, err
	}
	if p.before, err = exportSnapshot(ctx, p.first); err == nil {
		p.LSN, p.after, err = commitPointSentinel(ctx, s.source, m)
	}
	if err == nil {
		err = p.waitAtGate(ctx, s.target, m, wait)
	}
	if err != nil && !errors.Is(err, errNotAligned) {
		p.close()
		return nil, err
	}
	return p, err
}

// closeGate takes the gate's lock on target. The apply worker holds it too, for the moment
// of the transaction it let through when the last point opened the gate: that is waited out.
// Another session holding it is another verify.
func closeGate(ctx context.Context, target *server, m Migration) error {
	for {
		var held, verifying bool
		err := target.conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1, $2),
			EXISTS (SELECT 1 FROM pg_locks l JOIN pg_stat_activity a USING (pid)
			         WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1::oid
			           AND l.objid = $2::oid AND l.objsubid = 2 AND a.backend_type NOT LIKE 'logical replication%')`,
			lockClass, gateKey(m.name())).Scan(&held, &verifying)
		switch {
		case err != nil:
			return fmt.Errorf("%s: take verify's gate lock: %w", target.role, err)
		case held:
			return nil
		case verifying:
			return refused(remedy("wait for the other verify to finish, then run it again"), "another verify of migration %s is running", m.name())
		}
		if err := sleep(ctx, 5*time.Millisecond); err != nil {
			return err
		}
	}
}

func exportSnapshot(ctx context.Context, s *server) (string, error) {
	var id string
	if _, err := s.conn.Exec(ctx, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"); err != nil {
		return "", err
	}
	err := s.conn.QueryRow(ctx, "SELECT pg_export_snapshot()").Scan(&id)
	return id, err
}

// commitPointSentinel commits verify's sentinel on the source, synchronously (the walsender
// sends only flushed WAL), and exports the snapshot just after it, all in one query string:
// no round trip lets the application's commits slip in between, so the snapshot after is,
// in all but the busiest tables, the source as the target holds it at the gate. It returns
// the sentinel's commit position and that snapshot, whose transaction stays open.
func commitPointSentinel(ctx context.Context, source *server, m Migration) (lsn, after string, err error) {
	insert := fmt.Sprintf("INSERT INTO %s (ts, status) VALUES (%d, %s)", m.sentinel(), time.Now().UnixMicro(), literal(pointSentinel))
	results, err := source.conn.PgConn().Exec(ctx, "BEGIN; SET LOCAL synchronous_commit = on; "+insert+"; COMMIT; "+
		"BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SELECT pg_export_snapshot(), pg_current_wal_lsn()::text").ReadAll()
	if err != nil {
		rollback(source)
		return "", "", fmt.Errorf("%s: write verify's sentinel: %w", source.role, err)
	}
	// The results are BEGIN, SET, INSERT, COMMIT, BEGIN, then the snapshot and the position
	// (the commit's, give or take what committed in the microseconds since).
	if len(results) != 6 || len(results[5].Rows) != 1 {
		rollback(source)
		return "", "", fmt.Errorf("%s: write verify's sentinel: %d results, want 6", source.role, len(results))
	}
	row := results[5].Rows[0]
	return string(row[1]), string(row[0]), nil
}

// waitAtGate waits until the target's apply worker waits for the gate's lock.
func (p *consistencyPoint) waitAtGate(ctx context.Context, target *server, m Migration, wait time.Duration) error {
	deadline := time.Now().Add(wait)
	for {
		var waiting bool
		err := target.conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted
			AND classid = $1::bigint::oid AND objid = $2::bigint::oid AND objsubid = 2)`,
			int64(uint32(lockClass)), int64(uint32(gateKey(m.name())))).Scan(&waiting)
		switch {
		case err != nil:
			return fmt.Errorf("%s: look for the apply worker at verify's gate: %w", target.role, err)
		case waiting:
			return nil
		case time.Now().After(deadline):
			return errNotAligned
		}
		if err := sleep(ctx, 5*time.Millisecond); err != nil {
			return err
		}
	}
}

// close ends the snapshots' transactions and opens the gate: the apply worker goes on.
func (p *consistencyPoint) close() {
	if p.first != nil {
		rollback(p.first)
		p.first.close()
	}
	if p.source != nil {
		rollback(p.source)
	}
	if p.gate != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := p.gate.conn.Exec(ctx, "SELECT pg_advisory_unlock($1, $2)", lockClass, p.gateKey); err != nil {
			// The lock is the session's: ending the session is the sure way to let go of it.
			p.gate.close()
		}
	}
}
