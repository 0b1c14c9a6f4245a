package core

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"unicode/utf8"
)

// Every helper object pghandoff makes for the proxy lives in one schema named after the
// migration, on each server that needs it: the sequence views on the primary and (from
// cutover on) the replica, the sequence functions and their foreign tables on the proxy, the
// fence records on the primary, the failsafe's switch record on the replica. Nothing lands in
// the user's schemas, and removal is one DROP SCHEMA ... CASCADE per server. The prefix keeps
// it apart from a user's schema that happens to share the migration's name.
func (m Migration) helperSchema() string {
	const prefix = "pghandoff_"
	name := m.name()
	if len(prefix)+len(name) <= 63 {
		return prefix + name
	}
	h := fnv.New32a()
	h.Write([]byte(name))
	return fmt.Sprintf("%s%s_%08x", prefix, name[:63-len(prefix)-9], h.Sum32())
}

// marker is the comment pghandoff puts on what it creates outside its helper schema (the
// proxy's copies of the user's schemas and enum types, the postgres_fdw extension) and on
// the helper schema itself, so that removal drops exactly what it made and nothing a person
// made with the same name.
func (m Migration) marker() string {
	return "pghandoff: created for migration " + m.name() + "; removed by pghandoff proxy remove"
}

// helperName names the helper view, foreign table and function of one sequence. It is the
// sequence's qualified name as people read it, shortened with a hash when it would pass
// PostgreSQL's 63-byte identifier limit, and the same on every server.
func helperName(seq TableName) string {
	full := seq.Schema + "." + seq.Name
	if len(full) <= 63 {
		return full
	}
	h := fnv.New32a()
	h.Write([]byte(full))
	suffix := fmt.Sprintf("~%08x", h.Sum32())
	cut := 63 - len(suffix)
	for cut > 0 && !utf8.RuneStart(full[cut]) {
		cut--
	}
	return full[:cut] + suffix
}

// helperSchemaState is what a server holds of the migration's helper schema.
type helperSchemaState struct {
	exists bool
	ours   bool // it carries the migration's marker
}

func readHelperSchema(ctx context.Context, s *server, m Migration) (helperSchemaState, error) {
	var st helperSchemaState
	var comment *string
	err := s.conn.QueryRow(ctx, `SELECT obj_description(oid, 'pg_namespace') FROM pg_namespace WHERE nspname = $1`,
		m.helperSchema()).Scan(&comment)
	switch {
	case errors.Is(err, errNoRows):
		return st, nil
	case err != nil:
		return st, fmt.Errorf("%s: read schema %s: %w", s.role, m.helperSchema(), err)
	}
	st.exists = true
	st.ours = comment != nil && *comment == m.marker()
	return st, nil
}

// ensureHelperSchema creates the helper schema on s unless it is there, and refuses a schema
// of that name that pghandoff did not make: removal would drop it with everything in it.
func ensureHelperSchema(ctx context.Context, r *runner, s *server, m Migration) error {
	st, err := readHelperSchema(ctx, s, m)
	if err != nil {
		return err
	}
	if st.exists && !st.ours {
		return refused(remedy("choose another ", OptName, " for the migration, or rename that schema"),
			"the %s already has a schema named %s that pghandoff did not create", s.role, ident(m.helperSchema()))
	}
	if st.exists {
		return nil
	}
	if err := r.exec(ctx, s, "CREATE SCHEMA "+ident(m.helperSchema()), ""); err != nil {
		return err
	}
	return r.exec(ctx, s, fmt.Sprintf("COMMENT ON SCHEMA %s IS %s", ident(m.helperSchema()), literal(m.marker())), "")
}

// dropHelperSchema removes the helper schema from s, with everything in it, when pghandoff
// made it. It reports whether there was one to drop.
func dropHelperSchema(ctx context.Context, r *runner, s *server, m Migration) (bool, error) {
	st, err := readHelperSchema(ctx, s, m)
	if err != nil || !st.exists {
		return false, err
	}
	if !st.ours {
		r.warn(ctx, s.role, "leaving schema %s: pghandoff did not create it", ident(m.helperSchema()))
		return false, nil
	}
	return true, r.exec(ctx, s, "DROP SCHEMA IF EXISTS "+ident(m.helperSchema())+" CASCADE", "")
}

// dropHelperSchemaIfEmpty drops the helper schema from s when pghandoff made it and nothing
// is left in it, so that undoing the last use of it leaves nothing behind. It reports whether
// it dropped it (under dry-run: would have).
func dropHelperSchemaIfEmpty(ctx context.Context, r *runner, s *server, m Migration) (bool, error) {
	st, err := readHelperSchema(ctx, s, m)
	if err != nil || !st.exists || !st.ours {
		return false, err
	}
	empty, err := s.exists(ctx, `SELECT NOT EXISTS (SELECT 1 FROM pg_depend WHERE refclassid = 'pg_namespace'::regclass
		AND refobjid = (SELECT oid FROM pg_namespace WHERE nspname = $1) AND deptype = 'n')`, m.helperSchema())
	if err != nil || !empty {
		return false, err
	}
	return true, r.exec(ctx, s, "DROP SCHEMA IF EXISTS "+ident(m.helperSchema()), "")
}

// helperSchemaSteps create the helper schema, marked. Callers have checked that a schema of
// that name, if there is one, is pghandoff's.
func helperSchemaSteps(m Migration) []step {
	return []step{
		{sql: "CREATE SCHEMA IF NOT EXISTS " + ident(m.helperSchema())},
		{sql: fmt.Sprintf("COMMENT ON SCHEMA %s IS %s", ident(m.helperSchema()), literal(m.marker()))},
	}
}

// fdwExtensionMarker marks a postgres_fdw extension pghandoff installed on the proxy. It names
// no migration: several may share the extension, and the last removal drops it.
const fdwExtensionMarker = "pghandoff: installed by pghandoff proxy create"
