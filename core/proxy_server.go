package core

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// fdwOptionMinMajor is the proxy version that knows each tuning option.
var fdwOptionMinMajor = map[string]int{"batch_size": 14, "keep_connections": 14, "parallel_commit": 15}

// fdwLimitations are what an application loses by going through postgres_fdw; proxy create
// repeats them in its result, for the operator to check against the application.
var fdwLimitations = []string{
	"INSERT ... ON CONFLICT DO UPDATE does not work on foreign tables: an application that uses it must switch without the proxy (sequences and fence)",
	"the proxy runs remote transactions at REPEATABLE READ (SERIALIZABLE when the local one is): concurrent updates of a row can fail with serialization errors an application written for READ COMMITTED may not retry",
	"advisory locks taken through the proxy lock the proxy, not the primary: they do not exclude sessions connected to the primary or the replica",
	"LISTEN/NOTIFY through the proxy stays on the proxy: notifications raised by the primary's triggers do not reach clients of the proxy",
	"sequence functions called by name through the proxy (nextval, currval, lastval, setval) find no sequence there: only column defaults are wired to the primary's sequences; read generated keys with INSERT ... RETURNING",
}

// connectionOptions are the foreign server's options that say where to connect: the
// parsed DSN's resolved host, port and database and its TLS and connection keywords. The
// user and password go to the user mappings.
func connectionOptions(dsn DSN) map[string]string {
	out := dsn.libpqSettings(false)
	delete(out, "user")
	delete(out, "password")
	return out
}

// serverOptions are the options of a new foreign server pointing at dsn.
func serverOptions(dsn DSN, tuning map[string]string, proxyMajor int) map[string]string {
	out := connectionOptions(dsn)
	for k, v := range tuning {
		if proxyMajor >= fdwOptionMinMajor[k] {
			out[k] = v
		}
	}
	return out
}

// mappingOptions are a user mapping's options for dsn's credentials: the real ones and the
// ones to show.
func mappingOptions(dsn DSN) (real, shown map[string]string) {
	real = map[string]string{"user": dsn.User()}
	if p := dsn.Password(); p != "" {
		real["password"] = p
	}
	shown = maps.Clone(real)
	if _, ok := shown["password"]; ok {
		shown["password"] = "********"
	}
	return real, shown
}

// optionsClause is OPTIONS (k 'v', ...) in a stable order.
func optionsClause(opts map[string]string) string {
	keys := slices.Sorted(maps.Keys(opts))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = ident(k) + " " + literal(opts[k])
	}
	return "OPTIONS (" + strings.Join(parts, ", ") + ")"
}

// alterOptionsClause turns options from into options to: SET what both have, ADD what is
// new, DROP the connection keywords only from has. Tuning options are kept. It is "" when
// nothing changes.
func alterOptionsClause(from, to map[string]string, keep func(string) bool) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(to)) {
		old, had := from[k]
		switch {
		case !had:
			parts = append(parts, "ADD "+ident(k)+" "+literal(to[k]))
		case old != to[k]:
			parts = append(parts, "SET "+ident(k)+" "+literal(to[k]))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(from)) {
		if _, ok := to[k]; !ok && !keep(k) {
			parts = append(parts, "DROP "+ident(k))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return "OPTIONS (" + strings.Join(parts, ", ") + ")"
}

// isTuningOption tells the server options pghandoff does not derive from a DSN.
func isTuningOption(k string) bool {
	switch k {
	case "fetch_size", "batch_size", "keep_connections", "use_remote_estimate", "fdw_startup_cost",
		"fdw_tuple_cost", "extensions", "async_capable", "parallel_commit", "parallel_abort",
		"updatable", "truncatable", "analyze_sampling", "application_name":
		return true
	}
	return false
}

// fdwServer is the migration's foreign server on the proxy, as it is.
type fdwServer struct {
	exists   bool
	wrapper  string
	options  map[string]string
	mappings []userMapping
}

type userMapping struct {
	role    string // "PUBLIC" for the public mapping
	options map[string]string
}

// pointsAt reports whether the server's connection options are dsn's.
func (s fdwServer) pointsAt(dsn DSN) bool {
	for k, v := range connectionOptions(dsn) {
		if s.options[k] != v {
			return false
		}
	}
	return true
}

func readFDWServer(ctx context.Context, proxy *server, m Migration) (fdwServer, error) {
	var st fdwServer
	var opts []string
	err := proxy.conn.QueryRow(ctx, `SELECT w.fdwname::text, coalesce(s.srvoptions, '{}') FROM pg_foreign_server s
		JOIN pg_foreign_data_wrapper w ON w.oid = s.srvfdw WHERE s.srvname = $1`, m.name()).Scan(&st.wrapper, &opts)
	switch {
	case errors.Is(err, errNoRows):
		return st, nil
	case err != nil:
		return st, fmt.Errorf("proxy: read foreign server %s: %w", m.name(), err)
	}
	st.exists, st.options = true, parseOptions(opts)
	rows, err := proxy.conn.Query(ctx, `SELECT CASE WHEN umuser = 0 THEN 'PUBLIC' ELSE usename::text END, coalesce(umoptions, '{}')
		FROM pg_user_mappings WHERE srvname = $1 ORDER BY 1`, m.name())
	if err != nil {
		return st, fmt.Errorf("proxy: read user mappings: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var um userMapping
		if err := rows.Scan(&um.role, &opts); err != nil {
			return st, err
		}
		um.options = parseOptions(opts)
		st.mappings = append(st.mappings, um)
	}
	return st, rows.Err()
}

// parseOptions reads a catalog options array: {"k=v", ...}.
func parseOptions(list []string) map[string]string {
	out := map[string]string{}
	for _, kv := range list {
		k, v, _ := strings.Cut(kv, "=")
		out[k] = v
	}
	return out
}

// mappingRole names a user mapping's role in SQL.
func mappingRole(role string) string {
	if role == "PUBLIC" {
		return "PUBLIC"
	}
	return ident(role)
}

func filterOptions(opts map[string]string, keep func(string) bool) map[string]string {
	out := map[string]string{}
	for k, v := range opts {
		if keep(k) {
			out[k] = v
		}
	}
	return out
}
