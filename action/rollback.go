package action

import (
	"context"
	"errors"
	"fmt"

	"github.com/pghandoff/pghandoff/core"
)

// runRollback switches the proxy back to the old primary after a cutover with the failsafe,
// with the same bounded pause. A pause that gives up fails the step: traffic stayed on the
// new primary.
func runRollback(ctx context.Context, j *job) (*outcome, error) {
	return rendered(rollbackOutcome)(core.Rollback(ctx, core.RollbackOptions{SwitchOptions: j.switchOptions()}))
}

// rollbackOutcome renders what Rollback did.
func rollbackOutcome(res *core.RollbackResult, err error) *outcome {
	out := &outcome{icon: iconOK, warnings: res.Warnings, report: res}
	switch {
	case res.DryRun:
		out.headline = fmt.Sprintf("dry run: the switch back would %s and run %d statements", holdWords(res.PauseReport), len(res.Statements))
	case res.AlreadyRolledBack:
		out.headline = via(res.Strategy) + " already points at the old primary: nothing to roll back"
	case res.RolledBack:
		out.headline = fmt.Sprintf("rolled back: traffic goes to the old primary again; writes were held %.0f ms", res.PauseMS)
		out.notice = out.headline
	case errors.Is(err, core.ErrAborted):
		out.headline = "not rolled back: traffic stays on the new primary, nothing lost (" + res.AbortReason + ")"
	case res.OutcomeUnknown:
		out.headline = "outcome unknown: run rollback again to read where traffic goes and finish"
	default:
		out.headline = "not rolled back"
	}
	pauseFacts(out, res.PauseReport, res.RolledBack, res.DryRun || res.AlreadyRolledBack, "New primary", "Old primary")
	if len(res.Settled) > 0 {
		out.section("Put right from an earlier run", bullets(res.Settled))
	}
	out.section("Sequences", sequenceTable(res.Sequences, false))
	out.section("Statements", statements(res.Statements, res.DryRun))
	return out
}
