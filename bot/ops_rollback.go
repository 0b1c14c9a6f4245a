package bot

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/pghandoff/pghandoff/core"
)

// switchOptions are what the migration's config says of a switch of traffic, for cutover
// and rollback alike.
func (r *run) switchOptions() core.SwitchOptions {
	cc := r.mig.Cfg.Cutover
	return core.SwitchOptions{Migration: r.mig.M, MaxPause: time.Duration(cc.MaxPause), Margin: cc.Margin,
		MaxLag: r.mig.Cfg.MaxLagBytes, Watchdog: r.b.watchdog, Execution: r.execution()}
}

// opRollback switches traffic back to the old primary after a failsafe cutover.
func opRollback(ctx context.Context, r *run) (*outcome, error) {
	res, err := core.Rollback(ctx, core.RollbackOptions{SwitchOptions: r.switchOptions()})
	if err != nil && (res == nil || res.AbortReason == "") {
		return nil, err
	}
	key := r.req.cmd.Migration
	var b strings.Builder
	switch {
	case res.DryRun:
		b.WriteString("Dry run of rollback: " + statementsText(res.Statements))
		return textOutcome("dry run", b.String()), nil
	case res.AlreadyRolledBack:
		fmt.Fprintf(&b, "%s of *%s* already points at the old primary: nothing to roll back.", capitalized(via(res.Strategy)), key)
		return textOutcome("already rolled back", b.String()), nil
	case !res.RolledBack:
		fmt.Fprintf(&b, ":leftwards_arrow_with_hook: Rollback of *%s* gave up after a %s pause: %s. Traffic stays on the new primary; nothing was lost.",
			key, ms(res.PauseMS), res.AbortReason)
		out := textOutcome("not rolled back: "+res.AbortReason, b.String())
		out.Failed = true
		return out, nil
	}
	fmt.Fprintf(&b, ":rewind: *%s* rolled back: %s points at the old primary again, and replication into the new one resumed from the switch.\n• Pause: %s\n• Sequences set on the old primary: %d",
		key, via(res.Strategy), pauseText(res.PauseReport), res.SequencesChanged)
	writeWarnings(&b, res.Warnings)
	return textOutcome("rolled back, pause "+ms(res.PauseMS), b.String()), nil
}
