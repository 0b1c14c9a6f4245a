package core

import (
	"context"
	_ "embed"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
)

//go:embed sql/proxy_relations.sql
var proxyRelationsSQL string

//go:embed sql/proxy_columns.sql
var proxyColumnsSQL string

//go:embed sql/proxy_types.sql
var proxyTypesSQL string

// Relation kinds, as pg_class.relkind.
const (
	kindTable       = "r"
	kindPartitioned = "p"
	kindView        = "v"
	kindMatView     = "m"
	kindForeign     = "f"
)

// sourceRelation is a relation of the primary the proxy stands in for, with its columns.
type sourceRelation struct {
	TableName
	oid         int64
	kind        string
	persistence string
	columns     []sourceColumn
}

func (r sourceRelation) isTable() bool { return r.kind == kindTable || r.kind == kindPartitioned }

// sourceColumn is one column of a source relation.
type sourceColumn struct {
	Name        string
	Type        string // as format_type names it, schema-qualified
	NotNull     bool
	Identity    string  // "a" always, "d" by default, "" none
	Generated   string  // "s" stored, "" none
	Collation   *string // when not the type's own
	Default     *string // pg_get_expr, schema-qualified
	IdentitySeq *sequenceRef
	DefaultSeqs []sequenceRef
}

// sequenceRef is a sequence a column draws from, and how its default calls it.
type sequenceRef struct {
	Schema string `json:"schema"`
	Name   string `json:"name"`
	Call   string `json:"call"` // nextval('"s"."q"'::regclass), exactly as pg_get_expr prints it
}

func (s sequenceRef) table() TableName { return TableName{Schema: s.Schema, Name: s.Name} }

// sourceType is a user-defined type a source column uses.
type sourceType struct {
	Schema, Name, Kind, Qualified string
	Extension                     *string
	Labels                        []string
}

// withQualifiedNames runs read with an empty search_path on s, so that everything the
// catalog functions print comes out schema-qualified, exactly as another server must name it.
func withQualifiedNames(ctx context.Context, s *server, read func() error) error {
	if _, err := s.conn.Exec(ctx, "SET search_path = ''"); err != nil {
		return fmt.Errorf("%s: %w", s.role, err)
	}
	err := read()
	if _, rerr := s.conn.Exec(ctx, "RESET search_path"); err == nil && rerr != nil {
		err = fmt.Errorf("%s: %w", s.role, rerr)
	}
	return err
}

func listSourceRelations(ctx context.Context, s *server) ([]sourceRelation, error) {
	rows, err := s.conn.Query(ctx, proxyRelationsSQL)
	if err != nil {
		return nil, fmt.Errorf("%s: list relations: %w", s.role, err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (sourceRelation, error) {
		var r sourceRelation
		err := row.Scan(&r.oid, &r.Schema, &r.Name, &r.kind, &r.persistence)
		return r, err
	})
}

// readColumns fills in the columns of rels.
func readColumns(ctx context.Context, s *server, rels []sourceRelation) error {
	oids := make([]int64, len(rels))
	index := map[int64]int{}
	for i, r := range rels {
		oids[i], index[r.oid] = r.oid, i
	}
	rows, err := s.conn.Query(ctx, proxyColumnsSQL, oids)
	if err != nil {
		return fmt.Errorf("%s: read columns: %w", s.role, err)
	}
	defer rows.Close()
	for rows.Next() {
		var relid int64
		var c sourceColumn
		if err := rows.Scan(&relid, &c.Name, &c.Type, &c.NotNull, &c.Identity, &c.Generated, &c.Collation,
			&c.Default, &c.IdentitySeq, &c.DefaultSeqs); err != nil {
			return fmt.Errorf("%s: read columns: %w", s.role, err)
		}
		rels[index[relid]].columns = append(rels[index[relid]].columns, c)
	}
	return rows.Err()
}

func readSourceTypes(ctx context.Context, s *server, rels []sourceRelation) ([]sourceType, error) {
	oids := make([]int64, len(rels))
	for i, r := range rels {
		oids[i] = r.oid
	}
	rows, err := s.conn.Query(ctx, proxyTypesSQL, oids)
	if err != nil {
		return nil, fmt.Errorf("%s: read column types: %w", s.role, err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (sourceType, error) {
		var t sourceType
		err := row.Scan(&t.Schema, &t.Name, &t.Kind, &t.Qualified, &t.Extension, &t.Labels)
		return t, err
	})
}

// proxySelection is what the proxy stands in for, and what it leaves out and why.
type proxySelection struct {
	relations []sourceRelation
	schemas   []string
	skipped   []SkippedTable
	warnings  []string
}

// selectRelations picks the relations of the migration: its published tables (every table
// when nothing is published yet), and the views and materialized views of its schemas. A
// table left out of replication is left out of the proxy too: after cutover the proxy
// would show the replica's copy, which replication does not fill.
func selectRelations(all []sourceRelation, m Migration, published []TableName, havePublication bool) proxySelection {
	var sel proxySelection
	inMigration := func(t TableName) bool {
		return t != m.sentinel() && (!havePublication || slices.Contains(published, t))
	}
	for _, r := range all {
		if r.isTable() && inMigration(r.TableName) && r.persistence == "p" {
			sel.relations = append(sel.relations, r)
			if !slices.Contains(sel.schemas, r.Schema) {
				sel.schemas = append(sel.schemas, r.Schema)
			}
		}
	}
	for _, r := range all {
		switch {
		case r.Schema == m.helperSchema() || r.TableName == m.sentinel() || !slices.Contains(sel.schemas, r.Schema):
		case r.isTable() && r.persistence != "p":
			sel.skipped = append(sel.skipped, SkippedTable{r.TableName, "unlogged or temporary: not replicated, so the proxy leaves it out"})
		case r.isTable() && !inMigration(r.TableName):
			sel.skipped = append(sel.skipped, SkippedTable{r.TableName, "not part of the migration's publication"})
		case r.kind == kindForeign:
			sel.skipped = append(sel.skipped, SkippedTable{r.TableName, "a foreign table on the primary"})
		case r.kind == kindView:
			sel.relations = append(sel.relations, r)
		case r.kind == kindMatView:
			sel.relations = append(sel.relations, r)
			sel.warnings = append(sel.warnings, fmt.Sprintf("materialized view %s: after cutover the proxy reads the replica's copy, which the schema import leaves empty: REFRESH MATERIALIZED VIEW it on the replica before cutover", r.TableName))
		}
	}
	slices.SortFunc(sel.relations, func(a, b sourceRelation) int {
		return strings.Compare(a.Schema+"\x00"+a.Name, b.Schema+"\x00"+b.Name)
	})
	return sel
}
