package core

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// The differ's comparison of indexes, constraints, enum types and sequences (schema_diff.go).

func (d *differ) indexes(t TableName, a, b *tableDef) {
	for _, ia := range a.Indexes {
		name := ident(t.Schema, ia.Name)
		key := "index:" + name
		j := slices.IndexFunc(b.Indexes, func(x indexDef) bool { return x.Name == ia.Name })
		switch {
		case j < 0 && ia.Attached && d.parentLacksIndexes(a):
			// Made on the partition by the index of its partitioned table, which is missing too.
		case j < 0:
			d.change(ChangeIndexMissing, key, name, &t).
				says(EffectAfterCutover, "index %s on %s exists on the %s, not on the %s", name, t, d.source, d.target).
				defs(ia.Def, "").synced()
		case !ia.Valid || !b.Indexes[j].Valid:
			d.invalidIndex(t, ia, b.Indexes[j])
		case b.Indexes[j].Def != ia.Def:
			d.change(ChangeIndexChanged, key, name, &t).
				says(EffectAfterCutover, "index %s on %s is defined differently on the %s than on the %s", name, t, d.target, d.source).
				defs(ia.Def, b.Indexes[j].Def).
				decide("make it as on the "+d.source, Statement{Server: roleReplica, SQL: dropIndexSQL(t.Schema, ia.Name)}, Statement{Server: roleReplica, SQL: ia.Def})
		}
	}
	for _, ib := range b.Indexes {
		if slices.ContainsFunc(a.Indexes, func(x indexDef) bool { return x.Name == ib.Name }) || ib.Attached {
			continue
		}
		name := ident(t.Schema, ib.Name)
		c := d.change(ChangeIndexExtra, "index:"+name, name, &t).defs("", ib.Def)
		if ib.Unique {
			c.says(EffectMayBreak, "unique index %s on %s exists on the %s, not on the %s: a duplicate the %s accepts stops replication", name, t, d.target, d.source, d.source)
		} else {
			c.says(EffectNone, "index %s on %s exists on the %s, not on the %s", name, t, d.target, d.source)
		}
		c.decide("if it was dropped on the "+d.source+" on purpose, drop it on the "+d.target+" too", Statement{Server: roleReplica, SQL: dropIndexSQL(t.Schema, ib.Name)})
	}
}

// invalidIndex reports an index a failed CREATE INDEX CONCURRENTLY left invalid on a side.
func (d *differ) invalidIndex(t TableName, a, b indexDef) {
	if a.Valid == b.Valid {
		return // invalid on both: the same definition, unused on both
	}
	side, def := d.source, a.Def
	if a.Valid {
		side, def = d.target, b.Def
	}
	name := ident(t.Schema, a.Name)
	concurrent := strings.Replace(def, " INDEX ", " INDEX CONCURRENTLY ", 1)
	d.change(ChangeIndexChanged, "index:"+name, name, &t).
		says(EffectAfterCutover, "index %s on %s is invalid on the %s (a CREATE INDEX CONCURRENTLY that failed)", name, t, side).
		defs(a.Def, b.Def).
		decide("build it again on the "+side,
			Statement{Server: side, SQL: "DROP INDEX CONCURRENTLY " + name}, Statement{Server: side, SQL: concurrent})
}

// parentLacksIndexes reports whether t is a partition whose partitioned table the target
// lacks indexes of: creating those there makes the partitions' indexes too. A parent read
// as a digest only is the same on both sides.
func (d *differ) parentLacksIndexes(t *tableDef) bool {
	if t.Parent == nil {
		return false
	}
	pa, pb := d.a.tables[*t.Parent], d.b.tables[*t.Parent]
	if pa == nil || pb == nil {
		return !d.b.has(*t.Parent)
	}
	for _, i := range pa.Indexes {
		if !slices.ContainsFunc(pb.Indexes, func(x indexDef) bool { return x.Name == i.Name }) {
			return true
		}
	}
	return false
}

// constraintEffect is what a constraint only the target enforces does to replication: the
// apply worker checks CHECK, UNIQUE and EXCLUDE constraints; it does not fire foreign keys.
func constraintEffect(k constraintDef) Effect {
	if k.Type == "f" || k.Type == "p" {
		return EffectNone
	}
	return EffectMayBreak
}

