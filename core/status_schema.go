package core

import (
	"context"
	"fmt"
)

// Status's comparison of the replica's definitions with the primary's. Logical replication
// does not carry DDL: a column added on the primary stops the replica's apply worker at the
// next change to its table, and the worker retries and fails in a loop. The replica's log
// says why, but SQL cannot read it; the difference between the definitions is the reason,
// and what to do follows from it.

// maxSchemaReasons bounds how many differences a status lists as reasons; schema diff lists
// them all.
const maxSchemaReasons = 5

// checkSchema compares the definitions: one catalog query on each server when nothing
// differs (compareSchemas).
func (c *statusChecker) checkSchema(ctx context.Context, st *Status, pst primaryState) error {
	cmp, err := compareSchemas(ctx, c.primary, c.replica, migrationScope(c.opts.Migration, pst.meta))
	if err != nil {
		return err
	}
	st.Schema = &SchemaStatus{Tables: cmp.tables, Changes: cmp.changes}
	if st.Schema.Changes == nil {
		st.Schema.Changes = SchemaChanges{}
	}
	return nil
}

// lacks reports whether the comparison found t on the primary and not on the replica.
func (s *SchemaStatus) lacks(t TableName) bool {
	if s == nil {
		return false
	}
	for _, c := range s.Changes {
		if c.Kind == ChangeTableMissing && c.Table != nil && *c.Table == t {
			return true
		}
	}
	return false
}

// explainsStop reports whether a difference explains a stopped apply worker.
func (s *SchemaStatus) explainsStop() bool {
	if s == nil {
		return false
	}
	for _, c := range s.Changes {
		if c.Effect == EffectBreaks {
			return true
		}
	}
	return false
}

// judgeSchema adds the differences to the verdict: those that stop replication or leave rows
// out are reasons (the first of them, when the apply worker has stopped, is why), the
// others that matter are warnings.
func judgeSchema(st *Status, broken func(string, ...any)) {
	if st.Schema == nil {
		return
	}
	blocking := st.Schema.Changes.Blocking()
	for i, c := range blocking {
		switch {
		case i == maxSchemaReasons:
			broken("and %d more schema differences: run %s to see them all", len(blocking)-i, PlainSpeller{}.Invocation(Run(CmdSchemaDiff)))
			return
		case i == 0 && c.Effect == EffectBreaks && workerFailing(st.Subscription):
			broken("the replica's apply worker has stopped%s: %s", errorCount(st.Subscription), c.Text())
		default:
			broken("%s", c.Text())
		}
	}
	for _, c := range st.Schema.Changes {
		if !c.Blocks() && c.Effect != EffectNone {
			st.Warnings = append(st.Warnings, c.Text())
		}
	}
}

// workerFailing reports whether the apply worker is down or has failed: it restarts every
// few seconds after an error, so a check may find it up between two failures.
func workerFailing(sub *SubscriptionStatus) bool {
	return sub != nil && sub.Enabled && (!sub.WorkerRunning || (sub.ApplyErrors != nil && *sub.ApplyErrors > 0))
}

// errorCount says how many errors the apply worker had, where the server counts them.
func errorCount(sub *SubscriptionStatus) string {
	if sub == nil || sub.ApplyErrors == nil || *sub.ApplyErrors == 0 {
		return ""
	}
	return fmt.Sprintf(" (%d apply errors)", *sub.ApplyErrors)
}
