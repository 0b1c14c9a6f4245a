package core

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
)

// The proxy's foreign tables against the primary's relations they stand in for: what schema
// diff reports and schema sync and ddl bring in line. Proxy create makes the relations and
// types the proxy lacks (and the sequence helpers their defaults need); this adds what it
// leaves alone: the columns of foreign tables that exist, and the values of enum types.

// proxyColumn is a column of one of the proxy's foreign tables.
type proxyColumn struct {
	Name, Type string
	NotNull    bool
	Generated  string
	Default    *string
}

// readProxyColumns reads the columns of the migration's foreign tables on the proxy, by table.
func readProxyColumns(ctx context.Context, proxy *server, m Migration) (map[TableName][]proxyColumn, error) {
	out := map[TableName][]proxyColumn{}
	err := withEmptySearchPath(ctx, proxy, false, func(b *pgx.Batch) {
		b.Queue(proxyForeignColumnsSQL, m.name(), m.helperSchema()).Query(func(rows pgx.Rows) error {
			return forEachRow(rows, func(row pgx.CollectableRow) error {
				var t TableName
				var name, typ *string
				var c proxyColumn
				if err := row.Scan(&t.Schema, &t.Name, &name, &typ, &c.NotNull, &c.Generated, &c.Default); err != nil {
					return err
				}
				if name != nil {
					c.Name, c.Type = *name, *typ
					out[t] = append(out[t], c)
				} else if _, ok := out[t]; !ok {
					out[t] = []proxyColumn{}
				}
				return nil
			})
		})
	})
	if err != nil {
		return nil, fmt.Errorf("proxy: read the foreign tables' columns: %w", err)
	}
	return out, nil
}

// diffProxy compares the proxy's foreign tables and enum types with the primary's.
func diffProxy(ctx context.Context, m Migration, primary, proxy *server) (SchemaChanges, error) {
	p, err := readProxyPlan(ctx, ProxyCreateOptions{Migration: m}, primary, proxy, &ProxyCreateResult{})
	if err != nil {
		return nil, err
	}
	if !p.st.server.exists {
		return SchemaChanges{proxyMissing(m)}, nil
	}
	cols, err := readProxyColumns(ctx, proxy, m)
	if err != nil {
		return nil, err
	}
	return p.drift(cols), nil
}

// proxyMissing says that the proxy has no foreign server of the migration: proxy create
// makes it, not schema sync.
func proxyMissing(m Migration) SchemaChange {
	return SchemaChange{Kind: ChangeProxyMissing, Object: ident(m.name()), Source: rolePrimary, Target: roleProxy, Effect: EffectNone,
		Message: fmt.Sprintf("the proxy has no foreign server %s: it stands in for nothing of the migration yet", ident(m.name())),
		Remedy:  remedy("run ", CmdProxyCreate, " when the application is to use the proxy"), key: "server:" + m.name()}
}

// drift lists what differs between the proxy and the primary, and sets the steps that bring
// the proxy's existing foreign tables in line (p.alter); proxy create's own steps make what
// the proxy lacks altogether.
func (p *proxyPlan) drift(cols map[TableName][]proxyColumn) SchemaChanges {
	d := &differ{source: rolePrimary, target: roleProxy}
	p.alter = nil
	for _, rel := range p.sel.relations {
		have, ok := cols[rel.TableName]
		if !ok {
			t := rel.TableName
			d.change(ChangeTableMissing, "table:"+t.String(), t.String(), &t).
				says(EffectBreaks, "%s exists on the primary, not on the proxy: the application cannot reach it through the proxy", t).synced()
			continue
		}
		p.columnsDrift(d, rel, have)
	}
	for t := range cols {
		if !slices.ContainsFunc(p.sel.relations, func(r sourceRelation) bool { return r.TableName == t }) {
			d.change(ChangeTableExtra, "table:"+t.String(), t.String(), &t).
				says(EffectNone, "foreign table %s on the proxy stands for nothing on the primary", t).
				decide("drop it on the proxy if nothing uses it", Statement{Server: roleProxy, SQL: "DROP FOREIGN TABLE " + t.String()})
		}
	}
	p.enumsDrift(d)
	sortChanges(d.out)
	return d.out
}

