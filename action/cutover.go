package action

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/pghandoff/pghandoff/core"
)

// runCutover switches the proxy to the new primary during a bounded pause of the
// application's writes. A rollback (the replica did not catch up within max-pause) fails
// the step: traffic stayed on the old primary, and the outputs say so.
func runCutover(ctx context.Context, j *job) (*outcome, error) {
	return rendered(cutoverOutcome)(core.Cutover(ctx, core.CutoverOptions{SwitchOptions: core.SwitchOptions{Migration: j.p.m, MaxPause: j.p.maxPause, LockTimeout: j.p.pauseLockTimeout, Margin: j.p.margin, MaxLag: j.p.maxLag, Execution: j.execution()}, Failsafe: j.p.failsafe}))
}

// cutoverOutcome renders what Cutover did.
func cutoverOutcome(res *core.CutoverResult, err error) *outcome {
	out := &outcome{icon: iconOK, warnings: res.Warnings, report: res}
	switch {
	case res.DryRun:
		out.headline = fmt.Sprintf("dry run: the switch would lock %d foreign tables and run %d statements", res.Tables, len(res.Statements))
	case res.AlreadySwitched:
		out.headline = "the proxy already points at the new primary: nothing to do"
	case res.Switched:
		out.headline = fmt.Sprintf("switched: traffic goes to the new primary; writes were held %.0f ms", res.PauseMS)
	case errors.Is(err, core.ErrAborted):
		out.headline = "rolled back: traffic stays on the old primary, nothing lost (" + res.AbortReason + ")"
	default:
		out.headline = "not switched"
	}
	if res.Switched && !res.AlreadySwitched && !res.DryRun {
		out.notice = out.headline
	}
	out.set(outSwitched, boolText(res.Switched))
	if !res.DryRun && !res.AlreadySwitched {
		out.set(outPauseMS, strconv.FormatFloat(res.PauseMS, 'f', 0, 64))
	}
	out.set(outTables, strconv.Itoa(res.Tables))
	if !res.DryRun {
		out.fact("Pause", fmt.Sprintf("%.1f ms (locks %.1f ms, catch-up %.1f ms)", res.PauseMS, res.LockMS, res.CatchUpMS))
		out.fact("Lock attempts", strconv.Itoa(res.LockAttempts))
		out.fact("Statements that waited", strconv.Itoa(res.WaitedStatements))
	}
	out.fact("Foreign tables locked", strconv.Itoa(res.Tables))
	for _, l := range []struct{ name, lsn string }{{"Primary LSN at the locks", res.SourceLSN},
		{"Sentinel LSN", res.SentinelLSN}, {"Replica LSN at the switch", res.TargetLSN}} {
		if l.lsn != "" {
			out.fact(l.name, code(l.lsn))
		}
	}
	if res.AbortReason != "" {
		out.fact("Rolled back because", text(res.AbortReason))
	}
	out.fact("Sequences set", fmt.Sprintf("%d of %d", res.SequencesChanged, len(res.Sequences)))
	if f := res.Failsafe; f != nil {
		out.section("Failsafe: replication back to the old primary", failsafeTable(f))
	}
	out.section("Sequences", sequenceTable(res.Sequences, false))
	out.section("Statements", statements(res.Statements, res.DryRun))
	return out
}

func failsafeTable(f *core.FailsafeInfo) string {
	rows := [][]string{
		{"Publication (new primary)", code(f.Publication)},
		{"Slot (new primary)", code(f.Slot)},
		{"Subscription (old primary)", fmt.Sprintf("%s, subscribed %t", code(f.Subscription), f.Subscribed)},
		{"Forward subscription detached", boolText(f.ForwardDetached)},
	}
	if f.StartLSN != "" {
		rows = append(rows, []string{"Starts at", code(f.StartLSN)})
	}
	return table(rows[0], rows[1:])
}
