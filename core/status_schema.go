package core

import (
	"context"
	"fmt"
	"slices"
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
// differs (compareSchemas), and none when neither server's catalog changed since this
// process last compared them (schema_memo.go), for wait's polls and the bot's checks alike.
func (c *statusChecker) checkSchema(ctx context.Context, st *Status, pst primaryState) error {
	scope := migrationScope(c.opts.Migration, pst.meta)
	key := schemaMemoKey(c.opts.Migration, scope)
	prints, err := schemaFingerprints(ctx, c.primary, c.replica)
	if err != nil {
		return err
	}
	if schema, ok := comparedSchemas.get(key, prints); ok {
		st.Schema = schema
		return nil
	}
	cmp, err := compareSchemas(ctx, c.primary, c.replica, scope)
	if err != nil {
		return err
	}
	st.Schema = &SchemaStatus{Tables: cmp.tables, Changes: cmp.changes}
	if len(cmp.changes) == 0 {
		st.Schema.Changes = SchemaChanges{}
	}
	// Made after the fingerprints were read: a change in between makes the next check's
	// fingerprints differ, and that check compares again.
	comparedSchemas.put(key, prints, st.Schema)
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
	return s != nil && s.cause(false) >= 0
}

// cause is the index of the difference that stops the apply worker: one that stops it at
// the next change, or failing that, one that can (a stopped worker with a changed column
// type). -1 when none does.
func (s *SchemaStatus) cause(certainOnly bool) int {
	if i := slices.IndexFunc(s.Changes, func(c SchemaChange) bool { return c.Effect == EffectBreaks }); i >= 0 || certainOnly {
		return i
	}
	return slices.IndexFunc(s.Changes, func(c SchemaChange) bool { return c.Effect == EffectMayBreak })
}

// judgeSchema adds the differences to the verdict. When the apply worker has stopped, the
// difference that explains it comes first, as why; the others that stop replication or
// leave rows out are reasons too, and those that matter after cutover are warnings.
func judgeSchema(st *Status, broken func(string, ...any)) {
	if st.Schema == nil {
		return
	}
	sub := st.Subscription
	cause := -1
	switch {
	case sub == nil || !sub.Enabled:
	case !sub.WorkerRunning:
		cause = st.Schema.cause(false)
	case sub.ApplyErrors != nil && *sub.ApplyErrors > 0:
		// It restarts every few seconds after an error: a check can find it up in between.
		cause = st.Schema.cause(true)
	}
	if cause >= 0 {
		broken("the replica's apply worker has stopped%s: %s", errorCount(sub), st.Schema.Changes[cause].Text())
		// It is why, and first: a late sentinel, found while the worker was between two
		// restarts, is only what follows from it.
		last := len(st.Reasons) - 1
		st.Reasons = append([]string{st.Reasons[last]}, st.Reasons[:last]...)
	}
	listed := 0
	for i, c := range st.Schema.Changes {
		switch {
		case i == cause:
		case c.Blocks() && listed == maxSchemaReasons:
			broken("and more schema differences: run %s to see them all", PlainSpeller{}.Invocation(Run(CmdSchemaDiff)))
			listed++
		case c.Blocks() && listed < maxSchemaReasons:
			broken("%s", c.Text())
			listed++
		case !c.Blocks() && c.Effect != EffectNone:
			st.Warnings = append(st.Warnings, c.Text())
		}
	}
}

// errorCount says how many errors the apply worker had, where the server counts them.
func errorCount(sub *SubscriptionStatus) string {
	if sub == nil || sub.ApplyErrors == nil || *sub.ApplyErrors == 0 {
		return ""
	}
	return fmt.Sprintf(" (%d apply errors)", *sub.ApplyErrors)
}
