package core

import (
	"context"
	"strings"
)

// replicaSync is what schema sync runs on the replica, in the order that works: enum types
// and values (committed before anything uses them), then sequences, columns, defaults and
// nullability in one transaction, then new tables and partitions (their definitions by
// pg_dump, which needs the columns of the partitioned tables they join), then the indexes,
// one statement each (they read whole tables). Last what tightens: NOT NULL, constraints,
// unique indexes, once the replica has applied everything the primary committed before
// (rows from before the primary tightened may not pass), NOT NULL where the rows allow it.
type replicaSync struct {
	enums     []string
	structure []string
	newTables []TableName
	last      []string
	notNull   []SchemaChange // SET NOT NULL, tried: replication may not have filled the rows yet
	tighten   []SchemaChange // constraints and unique indexes
	applied   SchemaChanges
	left      SchemaChanges
}

// planReplicaSync turns the differences the comparison found into statements.
func planReplicaSync(cmp *schemaComparison) *replicaSync {
	p := &replicaSync{}
	p.serialSequences(cmp)
	for _, c := range cmp.changes {
		if !c.Sync {
			p.left = append(p.left, c)
			continue
		}
		p.applied = append(p.applied, c)
		p.add(cmp, c)
	}
	return p
}

// add plans the statements of one difference schema sync applies.
func (p *replicaSync) add(cmp *schemaComparison, c SchemaChange) {
	t := c.obj
	switch c.Kind {
	case ChangeEnumMissing:
		p.enums = append(p.enums, createEnumSQL(t, cmp.source.enums[t]))
	case ChangeEnumValuesMissing:
		p.enums = append(p.enums, enumAdditionsSQL(t, cmp.source.enums[t].Labels, cmp.target.enums[t].Labels)...)
	case ChangeSequenceMissing:
		p.structure = append(p.structure, sequenceSQL(t, cmp.source.sequences[t]))
	case ChangeSequenceChanged:
		p.structure = append(p.structure, alterSequenceSQL(t, cmp.source.sequences[t]))
	case ChangeTableMissing:
		p.newTables = append(p.newTables, t)
	case ChangeColumnMissing:
		p.addColumn(cmp, t, c)
	case ChangeColumnDefault:
		col := cmp.source.tables[t].column(c.item)
		p.structure = append(p.structure, columnDefaultSQL(false, t, col.Name, col.Default))
	case ChangeColumnNullable:
		p.structure = append(p.structure, columnNotNullSQL(false, t, c.item, false))
	case ChangeColumnNotNull:
		p.notNull = append(p.notNull, c)
	case ChangeIndexMissing:
		if strings.HasPrefix(c.SourceDef, "CREATE UNIQUE") {
			p.tighten = append(p.tighten, c)
		} else {
			p.last = append(p.last, c.SourceDef)
		}
	case ChangeConstraintMissing:
		p.tighten = append(p.tighten, c)
	}
}

// addColumn adds a column as the primary has it, with its identity's sequence named as
// there; a NOT NULL without a default waits until replication has filled the rows.
func (p *replicaSync) addColumn(cmp *schemaComparison, t TableName, c SchemaChange) {
	col := *cmp.source.tables[t].column(c.item)
	var seq *sequenceDef
	if col.Sequence != nil {
		if names, err := ParseTableNames(*col.Sequence); err == nil {
			if q, ok := cmp.source.sequences[names[0]]; ok {
				seq = &q
			}
		}
	}
	p.structure = append(p.structure, addColumnSQL(t, col, seq))
	if needsNotNullLater(col) {
		p.notNull = append(p.notNull, c)
	}
}

// serialSequences creates, before the columns that draw from them, the sequences of serial
// columns the replica lacks along with their column, and ties each to its column after.
func (p *replicaSync) serialSequences(cmp *schemaComparison) {
	var owned []string
	for name, q := range cmp.source.sequences {
		o := q.Owner
		if _, has := cmp.target.sequences[name]; has || o == nil || o.Identity {
			continue
		}
		if tb := cmp.target.tables[o.table()]; tb != nil && tb.column(o.Column) == nil {
			p.structure = append(p.structure, sequenceSQL(name, q))
			owned = append(owned, sequenceOwnedSQL(name, *o))
		}
	}
	p.last = append(owned, p.last...)
}

// apply runs everything but the indexes and constraints (applyLast), which wait for the
// new tables to be published.
func (p *replicaSync) apply(ctx context.Context, r *runner, replica *server, m Migration, pgDump string) error {
	if err := runTransaction(ctx, r, replica, steps(p.enums)); err != nil {
		return err
	}
	if err := runTransaction(ctx, r, replica, steps(p.structure)); err != nil {
		return err
	}
	if len(p.newTables) > 0 {
		r.note(ctx, roleReplica, "importing %d table(s) created on the primary: %s", len(p.newTables), tableList(p.newTables))
		if err := importSchema(ctx, r, m, replica, pgDump, tableDumpOptions(p.newTables)); err != nil {
			return err
		}
		return r.prepare(ctx, replica) // pg_dump's script turned the session's timeouts off
	}
	return nil
}

// applyLast builds the indexes, then, once the replica has caught up (caughtUp), tightens;
// when it does not catch up in time, what tightens waits for a later run.
func (p *replicaSync) applyLast(ctx context.Context, r *runner, replica *server, caughtUp func() (bool, error)) error {
	for _, sql := range p.last {
		if err := r.exec(ctx, replica, sql, ""); err != nil {
			return err
		}
	}
	if len(p.notNull)+len(p.tighten) == 0 {
		return nil
	}
	if ok, err := caughtUp(); err != nil || !ok {
		if err == nil {
			r.warn(ctx, roleReplica, "the replica has not caught up with the primary: NOT NULL, constraints and unique indexes wait for the next schema sync")
		}
		return err
	}
	if err := p.setNotNull(ctx, r, replica); err != nil {
		return err
	}
	for _, c := range p.tighten {
		sql := c.SourceDef
		if c.Kind == ChangeConstraintMissing {
			sql = addConstraintSQL(c.obj, constraintDef{Name: c.item, Def: c.SourceDef})
		}
		if err := r.exec(ctx, replica, sql, ""); err != nil {
			return err
		}
	}
	return nil
}

// setNotNull adds each NOT NULL the replica's rows allow; the others wait, reported as
// remaining, until replication has filled the column (a backfill on the primary that the
// replica applies once the column exists).
func (p *replicaSync) setNotNull(ctx context.Context, r *runner, replica *server) error {
	if len(p.notNull) == 0 {
		return nil
	}
	return runTransactionWith(ctx, r, replica, func() error {
		for _, c := range p.notNull {
			ok, err := r.tryStatement(ctx, replica, columnNotNullSQL(false, c.obj, c.item, true), codeNotNullViolation)
			if err != nil {
				return err
			}
			if !ok {
				r.warn(ctx, roleReplica, "%s: NOT NULL left for later: rows on the replica are still NULL (replication fills them)", c.Object)
			}
		}
		return nil
	})
}

// codeNotNullViolation: a row holds NULL where NOT NULL is wanted.
const codeNotNullViolation = "23502"

func steps(sqls []string) []step {
	out := make([]step, len(sqls))
	for i, s := range sqls {
		out[i] = step{sql: s}
	}
	return out
}
