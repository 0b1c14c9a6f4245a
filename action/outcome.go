package action

import (
	"fmt"
	"strings"

	"github.com/pghandoff/pghandoff/core"
)

// outcome is a command's result rendered for a workflow.
type outcome struct {
	icon     string     // the verdict at a glance
	headline string     // the verdict in words, plain text
	facts    [][]string // rows of the key facts table: name, Markdown value
	sections []string   // Markdown, after the facts
	warnings []string   // plain text: annotations and a summary list
	problems []string   // plain text: error annotations, for a verdict that fails the step
	fail     bool       // the verdict fails the step although the operation ran
	notice   string     // plain text: a notice annotation, for news worth the run's page
	outputs  []output
	report   any // the core result, the report output
}

type output struct{ name, value string }

// Verdict icons.
const (
	iconOK      = "✅"
	iconWaiting = "⏳"
	iconFailed  = "❌"
	iconNotice  = "⚠️"
)

// Outputs, as action.yml declares them (a test holds the two together).
const (
	outReady      = "ready"
	outState      = "state"
	outLagBytes   = "lag-bytes"
	outLagSeconds = "lag-seconds"
	outPauseMS    = "pause-ms"
	outSwitched   = "switched"
	outChanged    = "changed"
	outTables     = "tables"
	outMismatches = "mismatches"
	outPassed     = "passed"
	outDiffers    = "differences"
	outReport     = "report"
	outError      = "error"
)

var allOutputs = []string{outReady, outState, outLagBytes, outLagSeconds, outPauseMS, outSwitched,
	outChanged, outTables, outMismatches, outPassed, outDiffers, outReport, outError}

func (o *outcome) fact(name, markdown string) {
	o.facts = append(o.facts, []string{text(name), markdown})
}
func (o *outcome) set(name, value string) { o.outputs = append(o.outputs, output{name, value}) }
func (o *outcome) section(title, markdown string) {
	if markdown != "" {
		o.sections = append(o.sections, "#### "+text(title)+"\n\n"+markdown)
	}
}

// summary is the step summary: the verdict first, then the error and its remedy, then the
// key facts, then the command's tables.
func (j *job) summary(cmd *command, out *outcome, err error) string {
	var b strings.Builder
	fmt.Fprintf(&b, "### %s pghandoff %s: %s\n\n", out.icon, cmd.name, text(out.headline))
	if err != nil {
		fmt.Fprintf(&b, "> **Error:** %s\n", text(err.Error()))
		if h := hint(err); h != "" {
			fmt.Fprintf(&b, ">\n> **Try:** %s\n", text(h))
		}
		b.WriteString("\n")
	}
	var facts [][]string
	for _, r := range []struct {
		name string
		dsn  core.DSN
	}{{"Primary", j.p.m.Primary}, {"Replica", j.p.m.Replica}, {"Proxy", j.p.m.Proxy}} {
		if !r.dsn.IsZero() {
			facts = append(facts, []string{r.name, code(r.dsn.String())})
		}
	}
	if j.p.dryRun {
		facts = append(facts, []string{"Dry run", "yes: nothing was changed"})
	}
	// The migration's name heads the facts table: GitHub renders an empty header as a bar.
	b.WriteString(table([]string{"Migration", code(j.migrationName())}, append(facts, out.facts...)))
	if len(out.warnings) > 0 {
		b.WriteString("\n#### Warnings\n\n" + bullets(out.warnings))
	}
	for _, s := range out.sections {
		b.WriteString("\n" + s + "\n")
	}
	b.WriteString(versionFooter())
	return b.String()
}

// statements lists what an operation ran, or under dry-run would run, folded away.
func statements(stmts []core.Statement, dryRun bool) string {
	if len(stmts) == 0 {
		return ""
	}
	var sql strings.Builder
	for _, s := range stmts {
		fmt.Fprintf(&sql, "-- on the %s\n%s;\n\n", s.Server, strings.TrimRight(strings.TrimSpace(s.SQL), ";"))
	}
	title := fmt.Sprintf("%d statements run", len(stmts))
	if dryRun {
		title = fmt.Sprintf("%d statements it would run (dry run: none was run)", len(stmts))
	}
	return details(title, codeBlock("sql", sql.String()))
}

func boolText(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func tableNames(names []core.TableName) string {
	parts := make([]string, 0, len(names))
	for i, n := range names {
		if i == maxRows {
			parts = append(parts, fmt.Sprintf("… and %d more", len(names)-i))
			break
		}
		parts = append(parts, code(n.String()))
	}
	return strings.Join(parts, ", ")
}

// rendered renders the result of a core call when there is one:
// rendered(cutoverOutcome)(core.Cutover(ctx, opts)). An operation that returned no result
// failed before it did anything, and its error says why.
func rendered[R any](render func(*R, error) *outcome) func(*R, error) (*outcome, error) {
	return func(res *R, err error) (*outcome, error) {
		if res == nil {
			return nil, err
		}
		return render(res, err), err
	}
}
