package core

import (
	"context"
	_ "embed"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"
)

//go:embed sql/tables.sql
var tablesSQL string

// catalogTable is a table of the primary as the catalog describes it.
type catalogTable struct {
	TableName
	Partitioned   bool   `db:"partitioned"`
	Persistence   string `db:"persistence"` // p permanent, u unlogged, t temporary
	HasIdentity   bool   `db:"has_identity"`
	HasGenerated  bool   `db:"has_generated"`
	RLSHidesRows  bool   `db:"rls_hides_rows"`
	EstimatedRows int64  `db:"estimated_rows"`
}

func listTables(ctx context.Context, s *server) ([]catalogTable, error) {
	rows, err := s.conn.Query(ctx, tablesSQL)
	if err != nil {
		return nil, fmt.Errorf("%s: list tables: %w", s.role, err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (catalogTable, error) {
		var t catalogTable
		err := row.Scan(&t.Schema, &t.Name, &t.Partitioned, &t.Persistence, &t.HasIdentity,
			&t.HasGenerated, &t.RLSHidesRows, &t.EstimatedRows)
		return t, err
	})
}

// Selection chooses the tables of a migration.
type Selection struct {
	Schemas             []string    // empty: every schema but the system ones
	ExcludeTables       []TableName // never published
	ReplicaIdentityFull bool        // opt in to REPLICA IDENTITY FULL for tables without a key
}

// SkippedTable is a table a migration leaves out, and why.
type SkippedTable struct {
	TableName
	Reason string `json:"reason"`
}

// tablePlan is what a selection makes of the primary's tables.
type tablePlan struct {
	publish      []catalogTable // sorted; includes tables needing an identity when opted in
	noIdentity   []TableName    // published tables without a usable replica identity
	skipped      []SkippedTable
	schemas      []string // schemas the migration covers
	unknownNames []string // schemas or excluded tables the primary does not have
}

// planTables applies a selection to the primary's tables. The sentinel table is always
// published: it proves replication works end to end.
func planTables(all []catalogTable, sel Selection, sentinel TableName) tablePlan {
	var p tablePlan
	inSchemas := func(schema string) bool {
		return len(sel.Schemas) == 0 || slices.Contains(sel.Schemas, schema)
	}
	seenSchema := map[string]bool{}
	excluded := map[TableName]bool{}
	for _, t := range sel.ExcludeTables {
		excluded[t] = true
	}
	foundExcluded := map[TableName]bool{}
	for _, t := range all {
		seenSchema[t.Schema] = true
		if excluded[t.TableName] {
			foundExcluded[t.TableName] = true
		}
		switch {
		case t.TableName == sentinel:
			p.publish = append(p.publish, t)
		case !inSchemas(t.Schema) || t.Schema == (Migration{Name: sentinel.Name}).helperSchema():
			continue // pghandoff's own schema (helper_schema.go)
		case excluded[t.TableName]:
			p.skipped = append(p.skipped, SkippedTable{t.TableName, "excluded"})
		case t.Persistence == "u":
			p.skipped = append(p.skipped, SkippedTable{t.TableName, "unlogged: its changes are not written to the WAL, so logical replication cannot carry them"})
		case t.Persistence == "t":
			p.skipped = append(p.skipped, SkippedTable{t.TableName, "temporary: it belongs to one session"})
		default:
			p.publish = append(p.publish, t)
			if !t.HasIdentity {
				p.noIdentity = append(p.noIdentity, t.TableName)
			}
			if !slices.Contains(p.schemas, t.Schema) {
				p.schemas = append(p.schemas, t.Schema)
			}
		}
	}
	for _, s := range sel.Schemas {
		if !seenSchema[s] {
			p.unknownNames = append(p.unknownNames, "schema "+ident(s)+" (missing or without tables)")
		}
	}
	for _, t := range sel.ExcludeTables {
		if !foundExcluded[t] {
			p.unknownNames = append(p.unknownNames, "table "+t.String())
		}
	}
	return p
}

// tablesMatching returns those of tables for which cond holds, in one round trip: cond is a
// boolean SQL expression over t, the table's quoted name as text (e.g. to_regclass(t) IS NOT
// NULL). Remote servers are tens of milliseconds away: one query per table would not do for
// thousands of tables.
func tablesMatching(ctx context.Context, s *server, tables []TableName, cond string) ([]TableName, error) {
	if len(tables) == 0 {
		return nil, nil
	}
	names := make([]string, len(tables))
	byName := make(map[string]TableName, len(tables))
	for i, t := range tables {
		names[i] = t.String()
		byName[names[i]] = t
	}
	found, err := s.queryStrings(ctx, "SELECT t FROM unnest($1::text[]) AS t WHERE "+cond, names)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.role, err)
	}
	out := make([]TableName, len(found))
	for i, name := range found {
		out[i] = byName[name]
	}
	return out, nil
}

// existingTables are those of tables that exist on s.
func existingTables(ctx context.Context, s *server, tables []TableName) ([]TableName, error) {
	return tablesMatching(ctx, s, tables, "to_regclass(t) IS NOT NULL")
}

// quotedNames are tables' qualified, quoted names, for a query's text[] parameter.
func quotedNames(tables []catalogTable) []string {
	names := make([]string, len(tables))
	for i, t := range tables {
		names[i] = t.String()
	}
	return names
}

func catalogNames(tables []catalogTable) []TableName {
	out := make([]TableName, len(tables))
	for i, t := range tables {
		out[i] = t.TableName
	}
	return out
}
