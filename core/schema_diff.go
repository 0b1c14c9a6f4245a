package core

import (
	"maps"
	"slices"
	"strings"
)

// differ compares two servers' definitions (schema_snapshot.go): the source's are the
// reference, the target's are compared with them. Every difference becomes a SchemaChange
// saying what it does to the migration and what to do.
type differ struct {
	a, b           *schemaSnapshot // the source's and the target's
	source, target string          // their roles
	out            []SchemaChange
}

// diffSchemas lists what differs between a (the source's definitions) and b (the target's).
// A table both hold as digests is the same when the digests are; whole definitions are
// compared field by field.
func diffSchemas(a, b *schemaSnapshot, source, target string) SchemaChanges {
	d := &differ{a: a, b: b, source: source, target: target}
	for _, t := range sortedNames(a.names(), b.names()) {
		d.table(t)
	}
	d.enums()
	d.sequences()
	sortChanges(d.out)
	return d.out
}

// names are the tables of the snapshot, read whole or as digests.
func (snap *schemaSnapshot) names() []TableName {
	return append(slices.Collect(maps.Keys(snap.digests)), slices.Collect(maps.Keys(snap.tables))...)
}

func (snap *schemaSnapshot) has(t TableName) bool {
	_, digest := snap.digests[t]
	return digest || snap.tables[t] != nil
}

func sortedNames(lists ...[]TableName) []TableName {
	var all []TableName
	for _, l := range lists {
		all = append(all, l...)
	}
	slices.SortFunc(all, func(x, y TableName) int { return strings.Compare(x.Schema+"\x00"+x.Name, y.Schema+"\x00"+y.Name) })
	return slices.Compact(all)
}

func (d *differ) table(t TableName) {
	inA, inB := d.a.has(t), d.b.has(t)
	ta, tb := d.a.tables[t], d.b.tables[t]
	switch {
	case inA && !inB:
		d.tableMissing(t, ta)
	case !inA && inB:
		d.change(ChangeTableExtra, "table:"+t.String(), t.String(), &t).
			says(EffectNone, "table %s exists on the %s, not on the %s", t, d.target, d.source).
			harmless("nothing replicates into it; drop it on the " + d.target + " if it is not needed")
	case ta == nil || tb == nil:
		// Only digests: the caller read whole definitions of every table whose digests differ.
	default:
		d.partition(t, ta, tb)
		d.columns(t, ta, tb)
		d.indexes(t, ta, tb)
		d.constraints(t, ta, tb)
	}
}

func (d *differ) tableMissing(t TableName, def *tableDef) {
	c := d.change(ChangeTableMissing, "table:"+t.String(), t.String(), &t)
	if def != nil && def.Parent != nil {
		c.says(EffectBreaks, "partition %s of %s exists on the %s, not on the %s: replication stops at the first row routed to it",
			t, *def.Parent, d.source, d.target).synced()
		return
	}
	c.says(EffectNotReplicated, "table %s exists on the %s, not on the %s: its rows are not replicated", t, d.source, d.target).synced()
}

func (d *differ) partition(t TableName, a, b *tableDef) {
	if ptrEqual(a.Parent, b.Parent) && ptrEqual(a.Bound, b.Bound) {
		return
	}
	d.change(ChangeTableChanged, "table:"+t.String(), t.String(), &t).
		says(EffectMayBreak, "partition %s has another parent or bound on the %s than on the %s", t, d.target, d.source).
		defs(partitionText(a), partitionText(b)).
		decide("make the " + d.target + "'s partitions cover what the " + d.source + "'s do (DETACH and ATTACH PARTITION)")
}

func partitionText(t *tableDef) string {
	if t.Parent == nil {
		return "not a partition"
	}
	return "partition of " + t.Parent.String() + " " + deref(t.Bound)
}

func (d *differ) columns(t TableName, a, b *tableDef) {
	var missing, extra []columnDef
	for _, ca := range a.Columns {
		if d.parentDiffers(a, ca.Name) {
			continue // the partitioned table's difference, which a change to it makes here too
		}
		cb := b.column(ca.Name)
		if cb == nil {
			missing = append(missing, ca)
			continue
		}
		d.column(t, ca, *cb)
	}
	for _, cb := range b.Columns {
		if a.column(cb.Name) == nil && !d.parentDiffers(a, cb.Name) {
			extra = append(extra, cb)
		}
	}
	// One column gone and one come, of the same type: most likely renamed.
	if len(missing) == 1 && len(extra) == 1 && missing[0].Type == extra[0].Type {
		d.columnRenamed(t, missing[0], extra[0])
		return
	}
	for _, c := range missing {
		d.columnMissing(t, c)
	}
	for _, c := range extra {
		d.columnExtra(t, c)
	}
}

// parentDiffers reports whether t is a partition whose partitioned table's column differs
// between the sides too: the partitions follow their table when it is changed.
func (d *differ) parentDiffers(t *tableDef, column string) bool {
	if t.Parent == nil {
		return false
	}
	pa, pb := d.a.tables[*t.Parent], d.b.tables[*t.Parent]
	return pa != nil && pb != nil && !sameColumn(pa.column(column), pb.column(column))
}

