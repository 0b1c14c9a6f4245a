package bot

import (
	"context"
	"fmt"

	"github.com/slack-go/slack"
)

// Block Kit action ids of the confirmation message's buttons.
const (
	actionApprove = "pghandoff_approve"
	actionCancel  = "pghandoff_cancel"
)

// approvalRule is the approval rule in force for a migration.
func (b *Bot) approvalRule(migration string) ApprovalConfig {
	if a := b.cfg.Migrations[migration].Approval; a != nil {
		return *a
	}
	return b.cfg.Approval
}

// approvers may approve a migration's cutover when a second person is required.
func (b *Bot) approvers(migration string) []Principals {
	if a := b.approvalRule(migration).Approvers; a != nil {
		return []Principals{*a}
	}
	return b.auth.principals(classDestroy, migration)
}

// requestConfirmation answers a destructive command: preconditions are checked, then a
// summary with a danger button is posted for the requester (or a second person) to click.
func (b *Bot) requestConfirmation(ctx context.Context, req *request) reply {
	b.goWork(func(ctx context.Context) {
		if err := b.postConfirmation(ctx, req); err != nil {
			b.log.Warn("confirmation not posted", "command", req.cmd.String(), "err", err)
			b.audit(ctx, req, resultRefused, err.Error())
			_ = b.msg.respond(ctx, req.responseURL, message{Text: errorText(req.cmd, err)}, false)
		}
	})
	return reply{Text: fmt.Sprintf(":mag: Checking before `%s`: a confirmation follows in the channel.", req.cmd)}
}

func (b *Bot) postConfirmation(ctx context.Context, req *request) error {
	r := &run{b: b, req: req, mig: b.migs[req.cmd.Migration]}
	pre, err := b.prechecks[req.cmd.Name](ctx, r)
	if err != nil {
		return err
	}
	now := b.clock.Now()
	rule := b.approvalRule(req.cmd.Migration)
	a := approval{ID: newID(), Migration: req.cmd.Migration, Command: req.cmd.Name, Args: req.cmd, Requester: req.user,
		TeamID: req.team, Channel: req.channel, SecondPerson: switchesTraffic(req.cmd) && rule.SecondPerson,
		CreatedAt: now, ExpiresAt: now.Add(rule.ExpiresAfter.D(defaultApprovalExpiry)), State: approvalPending}
	a.AuditID, err = b.store.auditInsert(ctx, auditEntry{At: now, TeamID: req.team, UserID: req.user, Command: req.cmd.String(),
		Migration: req.cmd.Migration, Result: resultPending, Detail: "waiting for confirmation", Channel: req.channel})
	if err != nil {
		return err
	}
	if err := b.store.approvalInsert(ctx, a); err != nil {
		return err
	}
	ts, err := b.msg.post(ctx, req.channel, b.confirmationMessage(a, r, pre))
	if err != nil {
		b.finishAudit(ctx, a.AuditID, resultFailed, "could not post the confirmation")
		return fmt.Errorf("%w (invite me to the channel with /invite)", err)
	}
	if err := b.store.approvalMessage(ctx, a.ID, ts); err != nil {
		return err
	}
	return b.store.auditMessage(ctx, a.AuditID, req.channel, ts, b.msg.permalink(ctx, req.channel, ts))
}

// switchesTraffic reports whether c moves the application's traffic: what a second person
// may have to approve.
func switchesTraffic(c command) bool { return c.Name == "cutover" || c.Name == "rollback" }

// whatHappens explains a destructive command in plain words.
func whatHappens(c command) string {
	switch c.Name {
	case "cutover":
		return "Writes through the proxy (or PgBouncer) pause while the replica applies the last changes; sequences move past the primary's; the proxy (or PgBouncer's entry) then points at the replica, which becomes the primary. If the pause runs over its limit, everything rolls back and traffic stays on the old primary."
	case "rollback":
		return "Writes through the proxy (or PgBouncer) pause while the old primary applies the last changes from the new one (the failsafe); its sequences move past the new primary's; the proxy (or PgBouncer's entry) then points at the old primary again, and replication into the new one resumes from that point. If the pause runs over its limit, traffic stays on the new primary."
	case "ddl":
		return "The statement runs on the replica, the primary and the proxy in the order shown, each step checked by reading the server back before the next; the first that fails stops the run, saying where each server stands, and running it again skips what is done."
	case "fence":
		if c.Undo {
			return "The application's roles get their write access back on the old primary."
		}
		return "The application's roles become read-only on the old primary and their sessions end: writes fail until traffic is switched."
	default:
		return "Replication is removed and every table the setup imported is *dropped on the replica, with its data*."
	}
}

func (b *Bot) confirmationMessage(a approval, r *run, pre *outcome) message {
	m := r.mig.M
	text := fmt.Sprintf(":warning: *<@%s> asks to run `%s`*\n• Source (old primary): `%s`\n• Target (new primary): `%s`",
		a.Requester, a.Args, m.Primary, m.Replica)
	if !m.Proxy.IsZero() {
		text += fmt.Sprintf("\n• Proxy: `%s`", m.Proxy)
	}
	if !m.PgBouncer.Admin.IsZero() {
		text += fmt.Sprintf("\n• PgBouncer: `%s`, entry in `%s`", m.PgBouncer.Admin, m.PgBouncer.Config)
	}
	if pre != nil && pre.Summary != "" {
		text += "\n• Now: " + pre.Summary
	}
	text += "\n*What happens:* " + whatHappens(a.Args)
	who := fmt.Sprintf("<@%s> confirms", a.Requester)
	if a.SecondPerson {
		who = "A second person approves (not the requester): " + describe(b.approvers(a.Migration))
	}
	text += fmt.Sprintf("\n*Runs when:* %s, before %s.", who, slackTime(a.ExpiresAt))
	label := "Confirm " + a.Args.String()
	if a.SecondPerson {
		label = "Approve " + a.Args.String()
	}
	btn := slack.NewButtonBlockElement(actionApprove, a.ID, slack.NewTextBlockObject(slack.PlainTextType, truncate(label, 70), false, false))
	btn.Style = slack.StyleDanger
	btn.Confirm = slack.NewConfirmationBlockObject(
		slack.NewTextBlockObject(slack.PlainTextType, "Run "+a.Command+"?", false, false),
		slack.NewTextBlockObject(slack.MarkdownType, truncate(fmt.Sprintf("`%s` on *%s*. %s", a.Args, a.Migration, whatHappens(a.Args)), 290), false, false),
		slack.NewTextBlockObject(slack.PlainTextType, "Run it", false, false),
		slack.NewTextBlockObject(slack.PlainTextType, "Not now", false, false))
	btn.Confirm.Style = slack.StyleDanger
	cancel := slack.NewButtonBlockElement(actionCancel, a.ID, slack.NewTextBlockObject(slack.PlainTextType, "Cancel", false, false))
	blocks := append(sectionBlocks(text), slack.NewActionBlock("pghandoff_confirm", btn, cancel))
	return message{Text: fmt.Sprintf("<@%s> asks to run %s: confirmation needed", a.Requester, a.Args), Blocks: blocks}
}

// decidedMessage replaces the buttons once a decision is made, so nobody clicks twice.
func decidedMessage(a *approval, verdict string) message {
	text := fmt.Sprintf("`%s` requested by <@%s>: %s", a.Args, a.Requester, verdict)
	return message{Text: text, Blocks: sectionBlocks(text)}
}
