package core

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// More of the runner (runner.go): statements recorded and run in other shapes.

// batch runs statements on s in one round trip (one simple-protocol query), recording each.
// It is for short statements that take no lock worth retrying.
func (r *runner) batch(ctx context.Context, s *server, stmts []string) error {
	if len(stmts) == 0 {
		return nil
	}
	for _, stmt := range stmts {
		r.record(ctx, s, stmt)
	}
	if r.dryRun {
		return nil
	}
	if _, err := s.conn.Exec(ctx, strings.Join(stmts, ";\n")); err != nil {
		return fmt.Errorf("%s: %s (and %d more): %w", s.role, abbreviate(stmts[0], 200), len(stmts)-1, err)
	}
	return nil
}

// batchResults is batch for statements whose rows the caller reads: their results, in
// order; nil under dry-run.
func (r *runner) batchResults(ctx context.Context, s *server, stmts []string) ([]*pgconn.Result, error) {
	for _, stmt := range stmts {
		r.record(ctx, s, stmt)
	}
	if r.dryRun || len(stmts) == 0 {
		return nil, nil
	}
	results, err := s.conn.PgConn().Exec(ctx, strings.Join(stmts, ";\n")).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %s (and %d more): %w", s.role, abbreviate(stmts[0], 200), len(stmts)-1, err)
	}
	return results, nil
}

// record reports a statement about to run on s and keeps it for the result.
func (r *runner) record(ctx context.Context, s *server, sql string) { r.recordAs(ctx, s.role, sql) }

// recordAs reports a command about to run on what plays role, which may be no PostgreSQL
// server (PgBouncer's admin console, its configuration file), and keeps it for the result.
func (r *runner) recordAs(ctx context.Context, role, command string) {
	r.obs.emit(ctx, Event{Operation: r.op, Server: role, Message: firstLine(command), SQL: command})
	r.done = append(r.done, Statement{Server: role, SQL: command})
}

// queryInt runs a statement returning one number, recording it; under dry-run it returns 0.
func (r *runner) queryInt(ctx context.Context, s *server, sql string) (int64, error) {
	r.record(ctx, s, sql)
	if r.dryRun {
		return 0, nil
	}
	var n int64
	if err := s.conn.QueryRow(ctx, sql).Scan(&n); err != nil {
		return 0, fmt.Errorf("%s: %s: %w", s.role, abbreviate(sql, 200), err)
	}
	return n, nil
}

// queryText runs a statement returning one text value, recording it; under dry-run "".
func (r *runner) queryText(ctx context.Context, s *server, sql string) (string, error) {
	r.record(ctx, s, sql)
	if r.dryRun {
		return "", nil
	}
	var v string
	if err := s.conn.QueryRow(ctx, sql).Scan(&v); err != nil {
		return "", fmt.Errorf("%s: %s: %w", s.role, abbreviate(sql, 200), err)
	}
	return v, nil
}

// tryDrop runs a DROP inside a savepoint of the current transaction and reports whether it
// happened: a drop that other objects depend on (SQLSTATE 2BP01) is undone, not fatal.
func (r *runner) tryDrop(ctx context.Context, s *server, sql string) (bool, error) {
	return r.tryStatement(ctx, s, sql, codeDependentObjects)
}

// tryStatement runs sql inside a savepoint of the current transaction and reports whether
// it happened: a failure with the SQLSTATE code is undone, not fatal.
func (r *runner) tryStatement(ctx context.Context, s *server, sql, code string) (bool, error) {
	r.record(ctx, s, sql)
	if r.dryRun {
		return true, nil
	}
	if _, err := s.conn.Exec(ctx, "SAVEPOINT pghandoff_try"); err != nil {
		return false, fmt.Errorf("%s: %w", s.role, err)
	}
	if _, err := s.conn.Exec(ctx, sql); err != nil {
		if sqlState(err) != code {
			return false, fmt.Errorf("%s: %s: %w", s.role, sql, err)
		}
		if _, err := s.conn.Exec(ctx, "ROLLBACK TO SAVEPOINT pghandoff_try"); err != nil {
			return false, fmt.Errorf("%s: %w", s.role, err)
		}
		return false, nil
	}
	_, err := s.conn.Exec(ctx, "RELEASE SAVEPOINT pghandoff_try")
	return err == nil, err
}

// codeDependentObjects: other objects depend on the one being dropped.
const codeDependentObjects = "2BP01"