func sameColumn(a, b *columnDef) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Type == b.Type && a.NotNull == b.NotNull && ptrEqual(a.Default, b.Default) && ptrEqual(a.Collation, b.Collation) &&
		a.Identity == b.Identity && a.Generated == b.Generated && ptrEqual(a.Expression, b.Expression)
}

func columnName(t TableName, column string) string { return t.String() + "." + ident(column) }

func (d *differ) columnMissing(t TableName, c columnDef) {
	d.change(ChangeColumnMissing, "column:"+columnName(t, c.Name), columnName(t, c.Name), &t).
		says(EffectBreaks, "column %s exists on the %s, not on the %s: %s", columnName(t, c.Name), d.source, d.target, d.breaksAt(t)).
		defs(columnClause(c, nil), "").on(t, c.Name).synced()
}

// breaksAt says what a column the target lacks does to it.
func (d *differ) breaksAt(t TableName) string {
	if d.target == roleProxy {
		return "the application cannot read or write it through the proxy"
	}
	return "replication stops at the next change to " + t.String()
}

func (d *differ) columnExtra(t TableName, c columnDef) {
	name := columnName(t, c.Name)
	ch := d.change(ChangeColumnExtra, "column:"+name, name, &t).defs("", columnClause(c, nil)).on(t, c.Name)
	switch {
	case d.target == roleProxy:
		ch.says(EffectBreaks, "column %s exists on the proxy, not on the %s: every INSERT into %s through the proxy fails", name, d.source, t)
	case needsNotNullLater(c):
		ch.says(EffectBreaks, "column %s exists on the %s, not on the %s, and is NOT NULL without a default there: every row the %s inserts into %s stops replication",
			name, d.target, d.source, d.source, t)
	default:
		ch.says(EffectNone, "column %s exists on the %s, not on the %s (dropped there?): replicated rows leave it empty", name, d.target, d.source)
	}
	ch.decide("if the column was dropped on the "+d.source+" on purpose, drop it on the proxy and the replica too (its data there is lost)",
		Statement{Server: roleProxy, SQL: dropColumnSQL(true, t, c.Name)},
		Statement{Server: roleReplica, SQL: dropColumnSQL(false, t, c.Name)})
	if d.target == roleProxy {
		ch.Statements = ch.Statements[:1]
	}
}

func (d *differ) columnRenamed(t TableName, now, was columnDef) {
	d.change(ChangeColumnRenamed, "column:"+columnName(t, now.Name), columnName(t, now.Name), &t).
		says(EffectBreaks, "column %s is %s on the %s (renamed?): %s", columnName(t, was.Name), ident(now.Name), d.source, d.breaksAt(t)).
		defs(columnClause(now, nil), columnClause(was, nil)).
		decide("if it was renamed, rename it on the replica and the proxy too",
			Statement{Server: roleReplica, SQL: renameColumnSQL(false, t, was.Name, now.Name)},
			Statement{Server: roleProxy, SQL: renameColumnSQL(true, t, was.Name, now.Name)})
}

// column compares a column both sides have.
func (d *differ) column(t TableName, a, b columnDef) {
	name := columnName(t, a.Name)
	key := "column:" + name
	switch {
	case a.Type != b.Type || !ptrEqual(a.Collation, b.Collation):
		d.change(ChangeColumnType, key, name, &t).
			says(EffectMayBreak, "column %s is %s on the %s, %s on the %s: replicated values must convert", name, a.Type, d.source, b.Type, d.target).
			defs(a.Type, b.Type).
			decide("change its type on the replica (it rewrites the table and may need a USING clause), then on the proxy",
				Statement{Server: roleReplica, SQL: columnTypeSQL(false, t, a)}, Statement{Server: roleProxy, SQL: columnTypeSQL(true, t, a)})
		return
	case a.Identity != b.Identity || a.Generated != b.Generated || !ptrEqual(a.Expression, b.Expression):
		d.change(ChangeColumnGenerated, key, name, &t).
			says(EffectAfterCutover, "column %s is generated differently on the %s than on the %s", name, d.target, d.source).
			defs(columnClause(a, nil), columnClause(b, nil)).
			decide("make it " + columnClause(a, nil) + " on the " + d.target)
		return
	}
	if !ptrEqual(a.Default, b.Default) {
		d.change(ChangeColumnDefault, key+":default", name, &t).
			says(EffectAfterCutover, "column %s defaults to %s on the %s, to %s on the %s", name, orNothing(a.Default), d.source, orNothing(b.Default), d.target).
			defs(deref(a.Default), deref(b.Default)).on(t, a.Name).synced()
	}
	switch {
	case a.NotNull && !b.NotNull:
		d.change(ChangeColumnNotNull, key+":not_null", name, &t).
			says(EffectAfterCutover, "column %s is NOT NULL on the %s, not on the %s", name, d.source, d.target).on(t, a.Name).synced()
	case !a.NotNull && b.NotNull:
		d.change(ChangeColumnNullable, key+":not_null", name, &t).
			says(EffectMayBreak, "column %s is NOT NULL on the %s, not on the %s: a NULL the %s accepts stops replication", name, d.target, d.source, d.source).on(t, a.Name).synced()
	}
}

func ptrEqual[T comparable](a, b *T) bool {
	return (a == nil) == (b == nil) && (a == nil || *a == *b)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func orNothing(s *string) string {
	if s == nil {
		return "nothing"
	}
	return *s
}
