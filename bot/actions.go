package bot

import (
	"context"
	"errors"
	"fmt"

	"github.com/slack-go/slack"
)

// handleInteraction answers a button click at once and decides in the background: the
// preconditions it checks again can take longer than Slack waits.
func (b *Bot) handleInteraction(ctx context.Context, cb slack.InteractionCallback) {
	if cb.Type != slack.InteractionTypeBlockActions {
		return
	}
	for _, act := range cb.ActionCallback.BlockActions {
		if act.ActionID != actionApprove && act.ActionID != actionCancel {
			continue
		}
		click := click{user: cb.User.ID, team: cb.Team.ID, responseURL: cb.ResponseURL, approvalID: act.Value, cancel: act.ActionID == actionCancel}
		if click.team == "" {
			click.team = cb.User.TeamID
		}
		b.goWork(func(ctx context.Context) { b.decide(ctx, click) })
	}
}

// click is one press of a confirmation button.
type click struct {
	user, team, responseURL string
	approvalID              string
	cancel                  bool
}

// tell answers the clicker alone.
func (b *Bot) tell(ctx context.Context, c click, text string) {
	if err := b.msg.respond(ctx, c.responseURL, message{Text: text}, false); err != nil {
		b.log.Warn("cannot answer click", "err", err)
	}
}

// decide handles a click: a replay or a late click runs nothing; the approval moves from
// pending exactly once, in the store, whichever replica gets the click.
func (b *Bot) decide(ctx context.Context, c click) {
	a, err := b.store.approvalGet(ctx, c.approvalID)
	if errors.Is(err, errNoApproval) {
		b.tell(ctx, c, ":warning: I know nothing of this request.")
		return
	}
	if err != nil {
		b.tell(ctx, c, ":warning: Could not read the request: "+b.msg.masker.Redact(err.Error()))
		return
	}
	if c.team != b.cfg.Slack.TeamID {
		b.tell(ctx, c, "This pghandoff bot serves another workspace.")
		return
	}
	if a.State != approvalPending {
		b.tell(ctx, c, alreadyDecided(a))
		return
	}
	if now := b.clock.Now(); !now.Before(a.ExpiresAt) {
		b.expire(ctx, a, c)
		return
	}
	if c.cancel {
		b.cancelApproval(ctx, a, c)
		return
	}
	b.approve(ctx, a, c)
}

func alreadyDecided(a *approval) string {
	when := ""
	if a.DecidedAt != nil {
		when = " at " + slackTime(*a.DecidedAt)
	}
	by := ""
	if a.DecidedBy != "" {
		by = fmt.Sprintf(" by <@%s>", a.DecidedBy)
	}
	return fmt.Sprintf("`%s` was already %s%s%s: nothing was run again.", a.Args, a.State, by, when)
}

func (b *Bot) expire(ctx context.Context, a *approval, c click) {
	if !b.expireApproval(ctx, a) {
		b.tell(ctx, c, "This request is no longer pending: nothing was run.")
		return
	}
	b.tell(ctx, c, fmt.Sprintf("This request expired at %s: nothing was run. Run the command again if it is still needed.", slackTime(a.ExpiresAt)))
}

// expireApproval marks an overdue approval expired, once, and takes its buttons away.
func (b *Bot) expireApproval(ctx context.Context, a *approval) bool {
	if ok, err := b.store.approvalExpire(ctx, a.ID, b.clock.Now()); err != nil || !ok {
		return false
	}
	if err := b.msg.update(ctx, a.Channel, a.MessageTS, decidedMessage(a, fmt.Sprintf(":hourglass: expired at %s; nothing was run. Ask again if still needed.", slackTime(a.ExpiresAt)))); err != nil {
		b.log.Warn("update expired confirmation", "err", err)
	}
	b.finishAudit(ctx, a.AuditID, resultExpired, "no confirmation in time")
	return true
}

// sweepApprovals expires the approvals nobody clicked in time, so that their buttons do not
// linger in the channel.
func (b *Bot) sweepApprovals(ctx context.Context) {
	ids, err := b.store.approvalsOverdue(ctx, b.clock.Now())
	if err != nil {
		b.log.Warn("sweep approvals", "err", err)
		return
	}
	for _, id := range ids {
		if a, err := b.store.approvalGet(ctx, id); err == nil {
			b.expireApproval(ctx, a)
		}
	}
}

