package core

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Writes that bypass the proxy: once traffic has left a server, a write made there directly
// (a job with its own connection string, a person at psql) is on the wrong server. Without
// the failsafe it still reaches the new primary by replication, racing with the
// application's own writes; with the failsafe it reaches nothing. Either way someone must
// know, so after a switch pghandoff watches the server traffic left: a statement trigger on
// each migrated table records each write in the helper schema. Replication's own writes do
// not count: apply workers run with session_replication_role = replica, where ordinary
// triggers do not fire. The trigger function lives in the helper schema, so dropping it drops
// every trigger.

// BypassWrite is a table that took writes on the server traffic left, after the switch.
type BypassWrite struct {
	Table      string    `json:"table"`
	Statements int64     `json:"statements"` // writing statements (INSERT, UPDATE, DELETE, TRUNCATE)
	First      time.Time `json:"first"`
	Last       time.Time `json:"last"`
}

func (m Migration) bypassTable() string    { return ident(m.helperSchema(), "bypass") }
func (m Migration) bypassFunction() string { return ident(m.helperSchema(), "record_bypass") + "()" }

// bypassTrigger names the trigger on each watched table: the helper schema's name, unique to
// the migration on a server.
func (m Migration) bypassTrigger() string { return ident(m.helperSchema()) }

// watchedTables are the tables replication carries, partitions included (a write to a
// partition fires the partition's statement triggers, not its parent's; pg_partition_tree
// lists nothing for a table that is not partitioned), but not the sentinel.
func watchedTables(ctx context.Context, s *server, m Migration) ([]string, error) {
	rows, err := s.conn.Query(ctx, `SELECT DISTINCT format('%I.%I', n.nspname, c.relname)
		FROM pg_publication_rel pr JOIN pg_publication p ON p.oid = pr.prpubid,
		LATERAL (SELECT pr.prrelid AS relid UNION SELECT relid FROM pg_partition_tree(pr.prrelid)) t
		JOIN pg_class c ON c.oid = t.relid JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE p.pubname = $1 AND c.oid <> to_regclass($2) AND c.relkind IN ('r', 'p') ORDER BY 1`, m.name(), m.sentinel().String())
	if err != nil {
		return nil, fmt.Errorf("%s: list the migrated tables: %w", s.role, err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// ensureBypassWatch makes the watch on s for tables, in one transaction; it reports whether
// it made anything. The function runs as its owner (SECURITY DEFINER), so that a writer who
// may not write in the helper schema is recorded, not refused.
func ensureBypassWatch(ctx context.Context, r *runner, s *server, m Migration, tables []string) (bool, error) {
	missing, err := s.queryStrings(ctx, `SELECT t FROM unnest($1::text[]) AS t WHERE NOT EXISTS (
		SELECT 1 FROM pg_trigger WHERE tgrelid = to_regclass(t) AND tgname = $2)`, tables, m.helperSchema())
	if err != nil {
		return false, fmt.Errorf("%s: read triggers: %w", s.role, err)
	}
	if len(missing) == 0 {
		return false, nil
	}
	if err := ensureHelperSchema(ctx, r, s, m); err != nil {
		return false, err
	}
	body := fmt.Sprintf(`BEGIN
	INSERT INTO %[1]s AS b (relation, statements, first_at, last_at)
	VALUES (quote_ident(TG_TABLE_SCHEMA) || '.' || quote_ident(TG_TABLE_NAME), 1, now(), now())
	ON CONFLICT (relation) DO UPDATE SET statements = b.statements + 1, last_at = now();
	RETURN NULL;
END`, m.bypassTable())
	steps := []step{
		{sql: "CREATE TABLE IF NOT EXISTS " + m.bypassTable() + " (relation text PRIMARY KEY, statements bigint NOT NULL, first_at timestamptz NOT NULL, last_at timestamptz NOT NULL)"},
		// status, run with a watch-only role, reads it; the table names and counts are no secret.
		{sql: "GRANT USAGE ON SCHEMA " + ident(m.helperSchema()) + " TO PUBLIC"},
		{sql: "GRANT SELECT ON " + m.bypassTable() + " TO PUBLIC"},
		{sql: "CREATE OR REPLACE FUNCTION " + m.bypassFunction() + " RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS " + literal(body)},
	}
	for _, t := range missing {
		steps = append(steps, step{sql: fmt.Sprintf("CREATE TRIGGER %s AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON %s FOR EACH STATEMENT EXECUTE FUNCTION %s",
			m.bypassTrigger(), t, m.bypassFunction())})
	}
	return true, runTransaction(ctx, r, s, steps)
}

// dropBypassWatch removes the watch from s, with every trigger, and what it recorded; it
// reports whether there was one.
func dropBypassWatch(ctx context.Context, r *runner, s *server, m Migration) (bool, error) {
	exists, err := s.exists(ctx, "SELECT to_regprocedure($1) IS NOT NULL", m.bypassFunction())
	if err != nil || !exists {
		return false, err
	}
	return true, runTransaction(ctx, r, s, []step{
		{sql: "DROP FUNCTION IF EXISTS " + m.bypassFunction() + " CASCADE"},
		{sql: "DROP TABLE IF EXISTS " + m.bypassTable()},
	})
}

// readBypassWrites reads what the watch on s recorded; nothing when there is no watch.
func readBypassWrites(ctx context.Context, s *server, m Migration) ([]BypassWrite, error) {
	exists, err := helperTableExists(ctx, s, m, "bypass")
	if err != nil || !exists {
		return nil, err
	}
	rows, err := s.conn.Query(ctx, "SELECT relation, statements, first_at, last_at FROM "+m.bypassTable()+" ORDER BY relation")
	if err != nil {
		return nil, fmt.Errorf("%s: read writes that bypassed the proxy: %w", s.role, err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (BypassWrite, error) {
		var b BypassWrite
		return b, row.Scan(&b.Table, &b.Statements, &b.First, &b.Last)
	})
}

// bypassWarning says loudly what the watch found, and what it means for the data.
func bypassWarning(server string, writes []BypassWrite, failsafe bool) string {
	var total int64
	names := make([]string, len(writes))
	for i, w := range writes {
		total += w.Statements
		names[i] = w.Table
	}
	fate := "replication still carries them to the new primary, where they may collide with the application's writes"
	if failsafe {
		fate = "nothing carries them to the new primary: they are only on the old one"
	}
	return fmt.Sprintf("WRITES BYPASSED THE SWITCH: the %s took %d writing statement(s) on %d migrated table(s) after the switch (%s); %s. Find what still connects to the %s and point it at the new primary",
		server, total, len(writes), strings.Join(firstN(names, 10), ", "), fate, server)
}
