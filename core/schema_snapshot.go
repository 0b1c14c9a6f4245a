package core

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"
)

// What a server holds of the migration's schema, as the catalog describes it (see
// sql/schema_snapshot.sql): the definitions that status, schema diff, schema sync and ddl
// compare between servers.

//go:embed sql/schema_snapshot.sql
var schemaSnapshotSQL string

//go:embed sql/proxy_foreign_columns.sql
var proxyForeignColumnsSQL string

// schemaSnapshot is one server's definitions. A table read as a digest has its digest and a
// nil definition.
type schemaSnapshot struct {
	digests   map[TableName]string
	tables    map[TableName]*tableDef
	enums     map[TableName]enumDef
	sequences map[TableName]sequenceDef
}

// tableDef is a table's or partition's definition.
type tableDef struct {
	Parent      *TableName      `json:"parent"` // the partitioned table of a partition
	Bound       *string         `json:"bound"`  // a partition's bound
	Partitioned bool            `json:"partitioned"`
	Columns     []columnDef     `json:"columns"`
	Indexes     []indexDef      `json:"indexes"`
	Constraints []constraintDef `json:"constraints"`
}

type columnDef struct {
	Name       string  `json:"name"`
	Type       string  `json:"type"` // as format_type names it, schema-qualified
	NotNull    bool    `json:"not_null"`
	Default    *string `json:"default"`    // pg_get_expr, schema-qualified
	Expression *string `json:"expression"` // of a generated column
	Identity   string  `json:"identity"`   // "a" always, "d" by default, "" none
	Generated  string  `json:"generated"`  // "s" stored, "" none
	Collation  *string `json:"collation"`  // when not the type's own
	Sequence   *string `json:"sequence"`   // an identity column's sequence, qualified
}

type indexDef struct {
	Name     string `json:"name"`
	Def      string `json:"def"` // pg_get_indexdef: CREATE [UNIQUE] INDEX ... ON schema.table ...
	Unique   bool   `json:"unique"`
	Valid    bool   `json:"valid"`    // false: a CREATE INDEX CONCURRENTLY that failed
	Attached bool   `json:"attached"` // a partition's index, made by its partitioned table's
}

type constraintDef struct {
	Name      string `json:"name"`
	Type      string `json:"type"` // p, u, f, c, x (pg_constraint.contype)
	Def       string `json:"def"`  // pg_get_constraintdef
	Inherited bool   `json:"inherited"`
}

type enumDef struct {
	Labels []string `json:"labels"`
}

type sequenceDef struct {
	Type      string         `json:"type"`
	Start     int64          `json:"start"`
	Increment int64          `json:"increment"`
	Min       int64          `json:"min"`
	Max       int64          `json:"max"`
	Cache     int64          `json:"cache"`
	Cycle     bool           `json:"cycle"`
	Owner     *sequenceOwner `json:"owner"`
}

// sequenceOwner is the column a serial or identity sequence belongs to.
type sequenceOwner struct {
	Schema   string `json:"schema"`
	Table    string `json:"table"`
	Column   string `json:"column"`
	Identity bool   `json:"identity"`
}

func (o *sequenceOwner) table() TableName { return TableName{Schema: o.Schema, Name: o.Table} }

func (t *tableDef) column(name string) *columnDef {
	i := slices.IndexFunc(t.Columns, func(c columnDef) bool { return c.Name == name })
	if i < 0 {
		return nil
	}
	return &t.Columns[i]
}

// schemaScope is what of a server the comparison reads: the migration's schemas, without
// pghandoff's own objects and the tables it leaves out.
type schemaScope struct {
	schemas  []string // empty: every schema but the system ones
	helper   string   // pghandoff's helper schema
	sentinel TableName
	excluded []TableName
}

// migrationScope is the scope of m: the schemas and exclusions setup recorded.
func migrationScope(m Migration, meta publicationMeta) schemaScope {
	return schemaScope{schemas: meta.Schemas, helper: m.helperSchema(), sentinel: m.sentinel(), excluded: meta.ExcludeTables}
}

func (sc schemaScope) leavesOut(t TableName) bool {
	return t == sc.sentinel || slices.Contains(sc.excluded, t)
}

// readSnapshot reads s's definitions in scope, in one query: digests of the tables, or
// (whole) their definitions; only tables when given. inTx: s is in a transaction of the
// caller's (ddl's trial), which the read joins.
func readSnapshot(ctx context.Context, s *server, sc schemaScope, whole, inTx bool, only []TableName) (*schemaSnapshot, error) {
	snap := &schemaSnapshot{digests: map[TableName]string{}, tables: map[TableName]*tableDef{},
		enums: map[TableName]enumDef{}, sequences: map[TableName]sequenceDef{}}
	onlySchemas, onlyNames := make([]string, len(only)), make([]string, len(only))
	for i, t := range only {
		onlySchemas[i], onlyNames[i] = t.Schema, t.Name
	}
	err := withEmptySearchPath(ctx, s, inTx, func(b *pgx.Batch) {
		b.Queue(schemaSnapshotSQL, nonNil(sc.schemas), sc.helper, whole, onlySchemas, onlyNames).Query(func(rows pgx.Rows) error {
			return forEachRow(rows, func(row pgx.CollectableRow) error {
				var kind, def string
				var name TableName
				if err := row.Scan(&kind, &name.Schema, &name.Name, &def); err != nil {
					return err
				}
				return snap.add(kind, name, def, whole, sc)
			})
		})
	})
	if err != nil {
		return nil, fmt.Errorf("%s: read the schema's definitions: %w", s.role, err)
	}
	return snap, nil
}

func (snap *schemaSnapshot) add(kind string, name TableName, def string, whole bool, sc schemaScope) error {
	switch {
	case kind == "table" && sc.leavesOut(name):
	case kind == "table" && !whole:
		snap.digests[name] = def
	case kind == "table":
		var t tableDef
		if err := json.Unmarshal([]byte(def), &t); err != nil {
			return fmt.Errorf("table %s: %w", name, err)
		}
		snap.tables[name] = &t
	case kind == "enum":
		var e enumDef
		if err := json.Unmarshal([]byte(def), &e); err != nil {
			return fmt.Errorf("enum %s: %w", name, err)
		}
		snap.enums[name] = e
	case kind == "sequence":
		var q sequenceDef
		if err := json.Unmarshal([]byte(def), &q); err != nil {
			return fmt.Errorf("sequence %s: %w", name, err)
		}
		snap.sequences[name] = q
	}
	return nil
}

// withEmptySearchPath runs the queries queue adds to a batch with an empty search_path on
// s, so that the catalog functions print every name qualified, in one round trip: they are
// pipelined with the BEGIN, SET LOCAL and COMMIT around them. The session's own search_path
// is untouched. inTx: s is already in a transaction, which the queries join (and whose end
// resets the setting).
func withEmptySearchPath(ctx context.Context, s *server, inTx bool, queue func(*pgx.Batch)) error {
	b := &pgx.Batch{}
	if !inTx {
		b.Queue("BEGIN READ ONLY")
	}
	b.Queue("SET LOCAL search_path = ''")
	queue(b)
	if !inTx {
		b.Queue("COMMIT")
	}
	err := s.conn.SendBatch(ctx, b).Close()
	if err != nil && !inTx {
		rollback(s) // a failed query leaves the transaction open, and aborted
	}
	return err
}

// nonNil is s, or an empty slice: a nil slice is sent as NULL, which cardinality() gives as
// NULL too.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
