package core

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

var (
	transactionControl = regexp.MustCompile(`(?i)^\s*(BEGIN|START\s+TRANSACTION|COMMIT|END|ROLLBACK|ABORT|SAVEPOINT|RELEASE|PREPARE\s+TRANSACTION)\b`)
	concurrently       = regexp.MustCompile(`(?i)^\s*(CREATE\s+(UNIQUE\s+)?INDEX|DROP\s+INDEX)\s+CONCURRENTLY\b`)
	concurrentlyWord   = regexp.MustCompile(`(?i)\s+CONCURRENTLY\b`)
)

// ddlOrder is the order of the servers a change is run on.
type ddlOrder int

const (
	orderReplicaFirst ddlOrder = iota // adds or relaxes
	orderPrimaryFirst                 // tightens
	orderProxyFirst                   // drops a column
)

func (o ddlOrder) servers() []string {
	return [][]string{{roleReplica, rolePrimary, roleProxy}, {rolePrimary, roleReplica, roleProxy}, {roleProxy, rolePrimary, roleReplica}}[o]
}

func (o ddlOrder) why() string {
	return []string{
		"it adds or relaxes: the replica must accept what the primary will send before the primary sends it; the proxy follows, for the application to use it",
		"it tightens (a constraint, a unique index, NOT NULL): the primary must refuse the rows the replica would refuse before the replica checks them; the proxy follows",
		"it drops a column: the proxy first (its INSERTs name every column of the foreign table), then the primary, then the replica, which fills the column of the rows it is sent no longer",
	}[o]
}

// orderOf is the order a change needs, and false when no order is safe without a decision.
func orderOf(c SchemaChange) (ddlOrder, bool) {
	switch c.Kind {
	case ChangeTableMissing, ChangeColumnMissing, ChangeEnumMissing, ChangeEnumValuesMissing, ChangeSequenceMissing,
		ChangeSequenceChanged, ChangeColumnDefault, ChangeColumnNullable, ChangeConstraintExtra, ChangeIndexExtra:
		return orderReplicaFirst, true
	case ChangeIndexMissing:
		if strings.HasPrefix(c.SourceDef, "CREATE UNIQUE") {
			return orderPrimaryFirst, true
		}
		return orderReplicaFirst, true
	case ChangeConstraintMissing, ChangeColumnNotNull:
		return orderPrimaryFirst, true
	case ChangeColumnExtra:
		return orderProxyFirst, true
	}
	return 0, false
}

// ddlVerbs say what a statement does, by the difference it makes: the trial compares the
// replica after it (the source) with the replica before (the target).
var ddlVerbs = map[ChangeKind]string{
	ChangeTableMissing: "creates table", ChangeTableExtra: "drops table", ChangeTableChanged: "changes the partition",
	ChangeColumnMissing: "adds column", ChangeColumnExtra: "drops column", ChangeColumnRenamed: "renames a column to",
	ChangeColumnType: "changes the type of column", ChangeColumnDefault: "changes the default of column",
	ChangeColumnNotNull: "sets NOT NULL on column", ChangeColumnNullable: "drops NOT NULL of column",
	ChangeColumnGenerated: "changes how it generates column", ChangeIndexMissing: "creates index", ChangeIndexExtra: "drops index",
	ChangeIndexChanged: "redefines index", ChangeConstraintMissing: "adds constraint", ChangeConstraintExtra: "drops constraint",
	ChangeConstraintChanged: "redefines constraint", ChangeEnumMissing: "creates enum type", ChangeEnumExtra: "drops enum type",
	ChangeEnumValuesMissing: "adds values to enum type", ChangeEnumValuesExtra: "drops values of enum type",
	ChangeSequenceMissing: "creates sequence", ChangeSequenceExtra: "drops sequence", ChangeSequenceChanged: "changes sequence",
}

// ddlPlan is what DDL will run where, in order.
type ddlPlan struct {
	changes SchemaChanges
	order   ddlOrder
	target  *schemaSnapshot // the replica's definitions after the statement, whole where it changes them
	steps   []*ddlStep
}

// ddlStep is a step of the plan: the statement on a server, or the proxy brought in line.
type ddlStep struct {
	server string
	sql    []string
	proxy  bool // bring the proxy's foreign tables in line with the primary (schema sync's part)
	done   bool
}

// planned tries the statement on the replica, orders the steps, and marks those done.
func (d *ddlRun) planned(ctx context.Context) (*ddlPlan, error) {
	plan, already, err := d.trial(ctx)
	if err != nil {
		return nil, err
	}
	if already {
		// The replica has the statement's effect from an earlier run: what differs from the
		// primary is it, or nothing when the primary has it too.
		if plan, err = d.resumed(ctx); err != nil {
			return nil, err
		}
	}
	if err := d.order(plan); err != nil {
		return nil, err
	}
	d.steps(plan)
	return plan, d.markDone(ctx, plan, already)
}

// order picks the order the changes need, refusing changes that need a decision and
// statements that mix orders.
func (d *ddlRun) order(plan *ddlPlan) error {
	var orders []ddlOrder
	for _, c := range plan.changes {
		o, ok := orderOf(c)
		if !ok {
			return refused(remedy("run the steps by hand in the order your application needs (status and ", CmdSchemaDiff, " show what differs at each step), or make the change in additive steps: add a new column, backfill it, switch the application, drop the old one"),
				"%q %s: no order of the servers is safe without a decision (a type change rewrites the table and may need USING; a rename or a dropped table breaks the application or replication in between)", d.statementText(), c.Message)
		}
		if !slices.Contains(orders, o) {
			orders = append(orders, o)
		}
	}
	if len(orders) > 1 {
		return refused(remedy("run them as separate ddl commands, one kind of change each"),
			"%q both adds and removes or tightens: the parts need different orders of the servers", d.statementText())
	}
	if len(orders) == 1 {
		plan.order = orders[0]
	}
	return nil
}

// steps lays the plan out in its order: the statement on the primary and the replica, and
// the proxy's part, which is the columns dropped for a drop and schema sync's for the rest.
func (d *ddlRun) steps(plan *ddlPlan) {
	for _, server := range plan.order.servers() {
		s := &ddlStep{server: server, sql: d.stmts}
		if server == roleProxy {
			s.sql, s.proxy = nil, plan.order != orderProxyFirst
			for _, c := range plan.changes {
				if c.Kind == ChangeColumnExtra {
					s.sql = append(s.sql, dropColumnSQL(true, c.obj, c.item))
				}
			}
		}
		plan.steps = append(plan.steps, s)
	}
}

// describe rewords the trial's differences as what the statement does.
func describe(changes SchemaChanges) SchemaChanges {
	for i := range changes {
		c := &changes[i]
		c.Source, c.Target = "statement", roleReplica
		c.Message = fmt.Sprintf("%s %s", ddlVerbs[c.Kind], c.Object)
		c.Remedy, c.Statements, c.Sync = Remedy{}, nil, false
	}
	return changes
}
