package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pghandoff/pghandoff/core"
)

// opFunc runs one command. It returns what to show; an error is shown with its hint.
type opFunc func(ctx context.Context, r *run) (*outcome, error)

// outcome is what an operation did.
type outcome struct {
	Failed    bool   // it ran, and found something wrong (a mismatch, a timeout)
	Summary   string // one line: the parent message and the audit log
	Body      message
	InChannel bool // a short command's answer goes to the channel (a state change), not only the requester
}

// run is one operation in progress.
type run struct {
	b       *Bot
	req     *request
	mig     *migration // nil for commands over every migration
	auditID int64
	prog    *progress // long commands only
}

// errNotAvailable: the core operation behind a command has not been built into this binary.
var errNotAvailable = errors.New("not available yet in this version of pghandoff")

// parent is a message already posted that a long operation edits in place (the confirmation
// message of a destructive command).
type parent struct{ channel, ts string }

func (b *Bot) start(req *request) {
	b.goWork(func(ctx context.Context) { b.execute(ctx, req, nil, 0) })
}

// execute runs a command to the end and reports it: long ones through a parent message and
// its thread, short ones through the response URL.
func (b *Bot) execute(ctx context.Context, req *request, par *parent, auditID int64) {
	ctx, cancel := context.WithTimeout(ctx, b.operationTimeout())
	defer cancel()
	r := &run{b: b, req: req, mig: b.migs[req.cmd.Migration], auditID: auditID}
	if r.auditID == 0 {
		id, err := b.store.auditInsert(ctx, auditEntry{At: b.clock.Now(), TeamID: req.team, UserID: req.user,
			Command: req.cmd.String(), Migration: req.cmd.Migration, Result: resultRunning, Channel: req.channel})
		if err != nil {
			b.log.Error("audit log", "err", err)
		}
		r.auditID = id
	}
	if req.spec.long {
		if err := r.openProgress(ctx, par); err != nil {
			b.log.Error("cannot post progress", "command", req.cmd.String(), "err", err)
			_ = b.msg.respond(ctx, req.responseURL, message{Text: ":warning: I cannot post in this channel, so I did not start: invite me with `/invite @pghandoff` or use a channel I am in."}, false)
			b.finishAudit(ctx, r.auditID, resultFailed, "could not post in the channel")
			return
		}
	}
	op := b.ops[req.cmd.Name]
	changes := req.spec.changes(req.cmd)
	if changes {
		b.forgetAnswers(req.cmd.Migration)
	}
	out, err := op(ctx, r)
	if changes {
		// What was read before, or while, it changed the migration must not answer after it.
		b.forgetAnswers(req.cmd.Migration)
	}
	b.report(ctx, r, out, err)
}

// forgetAnswers drops the shared answers about migration (every one when it is empty).
func (b *Bot) forgetAnswers(migration string) {
	match := func(key string) bool {
		return migration == "" || key == migration || strings.HasPrefix(key, migration+" ")
	}
	b.statuses.forget(match)
	b.locks.forget(match)
}

// report shows an operation's end and records it.
func (b *Bot) report(ctx context.Context, r *run, out *outcome, err error) {
	result, summary := resultOK, ""
	switch {
	case err != nil:
		result, summary = resultFailed, errorLine(err)
		out = &outcome{Summary: summary, Body: message{Text: errorText(r.req.cmd, err)}}
	case out.Failed:
		result, summary = resultFailed, out.Summary
	default:
		summary = out.Summary
	}
	// The audit line is written before the result is shown: whoever sees the result can find
	// it in the audit log at once.
	b.finishAudit(ctx, r.auditID, result, summary)
	if r.prog != nil {
		r.prog.finish(ctx, result == resultOK, out)
	} else if err := b.msg.respond(ctx, r.req.responseURL, out.Body, out.InChannel && result == resultOK); err != nil {
		b.log.Error("cannot answer", "command", r.req.cmd.String(), "err", err)
	}
	b.log.Info("command done", "command", r.req.cmd.String(), "user", r.req.user, "result", result, "summary", summary)
}

func (b *Bot) finishAudit(ctx context.Context, id int64, result, detail string) {
	if id == 0 {
		return
	}
	// The operation's context may be over (timeout): the audit line must still be written.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := b.store.auditFinish(ctx, id, result, b.msg.masker.Redact(detail)); err != nil {
		b.log.Error("audit log", "err", err)
	}
}

// errorLine is an error in one line, for the audit log and the parent message.
func errorLine(err error) string {
	if errors.Is(err, errNotAvailable) {
		return err.Error()
	}
	return "failed: " + err.Error()
}

// errorText shows an error and what to do next.
func errorText(c command, err error) string {
	if errors.Is(err, errNotAvailable) {
		return fmt.Sprintf(":construction: `%s` is %s. Nothing was changed.", c.Name, errNotAvailable)
	}
	text := fmt.Sprintf(":x: `%s` failed: %s", c, err)
	var locked *core.LockedError
	if errors.As(err, &locked) {
		text = fmt.Sprintf(":lock: `%s` did not start: %s. The CLI, the GitHub Action and this bot share that lock, so two operations never overlap.", c, err)
	}
	if h := hint(c, err); h != "" {
		text += "\n*Try:* " + h
	}
	return text
}

// execution is how core runs a command that changes a server: a dry run when the command
// says --dry-run, with core's default timeouts.
func (r *run) execution() core.Execution {
	return core.Execution{DryRun: r.req.cmd.DryRun, Observer: r.observer()}
}

// observer gives core operations a logger and a progress callback into the thread.
func (r *run) observer() core.Observer {
	obs := core.Observer{Logger: r.b.log.With("migration", r.req.cmd.Migration, "command", r.req.cmd.Name)}
	if r.prog != nil {
		obs.Progress = func(e core.Event) { r.prog.step(e) }
	}
	return obs
}
