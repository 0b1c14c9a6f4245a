package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pghandoff/pghandoff/core"
)

// The core's proxy, cutover, sequences and fence operations (issue 3).

func opProxyCreate(ctx context.Context, r *run) (*outcome, error) {
	res, err := core.ProxyCreate(ctx, core.ProxyCreateOptions{Migration: r.mig.M, MapRoles: r.mig.Cfg.Cutover.MapRoles,
		Execution: r.execution()})
	if res != nil && res.Strategy == core.StrategyPgBouncer {
		return bouncerCreateOutcome(r, res, err)
	}
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	switch {
	case res.DryRun:
		b.WriteString("Dry run of proxy create: " + statementsText(res.Statements))
	case !res.Changed:
		fmt.Fprintf(&b, "The proxy of *%s* is already in place: %d tables through %s.", r.req.cmd.Migration, len(res.Tables), res.PointsAt)
	default:
		fmt.Fprintf(&b, "The proxy of *%s* is ready: %d tables, %d views, %d sequences, pointing at %s. Point the application at the proxy, then `cutover %s`.",
			r.req.cmd.Migration, len(res.Tables), len(res.Views), len(res.Sequences), res.PointsAt, r.req.cmd.Migration)
	}
	writeWarnings(&b, res.Warnings)
	return textOutcome(fmt.Sprintf("%d tables through the proxy", len(res.Tables)), b.String()), nil
}

func opProxyRemove(ctx context.Context, r *run) (*outcome, error) {
	res, err := core.ProxyRemove(ctx, core.ProxyRemoveOptions{Migration: r.mig.M, Execution: r.execution()})
	if err != nil {
		return nil, err
	}
	from := "the proxy of *" + r.req.cmd.Migration + "*"
	if r.mig.M.PgBouncer.Admin.IsZero() {
		return removalOutcome("proxy remove", from, res.DryRun, res.Removed, res.Warnings, res.Statements), nil
	}
	out := removalOutcome("proxy remove", "*"+r.req.cmd.Migration+"*", res.DryRun, res.Removed, append(res.Settled, res.Warnings...), res.Statements)
	text := out.Body.Text
	for _, k := range res.Kept {
		text += "\n:pushpin: Kept: " + k
	}
	out.Body = message{Text: text, Blocks: sectionBlocks(text)}
	return out, nil
}

func opCutover(ctx context.Context, r *run) (*outcome, error) {
	res, err := core.Cutover(ctx, core.CutoverOptions{SwitchOptions: r.switchOptions(), Failsafe: r.mig.Cfg.Cutover.Failsafe})
	r.b.recordCutover(ctx, r, res)
	if err != nil && (res == nil || res.AbortReason == "") {
		return nil, err
	}
	var b strings.Builder
	switch {
	case res.DryRun:
		b.WriteString("Dry run of cutover: " + statementsText(res.Statements))
		return textOutcome("dry run", b.String()), nil
	case res.AlreadySwitched:
		fmt.Fprintf(&b, "%s of *%s* already points at the new primary: nothing to do.", capitalized(via(res.Strategy)), r.req.cmd.Migration)
		return textOutcome("already switched", b.String()), nil
	case !res.Switched:
		fmt.Fprintf(&b, ":leftwards_arrow_with_hook: Cutover of *%s* gave up after a %s pause: %s. Traffic stays on the old primary; nothing was lost.",
			r.req.cmd.Migration, ms(res.PauseMS), res.AbortReason)
		out := textOutcome("not switched: "+res.AbortReason, b.String())
		out.Failed = true
		return out, nil
	}
	fmt.Fprintf(&b, ":tada: *%s* switched: %s now points at the new primary.\n• Pause: %s\n• Sequences set: %d\n• LSNs: primary %s, sentinel %s, replica %s",
		r.req.cmd.Migration, via(res.Strategy), pauseText(res.PauseReport), res.SequencesChanged, res.SourceLSN, res.SentinelLSN, res.TargetLSN)
	switch f := res.Failsafe; {
	case f == nil:
	case f.Subscribed:
		fmt.Fprintf(&b, "\n• Failsafe: the old primary replicates the new one's changes from %s.", f.StartLSN)
	default:
		b.WriteString("\n• :warning: Failsafe NOT running yet: run the cutover again to finish it.")
	}
	writeWarnings(&b, res.Warnings)
	return textOutcome("switched, pause "+ms(res.PauseMS), b.String()), nil
}

