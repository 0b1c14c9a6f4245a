package bot

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/pghandoff/pghandoff/core"
)

// opReport sets, turns off, or runs now the report schedule of a migration in this channel.
func opReport(ctx context.Context, r *run) (*outcome, error) {
	c, b := r.req.cmd, r.b
	arg := strings.Join(c.Args, " ")
	switch arg {
	case "":
		return nil, fmt.Errorf("say when: %s", specs["report"].usage)
	case "now":
		text, err := b.reportText(ctx, c.Migration)
		if err != nil {
			return nil, err
		}
		return &outcome{Summary: "report posted", Body: message{Text: text, Blocks: sectionBlocks(text)}, InChannel: true}, nil
	case "off":
		err := b.store.scheduleSet(ctx, schedule{Migration: c.Migration, Channel: r.req.channel, Timezone: b.cfg.Timezone,
			UpdatedBy: r.req.user, UpdatedAt: b.clock.Now()})
		if err != nil {
			return nil, err
		}
		b.sched.sync(ctx)
		return stateChange("reports off", fmt.Sprintf(":no_bell: <@%s> turned off the reports on *%s* in this channel.", r.req.user, c.Migration)), nil
	}
	loc, _ := b.cfg.location("")
	s, err := parseSchedule(arg, loc)
	if err != nil {
		return nil, err
	}
	if min := b.cfg.Reports.MinInterval.D(defaultReportMinInterval); shortestInterval(s, b.clock.Now()) < min {
		return nil, fmt.Errorf("%q fires more often than every %s, which would flood the channel", arg, min)
	}
	err = b.store.scheduleSet(ctx, schedule{Migration: c.Migration, Channel: r.req.channel, Spec: arg, Timezone: loc.String(),
		UpdatedBy: r.req.user, UpdatedAt: b.clock.Now()})
	if err != nil {
		return nil, err
	}
	b.sched.sync(ctx)
	next := s.Next(b.clock.Now())
	return stateChange("reports "+arg, fmt.Sprintf(":calendar: <@%s> scheduled reports on *%s* in this channel: `%s` (%s); the next at %s.",
		r.req.user, c.Migration, arg, loc, slackTime(next))), nil
}

func stateChange(summary, text string) *outcome {
	return &outcome{Summary: summary, Body: message{Text: text, Blocks: sectionBlocks(text)}, InChannel: true}
}

// opLock reserves a migration for the requester: `lock orders 2h migrating tonight`.
func opLock(ctx context.Context, r *run) (*outcome, error) {
	c, b := r.req.cmd, r.b
	ttl, reason := b.cfg.LockTTL.D(defaultLockTTL), c.Args
	if len(reason) > 0 {
		if d, err := time.ParseDuration(reason[0]); err == nil && d > 0 {
			ttl, reason = d, reason[1:]
		}
	}
	now := b.clock.Now()
	l := chatLock{Migration: c.Migration, Holder: r.req.user, TeamID: r.req.team, Reason: truncate(strings.Join(reason, " "), 200),
		Since: now, ExpiresAt: now.Add(ttl)}
	ok, err := b.store.lockTake(ctx, l)
	if err != nil {
		return nil, err
	}
	if !ok {
		held, err := b.store.lockGet(ctx, c.Migration, now)
		if err != nil || held == nil {
			return nil, fmt.Errorf("the lock changed hands while taking it: try again")
		}
		return nil, fmt.Errorf("%s is locked by <@%s> since %s (%s), until %s", c.Migration, held.Holder, slackTime(held.Since), orNone(held.Reason), slackTime(held.ExpiresAt))
	}
	return stateChange("locked for "+ttl.String(), fmt.Sprintf(":lock: <@%s> locked *%s* until %s: %s. Others' changing commands are refused until `unlock %s`.",
		r.req.user, c.Migration, slackTime(l.ExpiresAt), orNone(l.Reason), c.Migration)), nil
}

