package core

import (
	"fmt"
	"slices"
)

// SchemaChange is one difference between the definitions of two servers of a migration: the
// primary and the replica, or the primary and the proxy's foreign tables. It says what
// differs, what the difference does to the migration, and what to do about it.
type SchemaChange struct {
	Kind ChangeKind `json:"kind"`
	// Object names what differs: "public"."items"."price" for a column.
	Object string     `json:"object"`
	Table  *TableName `json:"table,omitempty"` // the table it belongs to
	// Source is the server whose definition is the reference (the primary); Target the one
	// compared with it (the replica, or the proxy). SourceDef and TargetDef are the
	// definitions on each, empty where the object is missing.
	Source    string `json:"source"`
	Target    string `json:"target"`
	SourceDef string `json:"source_def,omitempty"`
	TargetDef string `json:"target_def,omitempty"`
	Effect    Effect `json:"effect"`
	// Message says it in a sentence: column "public"."items"."price" exists on the primary,
	// not on the replica: replication stops at the next change to "public"."items".
	Message string `json:"message"`
	// Sync: schema sync applies it, safely, in the right order. When it does not, the change
	// needs a decision, and Statements are what to run, in this order, once decided.
	Sync       bool        `json:"sync"`
	Remedy     Remedy      `json:"remedy"`
	Statements []Statement `json:"statements,omitempty"`
	key        string      // the object's identity, the same whichever side has it
	obj        TableName   // the table, type or sequence it is about
	item       string      // the column or constraint of obj it is about
}

// ChangeKind is what differs, from the target's point of view: a table "missing" exists on
// the source and not on the target; "extra" the other way.
type ChangeKind string

// The kinds of SchemaChange.
const (
	ChangeTableMissing      ChangeKind = "table_missing"
	ChangeTableExtra        ChangeKind = "table_extra"
	ChangeTableChanged      ChangeKind = "table_changed" // a partition's bound or parent
	ChangeColumnMissing     ChangeKind = "column_missing"
	ChangeColumnExtra       ChangeKind = "column_extra"
	ChangeColumnRenamed     ChangeKind = "column_renamed"
	ChangeColumnType        ChangeKind = "column_type"
	ChangeColumnDefault     ChangeKind = "column_default"
	ChangeColumnNotNull     ChangeKind = "column_not_null" // NOT NULL on the source only
	ChangeColumnNullable    ChangeKind = "column_nullable" // NOT NULL on the target only
	ChangeColumnGenerated   ChangeKind = "column_generated"
	ChangeIndexMissing      ChangeKind = "index_missing"
	ChangeIndexExtra        ChangeKind = "index_extra"
	ChangeIndexChanged      ChangeKind = "index_changed"
	ChangeConstraintMissing ChangeKind = "constraint_missing"
	ChangeConstraintExtra   ChangeKind = "constraint_extra"
	ChangeConstraintChanged ChangeKind = "constraint_changed"
	ChangeEnumMissing       ChangeKind = "enum_missing"
	ChangeEnumExtra         ChangeKind = "enum_extra"
	ChangeEnumValuesMissing ChangeKind = "enum_values_missing"
	ChangeEnumValuesExtra   ChangeKind = "enum_values_extra"
	ChangeSequenceMissing   ChangeKind = "sequence_missing"
	ChangeSequenceExtra     ChangeKind = "sequence_extra"
	ChangeSequenceChanged   ChangeKind = "sequence_changed"
	ChangeProxyMissing      ChangeKind = "proxy_missing" // the proxy stands in for nothing yet
)

// Effect is what a SchemaChange does to the migration.
type Effect string

// Effects, from the gravest.
const (
	// EffectBreaks: replication stops (the replica's apply worker fails and retries) at the
	// next change that meets the difference, or the proxy fails the application's writes.
	EffectBreaks Effect = "breaks"
	// EffectMayBreak: some rows the primary accepts would stop replication.
	EffectMayBreak Effect = "may_break"
	// EffectNotReplicated: a table's rows do not reach the replica.
	EffectNotReplicated Effect = "not_replicated"
	// EffectAfterCutover: replication runs, but after cutover the new primary would not
	// behave as the old one did (a missing index, default, constraint or sequence).
	EffectAfterCutover Effect = "after_cutover"
	// EffectNone: harmless to the migration (something only the target has).
	EffectNone Effect = "none"
)

// Blocks reports whether the change keeps the migration from being ready: replication has
// stopped, or will, or misses rows.
func (c SchemaChange) Blocks() bool {
	return c.Effect == EffectBreaks || c.Effect == EffectNotReplicated
}

// Text is the message and what to do, in plain words.
func (c SchemaChange) Text() string { return c.Message + ": " + c.Remedy.String() }

// change starts a SchemaChange between the sides of d, about an object.
func (d *differ) change(kind ChangeKind, key, object string, table *TableName) *SchemaChange {
	d.out = append(d.out, SchemaChange{Kind: kind, Object: object, Table: table, Source: d.source, Target: d.target, key: key})
	c := &d.out[len(d.out)-1]
	if table != nil {
		c.obj = *table
	}
	return c
}

// on records what the change is about, for schema sync: a type or sequence, or a table's
// column or constraint.
func (c *SchemaChange) on(obj TableName, item string) *SchemaChange {
	c.obj, c.item = obj, item
	return c
}

// says sets what the change does and the sentence that says it.
func (c *SchemaChange) says(effect Effect, format string, args ...any) *SchemaChange {
	c.Effect, c.Message = effect, fmt.Sprintf(format, args...)
	return c
}

// synced marks a change schema sync applies.
func (c *SchemaChange) synced() *SchemaChange {
	c.Sync, c.Remedy = true, remedy("run ", CmdSchemaSync)
	return c
}

// decide marks a change that needs a person's decision: why, and the statements that
// carry it out, in order.
func (c *SchemaChange) decide(why string, stmts ...Statement) *SchemaChange {
	c.Remedy = remedyf("%s", why)
	if len(stmts) > 0 {
		c.Remedy = remedy(why, "; once decided, run the statements listed with it, in their order (", CmdSchemaSync, " does not)")
	}
	c.Statements = stmts
	return c
}

// harmless marks a change nothing needs to be done about.
func (c *SchemaChange) harmless(why string) *SchemaChange {
	c.Remedy = remedyf("%s", why)
	return c
}

// defs records the definitions on each side.
func (c *SchemaChange) defs(source, target string) *SchemaChange {
	c.SourceDef, c.TargetDef = source, target
	return c
}

// SchemaChanges are the differences a comparison found.
type SchemaChanges []SchemaChange

// Blocking are the changes that keep the migration from being ready.
func (cs SchemaChanges) Blocking() SchemaChanges {
	return slices.DeleteFunc(slices.Clone(cs), func(c SchemaChange) bool { return !c.Blocks() })
}

// worst is the gravest effect among the changes, for ordering: breaks first.
var effectRank = map[Effect]int{EffectBreaks: 0, EffectNotReplicated: 1, EffectMayBreak: 2, EffectAfterCutover: 3, EffectNone: 4}

// sortChanges puts the gravest first, then by object.
func sortChanges(cs []SchemaChange) {
	slices.SortStableFunc(cs, func(a, b SchemaChange) int {
		if r := effectRank[a.Effect] - effectRank[b.Effect]; r != 0 {
			return r
		}
		switch {
		case a.Object < b.Object:
			return -1
		case a.Object > b.Object:
			return 1
		}
		return 0
	})
}
