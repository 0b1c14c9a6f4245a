package bot

import (
	"fmt"
	"strings"

	"github.com/pghandoff/pghandoff/core"
)

// checkMarks mark each check of a result.
var checkMarks = map[string]string{core.CheckPass: ":white_check_mark:", core.CheckWarn: ":warning:", core.CheckFail: ":x:"}

// bouncerCreateOutcome reports proxy create with PgBouncer: every check, each failure with
// its fix in the bot's words, and the entry it wrote. A failed check fails the operation.
func bouncerCreateOutcome(r *run, res *core.ProxyCreateResult, err error) (*outcome, error) {
	key := r.req.cmd.Migration
	c := res.PgBouncer
	if c == nil {
		return nil, err
	}
	speller := botSpeller{migration: key}
	var b strings.Builder
	fmt.Fprintf(&b, "PgBouncer %s, entry `%s`:", c.Version, c.Entry)
	for _, ch := range c.Checks {
		fmt.Fprintf(&b, "\n%s *%s*: %s", checkMarks[ch.Status], ch.Name, ch.Detail)
		if ch.Status != core.CheckPass && !ch.Remedy.IsZero() {
			b.WriteString(" Fix: " + ch.Remedy.Render(speller))
		}
	}
	summary := "PgBouncer's entry points at the primary"
	switch {
	case res.DryRun:
		b.WriteString("\nDry run of proxy create: " + statementsText(res.Statements))
		summary = "dry run"
	case !c.OK:
		fmt.Fprintf(&b, "\nPgBouncer's entry of *%s* was not written: fix what failed, then run `proxy create %s` again.", key, key)
		summary = "a check failed"
	case res.Changed:
		fmt.Fprintf(&b, "\nPgBouncer's entry of *%s* points at the primary (%s): written and loaded. Then `cutover %s` when status is ready.", key, res.PointsAt, key)
	default:
		fmt.Fprintf(&b, "\nPgBouncer's entry of *%s* already points at the primary: nothing to do.", key)
	}
	writeWarnings(&b, append(res.Settled, res.Warnings...))
	out := textOutcome(summary, b.String())
	out.Failed = !c.OK
	return out, nil
}
