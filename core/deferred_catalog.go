package core

import (
	"context"
	_ "embed"
	"fmt"

	"github.com/jackc/pgx/v5"
)

//go:embed sql/deferrable_objects.sql
var deferrableObjectsSQL string

// objectKey names an index ("index" and its qualified name) or a constraint ("constraint",
// its table and its name) the same way in the catalog and in pg_dump's statements.
type objectKey string

func indexKey(index TableName) objectKey { return objectKey("index " + index.String()) }

func constraintKey(table TableName, name string) objectKey {
	return objectKey("constraint " + table.String() + " " + ident(name))
}

// catalogObject is one index or foreign key of the primary's migrated tables.
type catalogObject struct {
	table     TableName
	name      string    // the index's or the constraint's
	root      string    // the published table it belongs to (a partition's root), quoted
	identity  bool      // an index: the primary key or the replica identity, which replication needs
	foreign   bool      // a foreign key
	refRoot   string    // a foreign key: the published table it references; "" when not published
	refIndex  objectKey // a foreign key: the referenced table's index it relies on
	validated bool      // a foreign key: validated on the primary
	// partitioned: a foreign key of a partitioned table, which PostgreSQL before 18 cannot add
	// NOT VALID.
	partitioned bool
}

// deferCatalog is what the primary's catalog says of the migrated tables' indexes and
// constraints: objects by key, and index-backed constraints (key, unique, exclusion) by
// table and name, mapped to their index.
type deferCatalog struct {
	objects     map[objectKey]catalogObject
	constraints map[objectKey]objectKey // a key, unique or exclusion constraint → its index
}

// readDeferCatalog reads the indexes and constraints of the published tables from the primary.
func readDeferCatalog(ctx context.Context, primary *server, published []TableName) (*deferCatalog, error) {
	names := make([]string, len(published))
	for i, t := range published {
		names[i] = t.String()
	}
	rows, err := primary.conn.Query(ctx, deferrableObjectsSQL, names)
	if err != nil {
		return nil, fmt.Errorf("primary: read the tables' indexes and constraints: %w", err)
	}
	cat := &deferCatalog{objects: map[objectKey]catalogObject{}, constraints: map[objectKey]objectKey{}}
	return cat, forEachRow(rows, func(row pgx.CollectableRow) error {
		var kind string
		var o catalogObject
		var refRoot, indexSchema, indexName *string
		if err := row.Scan(&kind, &o.table.Schema, &o.table.Name, &o.name, &o.root, &o.identity,
			&refRoot, &indexSchema, &indexName, &o.validated, &o.partitioned); err != nil {
			return err
		}
		cat.add(kind, o, deref(refRoot), deref(indexSchema), deref(indexName))
		return nil
	})
}

func (c *deferCatalog) add(kind string, o catalogObject, refRoot, indexSchema, indexName string) {
	switch kind {
	case "i":
		c.objects[indexKey(TableName{Schema: o.table.Schema, Name: o.name})] = o
	case "f":
		o.foreign, o.refRoot = true, refRoot
		o.refIndex = indexKey(TableName{Schema: indexSchema, Name: indexName})
		c.objects[constraintKey(o.table, o.name)] = o
	default: // p, u, x: the constraint is its index's
		c.constraints[constraintKey(o.table, o.name)] = indexKey(TableName{Schema: indexSchema, Name: indexName})
	}
}

// deferrable reports whether the object can be built after the copy: an index that is not
// replication's, or a foreign key between published tables.
func (c *deferCatalog) deferrable(k objectKey) bool {
	o, ok := c.objects[k]
	switch {
	case !ok:
		return false // not one of the migrated tables' (a materialized view's index, say)
	case o.foreign:
		return o.refRoot != ""
	}
	return !o.identity
}

// keyOf is the object a statement of pg_dump's creates or changes; "" for statements that
// stay in the schema import whatever they are.
func (c *deferCatalog) keyOf(d dumpStatement) objectKey {
	switch d.form {
	case formCreateIndex, formAttachIndex, formAlterIndex, formIndexComment, formClusterOn, formReplicaIdentity:
		return indexKey(d.index)
	case formAddConstraint, formConstraintComment:
		k := constraintKey(d.table, d.constraint)
		if index, ok := c.constraints[k]; ok {
			return index
		}
		if _, ok := c.objects[k]; ok {
			return k
		}
	}
	return "" // a check constraint, a trigger, a rule, a policy...
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
