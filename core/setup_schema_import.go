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

// sentinelColumns are the sentinel table's columns, as sentinelDDL makes them.
const sentinelColumns = "ts, status"

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
	var run []string
	for _, stmt := range statements {
		// A newer pg_dump sets parameters an older replica does not know (transaction_timeout).
		if m := setStatement.FindStringSubmatch(stmt); m != nil && !slices.Contains(settings, strings.ToLower(m[1])) {
			r.warn(ctx, roleReplica, "skipping %q: the replica has no such setting", stmt)
			continue
		}
		if m := createSchema.FindStringSubmatch(stmt); m != nil {
			// A schema the replica has already (public, in every new database) is not a clash.
			stmt = "CREATE SCHEMA IF NOT EXISTS " + m[1]
		}
		run = append(run, stmt)
	}
	r.note(ctx, roleReplica, "importing the schema: %d statements in one transaction", len(run))
	if err := r.exec(ctx, replica, "BEGIN", ""); err != nil {
		return err
	}
	if i, err := runBatches(ctx, r, replica, run); err != nil {
		rollback(replica)
		return withHint(fmt.Errorf("schema import stopped at statement %d of %d: %w", i+1, len(run), err),
			remedy("fix the cause on the replica (a missing role, extension or type, or an object that already exists), then run setup again: nothing of the import was kept"))
	}
	if _, err := runBatches(ctx, r, replica, finally); err != nil {
		rollback(replica)
		return err
	}
	if err := r.exec(ctx, replica, "COMMIT", ""); err != nil {
		rollback(replica)
		return err
	}
	return nil
}

// importBatch is how many statements of an import go to the replica in one round trip: one
// each made the 5,000 statements of 1,000 tables take 5 s.
const importBatch = 200

// runBatches runs statements on s, in an open transaction, importBatch to a round trip,
// recording each; on error it says which statement failed (its index in statements).
func runBatches(ctx context.Context, r *runner, s *server, statements []string) (int, error) {
	for start := 0; start < len(statements); start += importBatch {
		batch := statements[start:min(start+importBatch, len(statements))]
		for _, stmt := range batch {
			r.record(ctx, s, stmt)
		}
		if r.dryRun {
			continue
		}
		results := s.conn.PgConn().Exec(ctx, strings.Join(batch, ";\n"))
		done := 0
		for results.NextResult() {
			if _, err := results.ResultReader().Close(); err != nil {
				break
			}
			done++
		}
		if err := results.Close(); err != nil {
			i := start + min(done, len(batch)-1)
			return i, fmt.Errorf("%s: %s: %w", s.role, abbreviate(statements[i], 300), err)
		}
	}
	return 0, nil
}