func opUnlock(ctx context.Context, r *run) (*outcome, error) {
	c, b := r.req.cmd, r.b
	held, err := b.store.lockGet(ctx, c.Migration, b.clock.Now())
	if err != nil {
		return nil, err
	}
	if held == nil {
		return &outcome{Summary: "not locked", Body: message{Text: fmt.Sprintf("*%s* is not locked.", c.Migration)}}, nil
	}
	holder := r.req.user
	if c.Force {
		holder = ""
	} else if held.Holder != r.req.user {
		return nil, fmt.Errorf("%s is locked by <@%s>, not you: ask them, or use `unlock %s --force` (destroy class; audited)", c.Migration, held.Holder, c.Migration)
	}
	if _, err := b.store.lockRelease(ctx, c.Migration, holder); err != nil {
		return nil, err
	}
	text := fmt.Sprintf(":unlock: <@%s> unlocked *%s*.", r.req.user, c.Migration)
	if c.Force && held.Holder != r.req.user {
		text = fmt.Sprintf(":unlock: <@%s> forced open the lock <@%s> held on *%s* since %s.", r.req.user, held.Holder, c.Migration, slackTime(held.Since))
	}
	return stateChange("unlocked (held by "+held.Holder+")", text), nil
}

// opWho shows both locks: the Slack reservation and the core's operation lock, which the CLI,
// the Action and the bot take while an operation runs.
func opWho(ctx context.Context, r *run) (*outcome, error) {
	keys := r.b.cfg.MigrationKeys()
	if r.req.cmd.Migration != "" {
		keys = []string{r.req.cmd.Migration}
	}
	var b strings.Builder
	for _, key := range keys {
		fmt.Fprintf(&b, "*%s*\n", key)
		l, err := r.b.store.lockGet(ctx, key, r.b.clock.Now())
		switch {
		case err != nil:
			fmt.Fprintf(&b, "• Slack lock: cannot read (%v)\n", err)
		case l == nil:
			b.WriteString("• Slack lock: free\n")
		default:
			fmt.Fprintf(&b, "• Slack lock: <@%s> since %s, until %s (%s)\n", l.Holder, slackTime(l.Since), slackTime(l.ExpiresAt), orNone(l.Reason))
		}
		m := r.b.migs[key]
		holder, at, err := r.b.locks.get(ctx, key, func() (*core.LockHolder, error) {
			ctx, cancel := context.WithTimeout(r.b.work, time.Minute)
			defer cancel()
			return core.LockStatus(ctx, m.M)
		})
		switch {
		case err != nil:
			fmt.Fprintf(&b, "• Operation lock: cannot read (%v)\n", err)
		case holder == nil:
			fmt.Fprintf(&b, "• Operation lock: free (no pghandoff operation is running)%s\n", ageNote(at))
		default:
			fmt.Fprintf(&b, "• Operation lock: held by %s since %s%s\n", holder, slackTime(holder.Since), ageNote(at))
		}
	}
	return &outcome{Summary: "who", Body: message{Text: b.String(), Blocks: sectionBlocks(b.String())}}, nil
}

func opAudit(ctx context.Context, r *run) (*outcome, error) {
	entries, _, err := r.b.audits.get(ctx, r.req.cmd.Migration, func() ([]auditEntry, error) {
		ctx, cancel := context.WithTimeout(r.b.work, time.Minute)
		defer cancel()
		return r.b.store.auditList(ctx, r.req.cmd.Migration, 20)
	})
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	if len(entries) == 0 {
		b.WriteString("The audit log is empty.")
	}
	for _, e := range entries {
		fmt.Fprintf(&b, "• %s <@%s> `%s`: *%s*", slackTime(e.At), e.UserID, e.Command, e.Result)
		if e.Detail != "" {
			b.WriteString(" (" + truncate(e.Detail, 150) + ")")
		}
		if e.Link != "" {
			b.WriteString(" <" + e.Link + "|message>")
		}
		b.WriteString("\n")
	}
	return &outcome{Summary: fmt.Sprintf("%d entries", len(entries)), Body: message{Text: b.String(), Blocks: sectionBlocks(b.String())}}, nil
}
