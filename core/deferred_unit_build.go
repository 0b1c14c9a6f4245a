package core

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Building one deferred unit on one connection to the replica. Everything a unit creates is
// made, and the unit marked done, in one transaction: a build cut short leaves nothing, and
// the next run builds it whole. What exists already (someone made it, or an index that a
// failed CREATE INDEX CONCURRENTLY left invalid) is skipped, or dropped and made again.
//
// The builds are plain CREATE INDEX, not CONCURRENTLY: a concurrent build waits for every
// transaction with an older snapshot in the database, which during the copy means the
// other tables' copies, and two concurrent builds on one table queue behind each other; a
// plain build only holds the apply worker's writes to its table until it ends, while the
// replica is not ready anyway (BENCHMARKS.md measures both).

// build makes unit u on conn.
func (b *builder) build(ctx context.Context, conn *server, u storedUnit) error {
	start := time.Now()
	b.emit(ctx, false, "building %s %s on %s", u.kind, u.object, u.table)
	if err := b.prepareSession(ctx, conn, u); err != nil {
		return err
	}
	plan, err := planUnit(ctx, conn, u)
	if err != nil {
		return err
	}
	done := doneSQL(b.m, u.key)
	if plan.validate != "" {
		if err := inTransaction(ctx, conn, plan.statements); err != nil {
			return err
		}
		plan.statements = []string{plan.validate}
	}
	if err := inTransaction(ctx, conn, append(plan.statements, done)); err != nil {
		return err
	}
	b.emit(ctx, false, "built %s %s on %s in %s", u.kind, u.object, u.table, time.Since(start).Round(time.Millisecond))
	return nil
}

// prepareSession sets pg_dump's session up for the unit's statements (the settings the
// replica knows), under pghandoff's lock timeout: a build waiting for a lock holds the apply
// worker up behind it. A build itself has no time limit, as under pg_restore.
func (b *builder) prepareSession(ctx context.Context, conn *server, u storedUnit) error {
	for _, stmt := range u.session {
		if m := setStatement.FindStringSubmatch(stmt); m != nil && !slices.Contains(b.settings, strings.ToLower(m[1])) {
			continue
		}
		if _, err := conn.conn.Exec(ctx, stmt); err != nil {
			return wrapRole(conn, abbreviate(stmt, 200), err)
		}
	}
	_, err := conn.conn.Exec(ctx, fmt.Sprintf("SET lock_timeout = %d; SET statement_timeout = 0", DefaultLockTimeout.Milliseconds()))
	return wrapRole(conn, "set timeouts", err)
}

// unitPlan is what building a unit runs: its statements, less what exists; and, for a
// foreign key added NOT VALID, the validation that follows in a transaction of its own.
type unitPlan struct {
	statements []string
	validate   string
}

// planUnit reads what of the unit exists on the replica.
func planUnit(ctx context.Context, conn *server, u storedUnit) (unitPlan, error) {
	var p unitPlan
	for i, stmt := range u.statements {
		d := parseDumpStatement(stmt)
		run, pre, err := objectState(ctx, conn, d)
		if err != nil {
			return p, err
		}
		p.statements = append(p.statements, pre...)
		if i == 0 && u.validate {
			p.validate = fmt.Sprintf("ALTER TABLE %s VALIDATE CONSTRAINT %s", d.table, ident(d.constraint))
			stmt += " NOT VALID" // the lock the validation takes lets the apply worker write
		}
		if run {
			p.statements = append(p.statements, stmt)
		}
	}
	return p, nil
}

// objectState says whether a statement still has to run, and what to run before it: an
// index left invalid is dropped first.
func objectState(ctx context.Context, conn *server, d dumpStatement) (run bool, pre []string, err error) {
	var found bool
	switch d.form {
	case formCreateIndex:
		var valid *bool
		err = conn.conn.QueryRow(ctx, `SELECT (SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass($1))`, d.index.String()).Scan(&valid)
		if valid != nil && !*valid {
			return true, []string{"DROP INDEX " + d.index.String()}, err
		}
		found = valid != nil
	case formAddConstraint:
		found, err = conn.exists(ctx, `SELECT EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = to_regclass($1) AND conname = $2)`, d.table.String(), d.constraint)
	case formAttachIndex:
		found, err = conn.exists(ctx, `SELECT EXISTS (SELECT 1 FROM pg_inherits WHERE inhrelid = to_regclass($1))`, d.index.String())
	}
	return !found, nil, wrapRole(conn, "read what exists of a deferred index", err)
}

// inTransaction runs statements on conn in one transaction, rolled back on error.
func inTransaction(ctx context.Context, conn *server, statements []string) error {
	if len(statements) == 0 {
		return nil
	}
	if _, err := conn.conn.Exec(ctx, "BEGIN"); err != nil {
		return wrapRole(conn, "begin", err)
	}
	for _, stmt := range append(statements, "COMMIT") {
		if _, err := conn.conn.Exec(ctx, stmt); err != nil {
			rollback(conn)
			return fmt.Errorf("%s: %s: %w", conn.role, abbreviate(firstLine(stmt), 300), err)
		}
	}
	return nil
}
