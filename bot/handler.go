package bot

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"
)

// request is one command being handled.
type request struct {
	cmd         command
	spec        *spec
	user        string
	team        string
	channel     string
	responseURL string
	approvedBy  string // for destructive commands: who clicked
}

// reply is the immediate answer to Slack (the HTTP response or the Socket Mode ack):
// ephemeral, to the requester only. Empty when there is nothing to say at once.
type reply struct{ Text string }

// handleCommand answers a slash command within Slack's three seconds: parse, authorize,
// then either answer at once, post a confirmation, or start the operation in the background.
func (b *Bot) handleCommand(ctx context.Context, sc slack.SlashCommand) reply {
	if sc.TeamID != b.cfg.Slack.TeamID {
		b.log.Warn("command from another workspace refused", "team", sc.TeamID, "user", sc.UserID)
		return reply{Text: "This pghandoff bot serves another workspace."}
	}
	cmd, positional, err := parseCommand(sc.Text)
	if err != nil {
		return reply{Text: helpText(":warning: " + err.Error())}
	}
	sp := specs[cmd.Name]
	if cmd.Name == "help" {
		return reply{Text: helpText("")}
	}
	if ok, wait := b.limiter.allow(sc.UserID, time.Now()); !ok {
		b.log.Info("command over its user's rate", "user", sc.UserID, "command", cmd.String())
		return reply{Text: slowDownText(b.limiter.perMinute, wait)}
	}
	if err := cmd.resolveMigration(sp, positional, b.cfg.MigrationKeys()); err != nil {
		return reply{Text: ":warning: " + err.Error()}
	}
	req := &request{cmd: cmd, spec: sp, user: sc.UserID, team: sc.TeamID, channel: sc.ChannelID, responseURL: sc.ResponseURL}
	if r, ok := b.authorize(ctx, req); !ok {
		return r
	}
	if r, ok := b.checkChatLock(ctx, req); !ok {
		return r
	}
	if sp.confirms(cmd) {
		return b.requestConfirmation(ctx, req)
	}
	queued := b.queuedNotice(cmd.Migration)
	b.start(req)
	if sp.long {
		return reply{Text: strings.TrimSpace(fmt.Sprintf(":hourglass_flowing_sand: Starting `%s`: progress follows in the channel. %s", cmd, queued))}
	}
	return reply{Text: queued}
}

// queuedNotice says where a new command on migration stands when others already wait for its
// connections; empty when it can start at once.
func (b *Bot) queuedNotice(migration string) string {
	m := b.migs[migration]
	if m == nil {
		return ""
	}
	waiting := m.M.Client.Budget.Waiting()
	if waiting == 0 {
		return ""
	}
	return queuedText(migration, waiting, m.M.Client.Budget.PerServer())
}

// authorize checks the requester's class for this command and migration. A denial is
// audited and says who may.
func (b *Bot) authorize(ctx context.Context, req *request) (reply, bool) {
	cls := req.spec.classOf(req.cmd)
	ok, err := b.auth.allowed(ctx, req.user, cls, req.cmd.Migration)
	if err != nil {
		b.log.Error("authorization check failed", "user", req.user, "err", err)
		return reply{Text: ":warning: Could not check your permissions: " + b.msg.masker.Redact(err.Error())}, false
	}
	if ok {
		return reply{}, true
	}
	b.audit(ctx, req, resultDenied, "needs "+cls.String())
	return reply{Text: fmt.Sprintf(":no_entry: You may not run `%s`. %s", req.cmd, b.whoMay(cls, req.cmd.Migration))}, false
}

func (b *Bot) whoMay(cls class, migration string) string {
	on := ""
	if migration != "" {
		on = " on " + migration
	}
	return fmt.Sprintf("Commands of class %s%s are for: %s.", cls, on, describe(b.auth.principals(cls, migration)))
}

// checkChatLock refuses a changing command while someone else holds the migration's lock.
func (b *Bot) checkChatLock(ctx context.Context, req *request) (reply, bool) {
	if !req.spec.changes(req.cmd) || req.cmd.Migration == "" {
		return reply{}, true
	}
	l, err := b.store.lockGet(ctx, req.cmd.Migration, b.clock.Now())
	if err != nil {
		return reply{Text: ":warning: Could not read the migration's lock: " + b.msg.masker.Redact(err.Error())}, false
	}
	if l == nil || l.Holder == req.user {
		return reply{}, true
	}
	b.audit(ctx, req, resultRefused, "locked by "+l.Holder)
	return reply{Text: fmt.Sprintf(":lock: %s is locked by <@%s> since %s (%s), until %s. Ask them to `unlock %s`, or someone with destroy rights can `unlock %s --force`.",
		l.Migration, l.Holder, slackTime(l.Since), orNone(l.Reason), slackTime(l.ExpiresAt), l.Migration, l.Migration)}, false
}

// audit writes a finished line to the audit log (for commands that end at once).
func (b *Bot) audit(ctx context.Context, req *request, result, detail string) {
	id, err := b.store.auditInsert(ctx, auditEntry{At: b.clock.Now(), TeamID: req.team, UserID: req.user,
		Command: req.cmd.String(), Migration: req.cmd.Migration, Result: result, Detail: detail, Channel: req.channel})
	if err != nil {
		b.log.Error("audit log", "err", err, "id", id)
	}
}

func orNone(s string) string {
	if strings.TrimSpace(s) == "" {
		return "no reason given"
	}
	return s
}
