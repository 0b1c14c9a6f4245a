package core

import (
	"context"
	"fmt"
	"slices"
)

// What a statement does, learnt by trying it: on the replica, in a transaction rolled back,
// comparing the definitions inside it with those before. It takes the statement's locks on
// the replica for as long as the trial lasts (the apply worker waits), and changes nothing.

// codesAlreadyDone are the errors of a statement whose effect is there already: an earlier
// run of DDL got this far.
var codesAlreadyDone = []string{
	"42701", // duplicate_column
	"42P07", // duplicate_table (and index)
	"42710", // duplicate_object (constraint, enum value)
	"42P06", // duplicate_schema
	"42703", // undefined_column (dropped already)
	"42P01", // undefined_table
	"42704", // undefined_object
}

// trial runs the statements on the replica and rolls them back. already: the replica
// refused them as done already.
func (d *ddlRun) trial(ctx context.Context) (*ddlPlan, bool, error) {
	replica, sc := d.op.replica, d.scope()
	before, err := readSnapshot(ctx, replica, sc, false, false, nil)
	if err != nil {
		return nil, false, err
	}
	d.op.r.note(ctx, roleReplica, "trying the statement in a transaction that is rolled back, to learn what it changes")
	if _, err := replica.conn.Exec(ctx, "BEGIN"); err != nil {
		return nil, false, fmt.Errorf("replica: %w", err)
	}
	open := true
	end := func() {
		if open {
			rollback(replica)
			open = false
		}
	}
	defer end()
	for _, stmt := range d.stmts {
		if loc := concurrentlyWord.FindStringIndex(stmt); d.noTx && loc != nil {
			stmt = stmt[:loc[0]] + stmt[loc[1]:] // the trial runs in a transaction
		}
		if _, err := replica.conn.Exec(ctx, stmt); err != nil {
			if slices.Contains(codesAlreadyDone, sqlState(err)) {
				d.op.r.note(ctx, roleReplica, "the replica has the statement's effect already (%v)", err)
				return nil, true, nil
			}
			return nil, false, withHint(fmt.Errorf("the statement fails on the replica (tried in a transaction, rolled back): %w", err),
				remedy("fix the statement: nothing was changed on any server"))
		}
	}
	after, err := readSnapshot(ctx, replica, sc, false, true, nil)
	if err != nil {
		return nil, false, err
	}
	_, err = readDiffering(after, before,
		func(only []TableName) (*schemaSnapshot, error) {
			return readSnapshot(ctx, replica, sc, true, true, only)
		},
		func(only []TableName) (*schemaSnapshot, error) {
			end()
			return readSnapshot(ctx, replica, sc, true, false, only)
		})
	if err != nil {
		return nil, false, err
	}
	return &ddlPlan{changes: describe(diffSchemas(after, before, "statement", roleReplica)), target: after}, false, nil
}

// resumed plans a run after one that stopped with the replica done: the statement's effect
// is what the replica has and the primary lacks.
func (d *ddlRun) resumed(ctx context.Context) (*ddlPlan, error) {
	cmp, err := compareSchemas(ctx, d.op.replica, d.op.primary, d.scope())
	if err != nil {
		return nil, err
	}
	return &ddlPlan{changes: describe(cmp.changes), target: cmp.source}, nil
}

// markDone marks the steps whose server has the statement's effect already.
func (d *ddlRun) markDone(ctx context.Context, plan *ddlPlan, already bool) error {
	for _, s := range plan.steps {
		var err error
		switch {
		case s.server == roleReplica:
			s.done = already
		case s.server == rolePrimary && already && len(plan.changes) == 0:
			s.done = true
		case s.server == rolePrimary:
			s.done, err = d.matches(ctx, d.op.primary, plan)
		case s.server == roleProxy && !s.proxy && d.op.proxy != nil:
			s.done, err = d.proxyDropped(ctx, plan)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// matches reports whether s's definitions of what the statement changes are those the
// statement gives them.
func (d *ddlRun) matches(ctx context.Context, s *server, plan *ddlPlan) (bool, error) {
	if len(plan.changes) == 0 {
		return false, nil // nothing to read back: run it
	}
	var tables []TableName
	for _, c := range plan.changes {
		if c.Table != nil && !slices.Contains(tables, *c.Table) {
			tables = append(tables, *c.Table)
		}
	}
	have, err := readSnapshot(ctx, s, d.scope(), true, false, nonEmpty(tables))
	if err != nil {
		return false, err
	}
	want := &schemaSnapshot{digests: map[TableName]string{}, tables: map[TableName]*tableDef{}, enums: plan.target.enums, sequences: plan.target.sequences}
	for _, t := range tables {
		if def := plan.target.tables[t]; def != nil {
			want.tables[t] = def
		}
	}
	for _, c := range diffSchemas(want, have, "statement", s.role) {
		if slices.ContainsFunc(plan.changes, func(x SchemaChange) bool { return x.key == c.key }) {
			return false, nil
		}
	}
	return true, nil
}

// nonEmpty keeps a read restricted to no table from reading every table.
func nonEmpty(tables []TableName) []TableName {
	if len(tables) == 0 {
		return []TableName{{}}
	}
	return tables
}

// proxyDropped reports whether the proxy's foreign tables lack every column the statement
// drops.
func (d *ddlRun) proxyDropped(ctx context.Context, plan *ddlPlan) (bool, error) {
	cols, err := readProxyColumns(ctx, d.op.proxy, d.opts.Migration)
	if err != nil {
		return false, err
	}
	for _, c := range plan.changes {
		if c.Kind == ChangeColumnExtra && slices.ContainsFunc(cols[c.obj], func(pc proxyColumn) bool { return pc.Name == c.item }) {
			return false, nil
		}
	}
	return true, nil
}
