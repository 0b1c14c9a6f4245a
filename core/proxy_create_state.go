package core

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// proxyState is what the proxy already has of the objects proxy create makes.
type proxyState struct {
	currentUser  string
	fdwAvailable bool
	fdwInstalled bool
	server       fdwServer
	schemas      map[string]bool
	relations    map[TableName]proxyRelation // those of the wanted names that exist
	types        map[string][]string         // qualified name → enum labels (nil: not an enum)
	functions    map[string]bool             // helper functions that exist, by name
	pause        pauseFamilies               // the pause's parents and their children
	maxLocks     int
}

// proxyRelation is a relation of the proxy with a name proxy create wants.
type proxyRelation struct {
	kind   string
	server string // its foreign server, for a foreign table
}

func readProxyState(ctx context.Context, proxy *server, m Migration, tables []TableName, typeNames, helpers, schemas []string) (*proxyState, error) {
	st := &proxyState{schemas: map[string]bool{}, relations: map[TableName]proxyRelation{}, types: map[string][]string{}, functions: map[string]bool{}}
	err := proxy.conn.QueryRow(ctx, `SELECT current_user::text,
		EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'postgres_fdw'),
		EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'postgres_fdw'),
		current_setting('max_locks_per_transaction')::int`).Scan(&st.currentUser, &st.fdwAvailable, &st.fdwInstalled, &st.maxLocks)
	if err != nil {
		return nil, fmt.Errorf("proxy: read settings: %w", err)
	}
	if st.server, err = readFDWServer(ctx, proxy, m); err != nil {
		return nil, err
	}
	names, err := proxy.queryStrings(ctx, `SELECT nspname::text FROM pg_namespace WHERE nspname = ANY ($1)`, append(schemas, m.helperSchema()))
	if err != nil {
		return nil, fmt.Errorf("proxy: read schemas: %w", err)
	}
	for _, n := range names {
		st.schemas[n] = true
	}
	if err := st.readRelations(ctx, proxy, tables); err != nil {
		return nil, err
	}
	if err := st.readTypes(ctx, proxy, typeNames); err != nil {
		return nil, err
	}
	fns, err := proxy.queryStrings(ctx, `SELECT x FROM unnest($1::text[]) AS x
		WHERE to_regprocedure(quote_ident($2) || '.' || quote_ident(x) || '()') IS NOT NULL`, helpers, m.helperSchema())
	if err != nil {
		return nil, fmt.Errorf("proxy: read helper functions: %w", err)
	}
	for _, f := range fns {
		st.functions[f] = true
	}
	st.pause, err = readPauseFamilies(ctx, proxy, m)
	return st, err
}

func (st *proxyState) readRelations(ctx context.Context, proxy *server, tables []TableName) error {
	names := make([]string, len(tables))
	for i, t := range tables {
		names[i] = t.String()
	}
	rows, err := proxy.conn.Query(ctx, `SELECT n.nspname, c.relname, c.relkind::text, coalesce(s.srvname::text, '')
		FROM unnest($1::text[]) AS x(name)
		JOIN pg_class c ON c.oid = to_regclass(x.name)
		JOIN pg_namespace n ON n.oid = c.relnamespace
		LEFT JOIN pg_foreign_table ft ON ft.ftrelid = c.oid
		LEFT JOIN pg_foreign_server s ON s.oid = ft.ftserver`, names)
	if err != nil {
		return fmt.Errorf("proxy: read relations: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var t TableName
		var r proxyRelation
		if err := rows.Scan(&t.Schema, &t.Name, &r.kind, &r.server); err != nil {
			return err
		}
		st.relations[t] = r
	}
	return rows.Err()
}

func (st *proxyState) readTypes(ctx context.Context, proxy *server, names []string) error {
	rows, err := proxy.conn.Query(ctx, `SELECT x, CASE WHEN t.typtype = 'e' THEN
		ARRAY(SELECT enumlabel::text FROM pg_enum WHERE enumtypid = t.oid ORDER BY enumsortorder) END
		FROM unnest($1::text[]) AS x JOIN pg_type t ON t.oid = to_regtype(x)`, names)
	if err != nil {
		return fmt.Errorf("proxy: read types: %w", err)
	}
	return forEachRow(rows, func(row pgx.CollectableRow) error {
		var name string
		var labels []string
		if err := row.Scan(&name, &labels); err != nil {
			return err
		}
		st.types[name] = labels
		return nil
	})
}

// privileged lists, of tables, those on which role already holds every one of privs.
func privileged(ctx context.Context, proxy *server, role string, tables []TableName, privs []string) (map[TableName]bool, error) {
	names := make([]string, len(tables))
	for i, t := range tables {
		names[i] = t.String()
	}
	rows, err := proxy.conn.Query(ctx, `SELECT x FROM unnest($1::text[]) AS x WHERE CASE WHEN to_regclass(x) IS NOT NULL
		THEN (SELECT bool_and(has_table_privilege($2, x, p)) FROM unnest($3::text[]) AS p) END`, names, role, privs)
	if err != nil {
		return nil, fmt.Errorf("proxy: read privileges of %s: %w", role, err)
	}
	have, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("proxy: read privileges of %s: %w", role, err)
	}
	out := map[TableName]bool{}
	for i, n := range names {
		for _, h := range have {
			if h == n {
				out[tables[i]] = true
			}
		}
	}
	return out, nil
}
