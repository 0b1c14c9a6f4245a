package action

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/pghandoff/pghandoff/core"
)

// runCutover switches the proxy to the new primary during a bounded pause of the
// application's writes. A pause that gives up (the replica did not catch up within
// max-pause) fails the step: traffic stayed on the old primary, and the outputs say so.
func runCutover(ctx context.Context, j *job) (*outcome, error) {
	return rendered(cutoverOutcome)(core.Cutover(ctx, core.CutoverOptions{SwitchOptions: j.switchOptions(), Failsafe: j.p.failsafe}))
}

// switchOptions are the options of cutover and rollback.
func (j *job) switchOptions() core.SwitchOptions {
	return core.SwitchOptions{Migration: j.p.m, MaxPause: j.p.maxPause, LockTimeout: j.p.pauseLockTimeout,
		Margin: j.p.margin, MaxLag: j.p.maxLag, Watchdog: j.watchdog, Execution: j.execution()}
}

// via names what traffic goes through, for the strategy a result names.
func via(strategy string) string {
	if strategy == core.StrategyPgBouncer {
		return "PgBouncer"
	}
	return "the proxy"
}

// holdWords says what a dry run's switch would hold traffic with.
func holdWords(p core.PauseReport) string {
	if p.Strategy == core.StrategyPgBouncer {
		return "pause PgBouncer"
	}
	return fmt.Sprintf("lock %d foreign tables", p.Tables)
}

// cutoverOutcome renders what Cutover did.
func cutoverOutcome(res *core.CutoverResult, err error) *outcome {
	out := &outcome{icon: iconOK, warnings: res.Warnings, report: res}
	switch {
	case res.DryRun:
		out.headline = fmt.Sprintf("dry run: the switch would %s and run %d statements", holdWords(res.PauseReport), len(res.Statements))
	case res.AlreadySwitched:
		out.headline = via(res.Strategy) + " already points at the new primary: nothing to do"
	case res.Switched:
		out.headline = fmt.Sprintf("switched: traffic goes to the new primary; writes were held %.0f ms", res.PauseMS)
	case errors.Is(err, core.ErrAborted):
		out.headline = "not switched: traffic stays on the old primary, nothing lost (" + res.AbortReason + ")"
	case res.OutcomeUnknown:
		out.headline = "outcome unknown: run cutover again to read where traffic goes and finish"
	default:
		out.headline = "not switched"
	}
	if res.Switched && !res.AlreadySwitched && !res.DryRun {
		out.notice = out.headline
	}
	pauseFacts(out, res.PauseReport, res.Switched, res.DryRun || res.AlreadySwitched, "Old primary", "New primary")
	if len(res.Refreshed) > 0 {
		out.fact("Materialized views populated", fmt.Sprintf("%d", len(res.Refreshed)))
	}
	if f := res.Failsafe; f != nil {
		out.section("Failsafe: replication back to the old primary", failsafeTable(f))
	}
	if len(res.Settled) > 0 {
		out.section("Put right from an earlier run", bullets(res.Settled))
	}
	out.section("Sequences", sequenceTable(res.Sequences, false))
	out.section("Statements", statements(res.Statements, res.DryRun))
	return out
}

// pauseFacts renders what a pause measured, for cutover and rollback: source and target
// name the servers traffic leaves and goes to.
func pauseFacts(out *outcome, p core.PauseReport, moved, noPause bool, source, target string) {
	out.set(outSwitched, boolText(moved))
	bouncer := p.Strategy == core.StrategyPgBouncer
	if !noPause {
		out.set(outPauseMS, strconv.FormatFloat(p.PauseMS, 'f', 0, 64))
		if bouncer {
			out.fact("Pause", fmt.Sprintf("%.1f ms (%s)", p.PauseMS, p.Split()))
			out.fact("Attempts", strconv.Itoa(p.LockAttempts))
			out.fact("Clients that waited", strconv.Itoa(p.WaitedStatements))
		} else {
			out.fact("Pause", fmt.Sprintf("%.1f ms (%s)", p.PauseMS, p.Split()))
			out.fact("Lock attempts", strconv.Itoa(p.LockAttempts))
			out.fact("Statements that waited", strconv.Itoa(p.WaitedStatements))
		}
	}
	out.set(outTables, strconv.Itoa(p.Tables))
	if !bouncer {
		out.fact("Foreign tables locked", strconv.Itoa(p.Tables))
	}
	for _, l := range []struct{ name, lsn string }{{source + " LSN at the hold", p.SourceLSN},
		{"Sentinel LSN", p.SentinelLSN}, {target + " LSN at the switch", p.TargetLSN}} {
		if l.lsn != "" {
			out.fact(l.name, code(l.lsn))
		}
	}
	if p.AbortReason != "" {
		out.fact("Gave up because", text(p.AbortReason))
	}
	if p.OutcomeUnknown {
		out.fact("Outcome", "unknown: the release's answer was lost and "+via(p.Strategy)+" could not be read; run the step again")
	}
	out.fact("Sequences set", fmt.Sprintf("%d of %d", p.SequencesChanged, len(p.Sequences)))
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
