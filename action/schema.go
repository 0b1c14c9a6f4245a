package action

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/pghandoff/pghandoff/core"
)

// runSchemaDiff compares the schemas; any difference fails the step, as verify's do.
func runSchemaDiff(ctx context.Context, j *job) (*outcome, error) {
	return rendered(schemaDiffOutcome)(core.SchemaDiff(ctx, core.SchemaDiffOptions{Migration: j.p.m, Observer: j.observer()}))
}

func schemaDiffOutcome(res *core.SchemaDiffResult, _ error) *outcome {
	out := &outcome{icon: iconOK, report: res, headline: fmt.Sprintf("the schemas agree: %d tables compared", res.Tables)}
	if res.Differs {
		out.icon, out.fail = iconFailed, true
		out.headline = fmt.Sprintf("%d schema differences (%d tables compared)", len(res.Changes), res.Tables)
		for _, c := range res.Changes.Blocking() {
			out.problems = append(out.problems, c.Message+": "+c.Remedy.Render(actionSpeller{}))
		}
	}
	out.set(outDiffers, strconv.Itoa(len(res.Changes)))
	out.set(outTables, strconv.Itoa(res.Tables))
	out.fact("Proxy compared", strconv.FormatBool(res.ProxyChecked))
	out.section("Differences, gravest first", schemaChanges(res.Changes, true))
	return out
}

// runSchemaSync brings the replica, then the proxy, in line with the primary's schema.
func runSchemaSync(ctx context.Context, j *job) (*outcome, error) {
	return rendered(schemaSyncOutcome)(core.SchemaSync(ctx, core.SchemaSyncOptions{Migration: j.p.m,
		ReplicaIdentityFull: j.p.replicaIdentityFull, Execution: j.execution()}))
}

func schemaSyncOutcome(res *core.SchemaSyncResult, _ error) *outcome {
	out := &outcome{icon: iconOK, warnings: res.Warnings, report: res}
	switch {
	case res.DryRun:
		out.headline = fmt.Sprintf("dry run: %d statements would bring %d differences in line", len(res.Statements), len(res.Applied))
	case len(res.Applied) == 0 && len(res.Remaining) == 0:
		out.headline = "the replica holds the primary's schema: nothing to do"
	default:
		out.headline = fmt.Sprintf("%d differences brought in line; replication resumes by itself", len(res.Applied))
	}
	if len(res.Remaining) > 0 {
		out.icon = iconNotice
		out.headline += fmt.Sprintf("; %d left, which need a decision or a second run", len(res.Remaining))
	}
	out.set(outChanged, boolText(res.Changed))
	out.set(outDiffers, strconv.Itoa(len(res.Remaining)))
	out.section("Brought in line", schemaChanges(res.Applied, false))
	out.section("Left", schemaChanges(res.Remaining, true))
	out.section("Statements", statements(res.Statements, res.DryRun))
	return out
}

// runDDL runs a schema change in the order it needs; without `yes: true` it shows the plan
// and fails the step, having run nothing.
func runDDL(ctx context.Context, j *job) (*outcome, error) {
	return rendered(ddlOutcome)(core.DDL(ctx, core.DDLOptions{Migration: j.p.m, SQL: j.p.sql, Confirm: j.p.yes, Execution: j.execution()}))
}

func ddlOutcome(res *core.DDLResult, err error) *outcome {
	out := &outcome{icon: iconOK, warnings: res.Warnings, report: res, headline: "done on " + strings.Join(res.Order, ", then ")}
	switch {
	case res.Planned:
		out.headline = "plan only: nothing ran (yes: true runs it)"
	case res.DryRun:
		out.headline = "dry run: nothing was changed"
	case err != nil:
		out.headline = "stopped: see each server's state below"
	}
	out.set(outChanged, boolText(res.Complete || len(res.Statements) > 0 && !res.DryRun && !res.Planned))
	out.fact("Statement", code(abbreviateSQL(res.SQL)))
	if len(res.Order) > 0 {
		out.fact("Order", text(strings.Join(res.Order, " → ")+": "+res.Why))
	}
	changes := make([]string, len(res.Changes))
	for i, c := range res.Changes {
		changes[i] = "it " + c.Message
	}
	out.section("What it changes", bullets(changes))
	rows := make([][]string, len(res.Steps))
	for i, s := range res.Steps {
		rows[i] = []string{strconv.Itoa(i + 1), text(s.Server), code(string(s.State)), text(s.What), text(s.Confirmed + s.Error)}
	}
	out.section("Steps", table([]string{"#", "Server", "State", "Step", "Confirmed / error"}, rows))
	out.section("Statements", statements(res.Statements, res.DryRun || res.Planned))
	return out
}

func abbreviateSQL(sql string) string {
	sql = strings.Join(strings.Fields(sql), " ")
	if len(sql) > 200 {
		return sql[:200] + " …"
	}
	return sql
}

// schemaChanges is a table of schema differences, with what to do about each (todo).
func schemaChanges(changes core.SchemaChanges, todo bool) string {
	if len(changes) == 0 {
		return ""
	}
	rows := make([][]string, 0, len(changes))
	for _, c := range changes {
		what := ""
		if todo {
			what = text(c.Remedy.Render(actionSpeller{}))
			for _, s := range c.Statements {
				what += "<br>on the " + text(s.Server) + ": " + code(s.SQL)
			}
		}
		rows = append(rows, []string{code(string(c.Effect)), text(c.Message), what})
	}
	return table([]string{"Effect", "Difference", "What to do"}, rows)
}