func (p *proxyPlan) columnsDrift(d *differ, rel sourceRelation, have []proxyColumn) {
	t := rel.TableName
	for _, c := range rel.columns {
		i := slices.IndexFunc(have, func(x proxyColumn) bool { return x.Name == c.Name })
		if i < 0 {
			def, _, _ := columnDDL(p.opts.Migration, c)
			d.change(ChangeColumnMissing, "column:"+columnName(t, c.Name), columnName(t, c.Name), &t).
				says(EffectBreaks, "column %s exists on the primary, not on the proxy: %s", columnName(t, c.Name), d.breaksAt(t)).
				defs(def, "").synced()
			p.alterProxy("ALTER FOREIGN TABLE " + t.String() + " ADD COLUMN " + def)
			continue
		}
		p.columnDrift(d, t, c, have[i])
	}
	for _, pc := range have {
		if !slices.ContainsFunc(rel.columns, func(x sourceColumn) bool { return x.Name == pc.Name }) {
			d.columnExtra(t, columnDef{Name: pc.Name, Type: pc.Type})
		}
	}
}

// columnDrift compares a column of a foreign table with the primary's: its type, whether the
// primary generates it, its default (wired to the primary's sequences as proxy create wires
// it) and NOT NULL. A foreign table holds no data: each is safe to change.
func (p *proxyPlan) columnDrift(d *differ, t TableName, c sourceColumn, pc proxyColumn) {
	name := columnName(t, c.Name)
	key := "column:" + name
	def, _, _ := columnDDL(p.opts.Migration, c)
	if c.Type != pc.Type || generatedOnProxy(c) != (pc.Generated != "") {
		d.change(ChangeColumnType, key, name, &t).
			says(EffectMayBreak, "column %s is %s on the primary, %s on the proxy", name, def, pc.Type).
			defs(def, pc.Type).synced()
		if generatedOnProxy(c) == (pc.Generated != "") {
			p.alterProxy(columnTypeSQL(true, t, columnDef{Name: c.Name, Type: c.Type, Collation: c.Collation}))
		} else {
			p.alterProxy(dropColumnSQL(true, t, c.Name), "ALTER FOREIGN TABLE "+t.String()+" ADD COLUMN "+def)
		}
		return
	}
	if generatedOnProxy(c) {
		return
	}
	want, _, _ := proxyDefault(p.opts.Migration, c)
	if unquoted(want) != unquoted(deref(pc.Default)) {
		d.change(ChangeColumnDefault, key+":default", name, &t).
			says(EffectBreaks, "column %s defaults to %s on the primary, to %s on the proxy: an INSERT through the proxy that leaves it out stores the proxy's",
				name, orNothing(c.Default), orNothing(pc.Default)).
			defs(want, deref(pc.Default)).synced()
		var expr *string
		if want != "" {
			expr = &want
		}
		p.alterProxy(columnDefaultSQL(true, t, c.Name, expr))
	}
	if c.NotNull != pc.NotNull {
		d.change(ChangeColumnNotNull, key+":not_null", name, &t).
			says(EffectNone, "column %s is NOT NULL on one of the primary and the proxy only", name).synced()
		p.alterProxy(columnNotNullSQL(true, t, c.Name, c.NotNull))
	}
}

// unquoted is an expression without its identifiers' quotes: the proxy prints the defaults it
// was given with only the quotes they need.
func unquoted(expr string) string { return strings.ReplaceAll(expr, `"`, "") }

func (p *proxyPlan) alterProxy(sql ...string) {
	for _, s := range sql {
		p.alter = append(p.alter, step{sql: s})
	}
}

// enumsDrift reports enum values the proxy's copies lack; proxy create adds them
// (enumValueSteps), and makes the enum types the proxy lacks.
func (p *proxyPlan) enumsDrift(d *differ) {
	for _, t := range p.types {
		labels, exists := p.st.types[t.Qualified]
		name := TableName{Schema: t.Schema, Name: t.Name}
		switch {
		case t.Kind != "e":
		case !exists:
			d.change(ChangeEnumMissing, "enum_type:"+name.String(), name.String(), nil).
				says(EffectBreaks, "enum type %s exists on the primary, not on the proxy", name).synced()
		case len(without(t.Labels, labels)) > 0:
			d.change(ChangeEnumValuesMissing, "enum_type:"+name.String()+":values", name.String(), nil).
				says(EffectBreaks, "enum type %s has values on the primary that the proxy lacks (%s): the proxy refuses them",
					name, quotedList(without(t.Labels, labels))).synced()
		}
	}
}

// enumValueSteps add to the proxy's enum types the values the primary's have since; they
// run in a transaction of their own, before any statement can use the new values.
func (p *proxyPlan) enumValueSteps() []step {
	var steps []step
	for _, t := range p.types {
		if labels, exists := p.st.types[t.Qualified]; exists && t.Kind == "e" {
			for _, sql := range enumAdditionsSQL(TableName{Schema: t.Schema, Name: t.Name}, t.Labels, labels) {
				steps = append(steps, step{sql: sql})
			}
		}
	}
	return steps
}
