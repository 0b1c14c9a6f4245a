package action

import (
	"context"
	"fmt"
	"strconv"

	"github.com/pghandoff/pghandoff/core"
)

// runFence makes the application's roles read-only on the old primary (or, with undo, gives
// their writes back), for the switch without a proxy.
func runFence(ctx context.Context, j *job) (*outcome, error) {
	return rendered(fenceOutcome)(core.Fence(ctx, core.FenceOptions{Migration: j.p.m, Roles: j.p.roles, Undo: j.p.undo, Force: j.p.force,
		Execution: j.execution()}))
}

// fenceOutcome renders what Fence did.
func fenceOutcome(res *core.FenceResult, _ error) *outcome {
	changed := 0
	rows := make([][]string, 0, len(res.Roles))
	for _, r := range res.Roles {
		if r.Changed {
			changed++
		}
		prior := "none"
		if r.Prior != nil {
			prior = code(*r.Prior)
		}
		rows = append(rows, []string{code(r.Role), boolText(r.Changed), prior, strconv.Itoa(r.Terminated)})
	}
	out := &outcome{icon: iconOK, warnings: res.Warnings, report: res}
	switch {
	case res.DryRun:
		out.headline = fmt.Sprintf("dry run: %d statements", len(res.Statements))
	case res.Undo:
		out.headline = fmt.Sprintf("%d of %d roles can write again; %d sessions ended", changed, len(res.Roles), res.Terminated)
	default:
		out.headline = fmt.Sprintf("%d of %d roles fenced: read-only on the old primary; %d sessions ended", changed, len(res.Roles), res.Terminated)
	}
	out.set(outChanged, boolText(changed > 0 && !res.DryRun))
	out.fact("Database", code(res.Database))
	out.fact("Method", text(res.Method))
	out.section("Roles", table([]string{"Role", "Changed", "default_transaction_read_only before", "Sessions ended"}, rows))
	out.section("Statements", statements(res.Statements, res.DryRun))
	return out
}
