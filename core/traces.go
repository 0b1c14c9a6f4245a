package core

import (
	"context"
	"fmt"
)

// Traces lists what of migration m is on the server dsn points at: everything setup, proxy
// create, cutover and fence make there, by the names they give it. After teardown and proxy
// remove it lists nothing; the demo and the tests check that it does not.
func Traces(ctx context.Context, dsn DSN, m Migration) ([]string, error) {
	ctx, end, err := m.reserve(ctx, "traces", need{"server": 1})
	if err != nil {
		return nil, err
	}
	defer end()
	s, err := openServer(ctx, "server", dsn, "traces")
	if err != nil {
		return nil, err
	}
	defer s.close()
	names := []string{m.name(), m.failsafeName()}
	subOIDs := `(SELECT string_agg(oid::text, '|') FROM pg_subscription WHERE subname = ANY ($1))`
	var out []string
	for _, q := range []struct {
		what, sql string
		args      []any
	}{
		{"publication", `SELECT pubname::text FROM pg_publication WHERE pubname = ANY ($1)`, []any{names}},
		{"subscription", `SELECT subname::text FROM pg_subscription WHERE subname = ANY ($1)`, []any{names}},
		{"replication slot", `SELECT slot_name::text FROM pg_replication_slots WHERE slot_name = ANY ($1)
			OR slot_name ~ ('^pg_(' || ` + subOIDs + ` || ')_sync_')`, []any{names}},
		{"replication origin", `SELECT roname::text FROM pg_replication_origin
			WHERE roname ~ ('^pg_(' || ` + subOIDs + ` || ')(_[0-9]+)?$')`, []any{names}},
		{"foreign server", `SELECT srvname::text FROM pg_foreign_server WHERE srvname = ANY ($1)`, []any{names}},
		{"schema", `SELECT nspname::text FROM pg_namespace WHERE nspname = $1 OR obj_description(oid, 'pg_namespace') = $2`,
			[]any{m.helperSchema(), m.marker()}},
		{"type", `SELECT format('%I.%I', n.nspname, t.typname) FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
			WHERE obj_description(t.oid, 'pg_type') = $1`, []any{m.marker()}},
		{"sentinel table", `SELECT $1::text WHERE to_regclass($1) IS NOT NULL`, []any{m.sentinel().String()}},
		{"extension", `SELECT extname::text FROM pg_extension e WHERE obj_description(e.oid, 'pg_extension') = $1`,
			[]any{fdwExtensionMarker}},
	} {
		found, err := s.queryStrings(ctx, q.sql, q.args...)
		if err != nil {
			return nil, fmt.Errorf("look for a %s of migration %s: %w", q.what, m.name(), err)
		}
		for _, f := range found {
			out = append(out, q.what+" "+f)
		}
	}
	return out, nil
}
