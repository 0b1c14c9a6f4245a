package action

import (
	"context"
	"fmt"
	"sort"

	"github.com/pghandoff/pghandoff/core"
)

var checkIcons = map[string]string{core.CheckPass: iconOK + " pass", core.CheckWarn: iconNotice + " warn", core.CheckFail: iconFailed + " fail"}

// runPreflight checks both servers, changing nothing. A failed check fails the step, each
// one an error annotation with its remedy, so that setup never starts on a blocker.
func runPreflight(ctx context.Context, j *job) (*outcome, error) {
	return rendered(preflightOutcome)(core.Preflight(ctx, core.PreflightOptions{Migration: j.p.m, Selection: j.selection(),
		RoleOptions: j.roleOptions(), IndexesFirst: j.p.indexesFirst, Jobs: j.p.jobs,
		CopyByWorkers: j.p.copyByWorkers, Observer: j.observer()}))
}

// preflightOutcome renders what Preflight did.
func preflightOutcome(res *core.PreflightResult, _ error) *outcome {
	out := &outcome{icon: iconOK, headline: "ready to set up", report: res}
	failed := res.Failed()
	if !res.OK {
		out.icon, out.fail = iconFailed, true
		out.headline = fmt.Sprintf("%d blockers to fix before setup", len(failed))
	}
	out.set(outPassed, boolText(res.OK))
	for _, v := range []struct{ name, version string }{{"Primary version", res.PrimaryVersion},
		{"Replica version", res.ReplicaVersion}, {"pg_dump version", res.PgDumpVersion}} {
		if v.version != "" {
			out.fact(v.name, text(v.version))
		}
	}
	checkSection(out, res.Checks)
	if len(res.Roles) > 0 {
		out.section("Roles", rolesTable(res.Roles))
	}
	return out
}

// checkSection adds the checks as a table, failures first, then warnings: what needs doing
// leads. Each failure is a problem of the outcome, each warning a warning, with its fix.
func checkSection(out *outcome, all []core.Check) {
	order := map[string]int{core.CheckFail: 0, core.CheckWarn: 1, core.CheckPass: 2}
	checks := append([]core.Check(nil), all...)
	sort.SliceStable(checks, func(a, b int) bool { return order[checks[a].Status] < order[checks[b].Status] })
	rows := make([][]string, 0, len(checks))
	for _, c := range checks {
		line := c.Name + ": " + c.Detail
		if !c.Remedy.IsZero() && c.Status != core.CheckPass {
			line += "\nFix: " + c.Remedy.Render(actionSpeller{})
		}
		switch c.Status {
		case core.CheckFail:
			out.problems = append(out.problems, line)
		case core.CheckWarn:
			out.warnings = append(out.warnings, line)
		}
		remedy := ""
		if c.Status != core.CheckPass {
			remedy = text(c.Remedy.Render(actionSpeller{}))
		}
		rows = append(rows, []string{text(c.Name), checkIcons[c.Status], text(c.Detail), remedy})
	}
	out.section("Checks", table([]string{"Check", "Result", "Detail", "Fix"}, rows))
}
