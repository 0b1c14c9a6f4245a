package core

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// sentinelDDL creates the sentinel table with the shape the seed scripts give it, so that a
// migration begun by them is recognised.
func sentinelDDL(m Migration) string {
	return fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s (ts bigint PRIMARY KEY, status varchar(255))", m.sentinel())
}

// dumpPattern quotes a name as a pg_dump pattern that matches exactly that name.
func dumpPattern(names ...string) string {
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = `"` + strings.ReplaceAll(n, `"`, `""`) + `"`
	}
	return strings.Join(quoted, ".")
}

// schemaDumpArgs are pg_dump's arguments for the schema of the migration: no owners or
// grants (the roles differ on the new server), no publications or subscriptions, no
// tablespaces or security labels (the new server has neither), and not the sentinel table,
// which the import creates itself.
func schemaDumpArgs(m Migration, sel Selection, extensions []string, dumpMajor int) []string {
	args := []string{"--schema-only", "--no-owner", "--no-privileges", "--no-publications",
		"--no-subscriptions", "--no-tablespaces", "--no-security-labels",
		"--exclude-table=" + dumpPattern(m.sentinel().Schema, m.sentinel().Name),
		"--exclude-schema=" + dumpPattern(m.helperSchema())} // pghandoff's own (helpers.go)
	for _, s := range sel.Schemas {
		args = append(args, "--schema="+dumpPattern(s))
	}
	// With --schema, pg_dump leaves extensions out unless they are named.
	if len(sel.Schemas) > 0 && dumpMajor >= 14 {
		for _, e := range extensions {
			args = append(args, "--extension="+dumpPattern(e))
		}
	}
	return args
}

var setStatement = regexp.MustCompile(`(?is)^SET\s+(?:SESSION\s+|LOCAL\s+)?([a-z_][a-z0-9_.]*)\s*(?:=|TO\s)`)

// tableDumpArgs dump the definitions of single tables, for tables created on the primary
// after the schema was imported.
func tableDumpArgs(tables []TableName) []string {
	args := []string{"--schema-only", "--no-owner", "--no-privileges", "--no-publications",
		"--no-subscriptions", "--no-tablespaces", "--no-security-labels"}
	for _, t := range tables {
		args = append(args, "--table="+dumpPattern(t.Schema, t.Name))
	}
	return args
}

// importSchema loads what pg_dump writes with dumpArgs into the replica in one transaction,
// then runs finally in it: an interrupted import leaves nothing, and a finished one is
// recognised by what finally creates (the sentinel table). It stops at the first statement
// that fails and shows it.
func importSchema(ctx context.Context, r *runner, m Migration, replica *server, pgDump string, dumpArgs []string, finally ...string) error {
	r.note(ctx, rolePrimary, "dumping the schema with pg_dump")
	script, err := runPgDump(ctx, pgDump, m.Primary, dumpArgs...)
	if err != nil {
		return withHint(err, "check that the primary's user may read every schema, and that pg_dump is at least as new as the primary")
	}
	statements := splitScript(script)
	settings, err := replica.queryStrings(ctx, "SELECT name::text FROM pg_settings")
	if err != nil {
		return fmt.Errorf("replica: list settings: %w", err)
	}
	r.note(ctx, roleReplica, "importing the schema: %d statements in one transaction", len(statements))
	if err := r.exec(ctx, replica, "BEGIN", ""); err != nil {
		return err
	}
	for i, stmt := range statements {
		// A newer pg_dump sets parameters an older replica does not know (transaction_timeout).
		if m := setStatement.FindStringSubmatch(stmt); m != nil && !slices.Contains(settings, strings.ToLower(m[1])) {
			r.warn(ctx, roleReplica, "skipping %q: the replica has no such setting", stmt)
			continue
		}
		if err := r.exec(ctx, replica, stmt, ""); err != nil {
			rollback(replica)
			return withHint(fmt.Errorf("schema import stopped at statement %d of %d: %w", i+1, len(statements), err),
				"fix the cause on the replica (a missing role, extension or type, or an object that already exists), then run setup again: nothing of the import was kept")
		}
	}
	for _, stmt := range finally {
		if err := r.exec(ctx, replica, stmt, ""); err != nil {
			rollback(replica)
			return err
		}
	}
	if err := r.exec(ctx, replica, "COMMIT", ""); err != nil {
		rollback(replica)
		return err
	}
	return nil
}

// rollback ends a failed transaction; the caller's context may already be over.
func rollback(s *server) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, _ = s.conn.Exec(ctx, "ROLLBACK")
}