func (d *differ) constraints(t TableName, a, b *tableDef) {
	for _, ka := range a.Constraints {
		name := ident(ka.Name) + " on " + t.String()
		key := "constraint:" + t.String() + "." + ident(ka.Name)
		j := slices.IndexFunc(b.Constraints, func(x constraintDef) bool { return x.Name == ka.Name })
		switch {
		case j < 0 && ka.Inherited:
			// Made on the partition by its partitioned table's, which the target lacks too.
		case j < 0:
			d.change(ChangeConstraintMissing, key, name, &t).
				says(EffectAfterCutover, "constraint %s exists on the %s, not on the %s", name, d.source, d.target).
				defs(ka.Def, "").on(t, ka.Name).synced()
		case b.Constraints[j].Def != ka.Def:
			d.change(ChangeConstraintChanged, key, name, &t).
				says(constraintEffect(b.Constraints[j]), "constraint %s is %s on the %s, %s on the %s", name, ka.Def, d.source, b.Constraints[j].Def, d.target).
				defs(ka.Def, b.Constraints[j].Def).
				decide("make it as on the "+d.source, Statement{Server: roleReplica, SQL: dropConstraintSQL(t, ka.Name)}, Statement{Server: roleReplica, SQL: addConstraintSQL(t, ka)})
		}
	}
	for _, kb := range b.Constraints {
		if kb.Inherited || slices.ContainsFunc(a.Constraints, func(x constraintDef) bool { return x.Name == kb.Name }) {
			continue
		}
		name := ident(kb.Name) + " on " + t.String()
		effect := constraintEffect(kb)
		c := d.change(ChangeConstraintExtra, "constraint:"+t.String()+"."+ident(kb.Name), name, &t).defs("", kb.Def)
		if effect == EffectMayBreak {
			c.says(effect, "constraint %s (%s) exists on the %s, not on the %s: a row the %s accepts against it stops replication", name, kb.Def, d.target, d.source, d.source)
		} else {
			c.says(effect, "constraint %s (%s) exists on the %s, not on the %s", name, kb.Def, d.target, d.source)
		}
		c.decide("if it was dropped on the "+d.source+" on purpose, drop it on the "+d.target+" too", Statement{Server: roleReplica, SQL: dropConstraintSQL(t, kb.Name)})
	}
}

func (d *differ) enums() {
	for _, t := range sortedNames(slices.Collect(maps.Keys(d.a.enums)), slices.Collect(maps.Keys(d.b.enums))) {
		ea, inA := d.a.enums[t]
		eb, inB := d.b.enums[t]
		if !d.presence("enum type", t, ChangeEnumMissing, ChangeEnumExtra, inA, inB, func() string { return createEnumSQL(t, ea) }) {
			d.enumValues(t, ea, eb)
		}
	}
}

// presence reports a type or sequence only one side has, and whether it found one: the
// target lacks what it will need after cutover, or has something harmless.
func (d *differ) presence(what string, t TableName, missing, extra ChangeKind, inA, inB bool, def func() string) bool {
	key := strings.ReplaceAll(what, " ", "_") + ":" + t.String()
	switch {
	case inA && !inB:
		d.change(missing, key, t.String(), nil).
			says(EffectAfterCutover, "%s %s exists on the %s, not on the %s", what, t, d.source, d.target).
			defs(def(), "").on(t, "").synced()
	case !inA && inB:
		d.change(extra, key, t.String(), nil).
			says(EffectNone, "%s %s exists on the %s, not on the %s", what, t, d.target, d.source).harmless("nothing to do")
	default:
		return false
	}
	return true
}

func (d *differ) enumValues(t TableName, a, b enumDef) {
	missing := without(a.Labels, b.Labels)
	extra := without(b.Labels, a.Labels)
	if len(missing) > 0 {
		d.change(ChangeEnumValuesMissing, "enum_type:"+t.String()+":values", t.String(), nil).on(t, "").
			says(EffectBreaks, "enum type %s has values on the %s that the %s lacks (%s): replication stops at the first row that uses one",
				t, d.source, d.target, quotedList(missing)).
			defs(quotedList(a.Labels), quotedList(b.Labels)).synced()
	}
	if len(extra) > 0 {
		d.change(ChangeEnumValuesExtra, "enum_type:"+t.String()+":extra", t.String(), nil).
			says(EffectNone, "enum type %s has values on the %s that the %s lacks (%s)", t, d.target, d.source, quotedList(extra)).
			harmless("nothing to do: PostgreSQL cannot drop an enum value")
	}
}

func (d *differ) sequences() {
	for _, t := range sortedNames(slices.Collect(maps.Keys(d.a.sequences)), slices.Collect(maps.Keys(d.b.sequences))) {
		qa, inA := d.a.sequences[t]
		qb, inB := d.b.sequences[t]
		switch {
		case inA && !inB && d.ownerMissing(qa.Owner):
			// It comes with its column or table.
		case d.presence("sequence", t, ChangeSequenceMissing, ChangeSequenceExtra, inA, inB, func() string { return sequenceSQL(t, qa) }):
		case sequenceOptionsText(qa) != sequenceOptionsText(qb):
			d.change(ChangeSequenceChanged, "sequence:"+t.String(), t.String(), nil).
				says(EffectAfterCutover, "sequence %s is %s on the %s, %s on the %s", t, sequenceOptionsText(qa), d.source, sequenceOptionsText(qb), d.target).
				defs(sequenceOptionsText(qa), sequenceOptionsText(qb)).on(t, "").synced()
		}
	}
}

// ownerMissing reports whether a sequence's owning column is missing on the target.
func (d *differ) ownerMissing(o *sequenceOwner) bool {
	if o == nil {
		return false
	}
	tb := d.b.tables[o.table()]
	return !d.b.has(o.table()) || (tb != nil && tb.column(o.Column) == nil)
}

func sequenceOptionsText(q sequenceDef) string {
	return fmt.Sprint(sequenceOptions(q, true))
}

// without is the items of a not in b, in a's order.
func without(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

func quotedList(items []string) string {
	out := ""
	for i, s := range items {
		if i > 0 {
			out += ", "
		}
		out += literal(s)
	}
	return out
}
