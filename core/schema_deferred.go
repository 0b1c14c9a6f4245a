package core

import (
	"context"
	"slices"
)

// Setup leaves a table's secondary indexes, unique and exclusion constraints and foreign
// keys for after its copy (deferred.go), and wait builds them. Until then the replica lacks
// them by design: that is the indexing phase, which status shows as such, not a difference
// of schema for schema sync to repair (it would build them itself, before the copy ends).

// pendingDeferred are the deferred units on the replica that are not built yet.
func pendingDeferred(ctx context.Context, replica *server, m Migration) (map[objectKey]bool, error) {
	units, err := readDeferred(ctx, replica, m)
	if err != nil {
		return nil, err
	}
	pending := map[objectKey]bool{}
	for _, u := range units {
		if !u.done {
			u.addObjects(pending)
		}
	}
	return pending, nil
}

// addObjects adds to set every index and constraint the unit creates: a unit may hold
// several (a unique constraint with the foreign keys that rely on it, a partitioned index
// with its partitions').
func (u deferredUnit) addObjects(set map[objectKey]bool) {
	set[u.key] = true
	for _, stmt := range u.statements {
		switch d := parseDumpStatement(stmt); d.form {
		case formCreateIndex:
			set[indexKey(d.index)] = true
		case formAddConstraint:
			set[constraintKey(d.table, d.constraint)] = true
		}
	}
}

// deferredKey is the deferred unit that would build what c says the target lacks; "" when c
// is not an index or a constraint missing.
func (c SchemaChange) deferredKey() objectKey {
	switch c.Kind {
	case ChangeIndexMissing:
		return objectKey("index " + c.Object)
	case ChangeConstraintMissing:
		return constraintKey(c.obj, c.item)
	}
	return ""
}

// withoutDeferred is changes without those that a pending deferred unit will build.
func withoutDeferred(changes SchemaChanges, pending map[objectKey]bool) SchemaChanges {
	if len(pending) == 0 {
		return changes
	}
	return slices.DeleteFunc(slices.Clone(changes), func(c SchemaChange) bool {
		k := c.deferredKey()
		return k != "" && pending[k]
	})
}

// leaveDeferred drops from the comparison what the replica's pending deferred units will
// build.
func (cmp *schemaComparison) leaveDeferred(ctx context.Context, replica *server, m Migration) error {
	pending, err := pendingDeferred(ctx, replica, m)
	if err == nil {
		cmp.changes = withoutDeferred(cmp.changes, pending)
	}
	return err
}