// mayDecide checks the clicker: with a second person required, anyone of the approvers but
// the requester; otherwise the requester or anyone of the destroy class.
func (b *Bot) mayDecide(ctx context.Context, a *approval, c click) (bool, string, error) {
	if a.SecondPerson && !c.cancel {
		if c.user == a.Requester {
			return false, fmt.Sprintf("You asked for `%s`: a second person must approve it: %s.", a.Args, describe(b.approvers(a.Migration))), nil
		}
		ok, err := b.auth.in(ctx, c.user, b.approvers(a.Migration))
		return ok, fmt.Sprintf("Only %s may approve `%s`.", describe(b.approvers(a.Migration)), a.Args), err
	}
	if c.user == a.Requester {
		return true, "", nil
	}
	ok, err := b.auth.allowed(ctx, c.user, classDestroy, a.Migration)
	return ok, fmt.Sprintf("Only <@%s> (who asked) or %s may decide on `%s`.", a.Requester, describe(b.auth.principals(classDestroy, a.Migration)), a.Args), err
}

func (b *Bot) cancelApproval(ctx context.Context, a *approval, c click) {
	if ok, why, err := b.mayDecide(ctx, a, c); err != nil || !ok {
		b.tell(ctx, c, ":no_entry: "+why)
		return
	}
	now := b.clock.Now()
	if ok, err := b.store.approvalDecide(ctx, a.ID, approvalCancelled, c.user, now); err != nil || !ok {
		b.tell(ctx, c, "This request is no longer pending: nothing was run.")
		return
	}
	if err := b.msg.update(ctx, a.Channel, a.MessageTS, decidedMessage(a, fmt.Sprintf(":no_entry_sign: cancelled by <@%s> at %s; nothing was run.", c.user, slackTime(now)))); err != nil {
		b.log.Warn("update cancelled confirmation", "err", err)
	}
	b.finishAudit(ctx, a.AuditID, resultCancelled, "cancelled by "+c.user)
}

// approve checks the clicker and the preconditions again, claims the approval, and runs.
func (b *Bot) approve(ctx context.Context, a *approval, c click) {
	if ok, why, err := b.mayDecide(ctx, a, c); err != nil || !ok {
		if err != nil {
			why = "Could not check your permissions: " + b.msg.masker.Redact(err.Error())
		}
		b.tell(ctx, c, ":no_entry: "+why)
		return
	}
	req := &request{cmd: a.Args, spec: specs[a.Command], user: a.Requester, team: a.TeamID, channel: a.Channel}
	if r, ok := b.checkChatLock(ctx, req); !ok {
		b.tell(ctx, c, r.Text)
		return
	}
	r := &run{b: b, req: req, mig: b.migs[a.Migration]}
	if r.mig == nil {
		b.tell(ctx, c, fmt.Sprintf(":warning: Migration %s is no longer in the bot's config: nothing was run.", a.Migration))
		return
	}
	if _, err := b.prechecks[a.Command](ctx, r); err != nil {
		b.tell(ctx, c, fmt.Sprintf(":no_entry: Not now: %s\nThe request stays open until %s.", errorText(a.Args, err), slackTime(a.ExpiresAt)))
		return
	}
	now := b.clock.Now()
	ok, err := b.store.approvalDecide(ctx, a.ID, approvalApproved, c.user, now)
	if err != nil || !ok {
		if latest, gerr := b.store.approvalGet(ctx, a.ID); gerr == nil {
			b.tell(ctx, c, alreadyDecided(latest))
		}
		return
	}
	verdict := fmt.Sprintf(":white_check_mark: approved by <@%s> at %s: running", c.user, slackTime(now))
	if err := b.msg.update(ctx, a.Channel, a.MessageTS, decidedMessage(a, verdict)); err != nil {
		b.log.Warn("update approved confirmation", "err", err)
	}
	req.approvedBy = c.user
	b.execute(ctx, req, &parent{channel: a.Channel, ts: a.MessageTS}, a.AuditID)
}
