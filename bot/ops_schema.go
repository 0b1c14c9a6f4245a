package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode"

	"github.com/pghandoff/pghandoff/core"
)

// Schema changes while the move runs: schema diff, schema sync and ddl, and the schema's
// part of status and alerts.

// parseDDL reads `ddl <migration> [--dry-run] <SQL>`: the statement is the rest of the text
// as typed, not words.
func parseDDL(c command, text string) (command, []string, error) {
	_, rest := cutWord(text) // "ddl"
	migration, rest := cutWord(rest)
	if flag, after := cutWord(rest); flag == "--dry-run" {
		c.DryRun, rest = true, after
	}
	sql := slackSQL(rest)
	if migration == "" || sql == "" {
		return c, nil, errors.New("give the migration and the statement: " + specs["ddl"].usage)
	}
	return c, []string{migration, sql}, nil
}

func cutWord(s string) (string, string) {
	s = strings.TrimSpace(s)
	i := strings.IndexFunc(s, unicode.IsSpace)
	if i < 0 {
		return s, ""
	}
	return s[:i], strings.TrimSpace(s[i:])
}

// slackSQL undoes what Slack does to the text of a command: it escapes &, < and >, a client
// may turn quotes into typographic ones, and a person may have typed the statement as code.
var slackSQL = func() func(string) string {
	r := strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">", "‘", "'", "’", "'", "“", `"`, "”", `"`)
	return func(s string) string { return strings.TrimSpace(r.Replace(strings.Trim(strings.TrimSpace(s), "`"))) }
}()

func opSchemaDiff(ctx context.Context, r *run) (*outcome, error) {
	res, err := core.SchemaDiff(ctx, core.SchemaDiffOptions{Migration: r.mig.M, Observer: r.observer()})
	if err != nil {
		return nil, err
	}
	key := r.req.cmd.Migration
	if !res.Differs {
		return textOutcome("schemas agree", fmt.Sprintf(":white_check_mark: *%s*: the replica%s holds the primary's schema (%d tables compared).", key, proxyToo(res.ProxyChecked), res.Tables)), nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "*%s*: %d difference(s) between the primary's schema and the replica's%s (%d tables compared):", key, len(res.Changes), proxyToo(res.ProxyChecked), res.Tables)
	writeChanges(&b, res.Changes, key, true)
	out := textOutcome(fmt.Sprintf("%d schema differences", len(res.Changes)), b.String())
	out.Failed = true
	return out, nil
}

func proxyToo(checked bool) string {
	if checked {
		return " and the proxy"
	}
	return ""
}

// maxChanges bounds the differences a message lists; schema diff's JSON (CLI) has them all.
const maxChanges = 15

// writeChanges lists differences with, when todo, what to do about each in the migration's
// words, and the statements a decision needs.
func writeChanges(b *strings.Builder, changes core.SchemaChanges, key string, todo bool) {
	for i, c := range changes {
		if i == maxChanges {
			fmt.Fprintf(b, "\n… and %d more.", len(changes)-i)
			return
		}
		fmt.Fprintf(b, "\n• `%s` %s", c.Effect, c.Message)
		if !todo {
			continue
		}
		if h := c.Remedy.Render(botSpeller{migration: key}); h != "" {
			b.WriteString(" _Fix:_ " + h)
		}
		if len(c.Statements) > 0 {
			b.WriteString("\n```")
			for _, s := range c.Statements {
				fmt.Fprintf(b, "\n-- on the %s\n%s;", s.Server, s.SQL)
			}
			b.WriteString("\n```")
		}
	}
}

func opSchemaSync(ctx context.Context, r *run) (*outcome, error) {
	res, err := core.SchemaSync(ctx, core.SchemaSyncOptions{Migration: r.mig.M, PgDump: r.b.cfg.PgDump,
		ReplicaIdentityFull: r.mig.Cfg.Setup.ReplicaIdentityFull, Execution: r.execution()})
	if err != nil {
		return nil, err
	}
	key := r.req.cmd.Migration
	var b strings.Builder
	switch {
	case res.DryRun:
		fmt.Fprintf(&b, "Dry run of schema sync for *%s*: it would bring %d difference(s) in line. %s", key, len(res.Applied), statementsText(res.Statements))
	case len(res.Applied) == 0 && len(res.Remaining) == 0:
		fmt.Fprintf(&b, "*%s*: the replica holds the primary's schema: nothing to do.", key)
	default:
		fmt.Fprintf(&b, "*%s*: %d difference(s) brought in line; replication resumes by itself:", key, len(res.Applied))
		writeChanges(&b, res.Applied, key, false)
	}
	if len(res.Remaining) > 0 {
		fmt.Fprintf(&b, "\nStill different (%d):", len(res.Remaining))
		writeChanges(&b, res.Remaining, key, true)
	}
	writeWarnings(&b, res.Warnings)
	return textOutcome(fmt.Sprintf("%d applied, %d left", len(res.Applied), len(res.Remaining)), b.String()), nil
}

