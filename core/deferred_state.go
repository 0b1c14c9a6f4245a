package core

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// The units setup leaves for after the copy are recorded on the replica, in the migration's
// helper schema, in the same transaction as the schema import: an import that committed
// has its list, one that did not has neither. A unit is marked done in the transaction
// that builds it, so a crash leaves each unit either built and marked or neither, and wait
// builds what is left whoever ran setup, whenever.

// deferredTable is the list of deferred units, on the replica.
func (m Migration) deferredTable() string { return ident(m.helperSchema(), "deferred") }

func deferredTableDDL(m Migration) string {
	return "CREATE TABLE IF NOT EXISTS " + m.deferredTable() + ` (
    unit text PRIMARY KEY,
    position int NOT NULL,
    kind text NOT NULL,
    object text NOT NULL,
    table_schema text NOT NULL,
    table_name text NOT NULL,
    gate text[] NOT NULL,
    after text[] NOT NULL,
    session text[] NOT NULL,
    statements text[] NOT NULL,
    validate boolean NOT NULL,
    done_at timestamptz,
    attempts int NOT NULL DEFAULT 0,
    last_error text)`
}

// recordSQL inserts the unit unless a run before this one recorded it.
func (u deferredUnit) recordSQL(m Migration) string {
	return fmt.Sprintf(`INSERT INTO %[1]s (unit, position, kind, object, table_schema, table_name, gate, after, session, statements, validate)
SELECT %s, coalesce(max(position), 0) + 1, %s, %s, %s, %s, %s, %s, %s, %s, %t FROM %[1]s ON CONFLICT (unit) DO NOTHING`,
		m.deferredTable(), literal(string(u.key)), literal(u.kind), literal(u.object), literal(u.table.Schema), literal(u.table.Name),
		textArray(u.gate), textArray(u.after), textArray(u.session), textArray(u.statements), u.validate)
}

// textArray is a text[] literal of list.
func textArray(list []string) string {
	quoted := make([]string, len(list))
	for i, s := range list {
		quoted[i] = literal(s)
	}
	return "ARRAY[" + strings.Join(quoted, ", ") + "]::text[]"
}

// storedUnit is a deferred unit as the replica holds it, with how far it got.
type storedUnit struct {
	deferredUnit
	done      bool
	attempts  int
	lastError string
}

// readDeferred reads every deferred unit from the replica, in pg_dump's order; none when the
// migration deferred nothing (set up with indexes first, or by an older pghandoff).
func readDeferred(ctx context.Context, replica *server, m Migration) ([]storedUnit, error) {
	var exists bool
	if err := replica.conn.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", m.deferredTable()).Scan(&exists); err != nil || !exists {
		return nil, wrapRole(replica, "read the deferred indexes", err)
	}
	rows, err := replica.conn.Query(ctx, `SELECT unit, kind, object, table_schema, table_name, gate, after, session, statements,
		validate, done_at IS NOT NULL, attempts, coalesce(last_error, '') FROM `+m.deferredTable()+` ORDER BY position, unit`)
	if err != nil {
		return nil, wrapRole(replica, "read the deferred indexes", err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (storedUnit, error) {
		var u storedUnit
		err := row.Scan(&u.key, &u.kind, &u.object, &u.table.Schema, &u.table.Name, &u.gate, &u.after, &u.session,
			&u.statements, &u.validate, &u.done, &u.attempts, &u.lastError)
		return u, err
	})
}

// doneSQL marks a unit built; it runs in the transaction that builds it.
func doneSQL(m Migration, unit objectKey) string {
	return fmt.Sprintf("UPDATE %s SET done_at = now(), last_error = NULL WHERE unit = %s", m.deferredTable(), literal(string(unit)))
}

// recordFailure keeps why a unit could not be built, for status, on a connection of its own
// transaction (the build's rolled back).
func recordFailure(ctx context.Context, s *server, m Migration, unit objectKey, cause error) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	_, err := s.conn.Exec(ctx, fmt.Sprintf("UPDATE %s SET attempts = attempts + 1, last_error = $1 WHERE unit = $2", m.deferredTable()),
		abbreviate(cause.Error(), 1000), string(unit))
	return err
}

// wrapRole says which server an error came from, and what pghandoff was doing; nil stays nil.
func wrapRole(s *server, what string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %s: %w", s.role, what, err)
}