func ms(v float64) string { return humanDuration(time.Duration(v * float64(time.Millisecond))) }

// via names what traffic goes through, for the strategy a result names.
func via(strategy string) string {
	if strategy == core.StrategyPgBouncer {
		return "PgBouncer"
	}
	return "the proxy"
}

func capitalized(s string) string { return strings.ToUpper(s[:1]) + s[1:] }

// pauseText says what a pause measured: "85ms (locks 20.0 ms, sentinel 14.0 ms (catch-up 12.0 ms), sequences 3.0 ms, switch 2.0 ms), 4 statements waited, 3 tables".
func pauseText(p core.PauseReport) string {
	if p.Strategy == core.StrategyPgBouncer {
		return fmt.Sprintf("%s (%s), %d clients waited", ms(p.PauseMS), p.Split(), p.WaitedStatements)
	}
	return fmt.Sprintf("%s (%s), %d statements waited, %d tables", ms(p.PauseMS), p.Split(), p.WaitedStatements, p.Tables)
}

func opSequences(ctx context.Context, r *run) (*outcome, error) {
	res, err := core.Sequences(ctx, core.SequencesOptions{Migration: r.mig.M, Execution: r.execution()})
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	verb := "moved"
	if res.DryRun {
		verb = "would move"
	}
	fmt.Fprintf(&b, "Sequences of *%s*: %d of %d %s ahead of the primary (%d seconds of use).", r.req.cmd.Migration, res.Changed, len(res.Sequences), verb, res.SkipSeconds)
	if len(res.Missing) > 0 {
		fmt.Fprintf(&b, "\n:warning: %d sequences are missing on the replica.", len(res.Missing))
	}
	writeWarnings(&b, res.Warnings)
	return textOutcome(fmt.Sprintf("%d sequences %s", res.Changed, verb), b.String()), nil
}

func opFence(ctx context.Context, r *run) (*outcome, error) {
	res, err := core.Fence(ctx, core.FenceOptions{Migration: r.mig.M, Roles: r.mig.Cfg.Cutover.FenceRoles, Undo: r.req.cmd.Undo, Force: r.req.cmd.Force,
		Execution: r.execution()})
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	if res.DryRun {
		b.WriteString("Dry run of fence: " + statementsText(res.Statements))
	}
	for _, role := range res.Roles {
		state := "fenced"
		if res.Undo {
			state = "unfenced"
		}
		if !role.Changed {
			state = "already " + state
		}
		fmt.Fprintf(&b, "\n• %s: %s, %d sessions ended", role.Role, state, role.Terminated)
	}
	writeWarnings(&b, res.Warnings)
	return textOutcome(fmt.Sprintf("%d roles, %d sessions ended", len(res.Roles), res.Terminated), strings.TrimSpace(b.String())), nil
}

// precheckFence: fence needs the application's roles, and no other operation running.
func precheckFence(ctx context.Context, r *run) (*outcome, error) {
	if len(r.mig.Cfg.Cutover.FenceRoles) == 0 {
		return nil, errors.New("no application roles to fence: list them under cutover.fence_roles of this migration in the bot's config")
	}
	if err := checkOperationLock(ctx, r.mig); err != nil {
		return nil, err
	}
	return &outcome{Summary: "roles " + strings.Join(r.mig.Cfg.Cutover.FenceRoles, ", ")}, nil
}

// removalOutcome reports what a removing command (teardown, proxy remove) removed from what.
func removalOutcome(command, from string, dryRun bool, removed, warnings []string, stmts []core.Statement) *outcome {
	var b strings.Builder
	switch {
	case dryRun:
		b.WriteString("Dry run of " + command + ": " + statementsText(stmts))
	case len(removed) == 0:
		fmt.Fprintf(&b, "Nothing of %s was left to remove.", from)
	default:
		fmt.Fprintf(&b, "Removed from %s: %s.", from, strings.Join(removed, ", "))
	}
	writeWarnings(&b, warnings)
	return textOutcome(fmt.Sprintf("%d objects removed", len(removed)), b.String())
}

func writeWarnings(b *strings.Builder, warnings []string) {
	for _, w := range warnings {
		b.WriteString("\n:warning: " + w)
	}
}