func (r *run) ddlOptions(dryRun bool) core.DDLOptions {
	exec := r.execution()
	exec.DryRun = dryRun
	return core.DDLOptions{Migration: r.mig.M, SQL: r.req.cmd.Args[0], Confirm: !dryRun, Execution: exec}
}

// opDDL runs the statement once its confirmation was clicked (or plans it, under --dry-run).
func opDDL(ctx context.Context, r *run) (*outcome, error) {
	res, err := core.DDL(ctx, r.ddlOptions(r.req.cmd.DryRun))
	if res == nil {
		return nil, err
	}
	var b strings.Builder
	b.WriteString(ddlText(r.req.cmd.Migration, res))
	if err != nil {
		fmt.Fprintf(&b, "\n:x: %s", errorText(r.req.cmd, err))
	}
	out := textOutcome(ddlSummary(res), b.String())
	out.Failed = err != nil
	return out, nil
}

// precheckDDL plans the statement for the confirmation: what it changes and in which order.
func precheckDDL(ctx context.Context, r *run) (*outcome, error) {
	if err := checkOperationLock(ctx, r.mig); err != nil {
		return nil, err
	}
	res, err := core.DDL(ctx, r.ddlOptions(true))
	if err != nil {
		return nil, err
	}
	return &outcome{Summary: ddlSummary(res)}, nil
}

func ddlSummary(res *core.DDLResult) string {
	what := make([]string, len(res.Changes))
	for i, c := range res.Changes {
		what[i] = "it " + c.Message
	}
	if len(what) == 0 {
		what = []string{"it changes nothing status compares"}
	}
	return truncate(strings.Join(what, "; ")+"; order: "+strings.Join(res.Order, " → "), 500)
}

func ddlText(key string, res *core.DDLResult) string {
	var b strings.Builder
	switch {
	case res.DryRun:
		fmt.Fprintf(&b, "Plan of ddl for *%s* (nothing ran): %s.", key, ddlSummary(res))
	case res.Complete:
		fmt.Fprintf(&b, ":white_check_mark: ddl on *%s* done on every server: %s.", key, ddlSummary(res))
	default:
		fmt.Fprintf(&b, ":warning: ddl on *%s* stopped: %s.", key, ddlSummary(res))
	}
	for i, s := range res.Steps {
		fmt.Fprintf(&b, "\n%d. *%s*: %s — %s", i+1, s.Server, s.State, s.What)
		if detail := s.Confirmed + s.Error; detail != "" {
			b.WriteString(" _(" + detail + ")_")
		}
	}
	writeWarnings(&b, res.Warnings)
	return b.String()
}

// schemaAlert is what to say when the replica's schema stops or starves replication: the
// gravest difference and the command that repairs it; "" when none does.
func schemaAlert(key string, st *core.Status) string {
	if st == nil || st.Schema == nil {
		return ""
	}
	blocking := st.Schema.Changes.Blocking()
	if len(blocking) == 0 {
		return ""
	}
	c := blocking[0]
	text := c.Message + ": " + c.Remedy.Render(botSpeller{migration: key})
	if len(blocking) > 1 {
		text += fmt.Sprintf(" (and %d more: %s)", len(blocking)-1, botSpeller{migration: key}.Invocation(core.Run(core.CmdSchemaDiff)))
	}
	return text
}

// schemaLine is status's line on the schema, when it differs.
func schemaLine(key string, s *core.SchemaStatus) string {
	if s == nil || len(s.Changes) == 0 {
		return ""
	}
	sp := botSpeller{migration: key}
	return fmt.Sprintf("• Schema: %d difference(s) with the primary's: %s lists them, %s applies what it can\n",
		len(s.Changes), sp.Invocation(core.Run(core.CmdSchemaDiff)), sp.Invocation(core.Run(core.CmdSchemaSync)))
}
