package core

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// sentinelDDL creates the sentinel table with the shape the seed scripts give it, so that a
// migration begun by them is recognised.
func sentinelDDL(m Migration) string {
	return fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s (ts bigint PRIMARY KEY, status varchar(255))", m.sentinel())
}

// createSchema is pg_dump's CREATE SCHEMA statement, the schema's quoted name captured.
var createSchema = regexp.MustCompile(`(?is)^CREATE\s+SCHEMA\s+("(?:[^"]|"")+"|[a-z_][a-z0-9_$]*)$`)

// importSplit takes pg_dump's statements and returns those to import now, and statements to
// run at the end of the import's transaction.
type importSplit func(statements []string) (now, finally []string)

var setStatement = regexp.MustCompile(`(?is)^SET\s+(?:SESSION\s+|LOCAL\s+)?([a-z_][a-z0-9_.]*)\s*(?:=|TO\s)`)

// importSchema loads what pg_dump writes with the options dump into the replica in one transaction,
// then runs finally in it: an interrupted import leaves nothing, and a finished one is
// recognised by what finally creates (the sentinel table). split, when given, picks the
// statements to run now and adds its own to finally (deferred.go). It stops at the first
// statement that fails and shows it.
func importSchema(ctx context.Context, r *runner, m Migration, replica *server, pgDump string, dump dumpOptions, split importSplit, finally ...string) error {
	r.note(ctx, rolePrimary, "dumping the schema with pg_dump")
	script, err := runPgDump(ctx, pgDump, m.Primary, dump)
	if err != nil {
		return withHint(err, remedy("check that the primary's user may read every schema, and that pg_dump is at least as new as the primary"))
	}
	statements := splitScript(script)
	if split != nil {
		var after []string
		statements, after = split(statements)
		finally = append(after, finally...)
	}
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
		if m := createSchema.FindStringSubmatch(stmt); m != nil {
			// A schema the replica has already (public, in every new database) is not a clash.
			stmt = "CREATE SCHEMA IF NOT EXISTS " + m[1]
		}
		if err := r.exec(ctx, replica, stmt, ""); err != nil {
			rollback(replica)
			return withHint(fmt.Errorf("schema import stopped at statement %d of %d: %w", i+1, len(statements), err),
				remedy("fix the cause on the replica (a missing role, extension or type, or an object that already exists), then run setup again: nothing of the import was kept"))
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
