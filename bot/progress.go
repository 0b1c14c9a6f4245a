package bot

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/pghandoff/pghandoff/core"
)

// progress is a long operation's presence in the channel: one parent message edited in place,
// its steps batched into thread replies (Slack allows about one post a second per channel),
// and the result posted in the thread and broadcast to the channel.
type progress struct {
	b       *Bot
	channel string
	ts      string
	title   string
	every   time.Duration

	mu      sync.Mutex
	pending []string
	last    string
	steps   int
	done    chan struct{}
	stopped chan struct{}
}

// openProgress posts the parent message, or takes over an existing one.
func (r *run) openProgress(ctx context.Context, par *parent) error {
	p := &progress{b: r.b, channel: r.req.channel, title: progressTitle(r.req),
		every: 2 * time.Second, done: make(chan struct{}), stopped: make(chan struct{})}
	if par != nil {
		p.channel, p.ts = par.channel, par.ts
		if err := p.b.msg.update(ctx, p.channel, p.ts, p.runningMessage()); err != nil {
			return err
		}
	} else {
		ts, err := p.b.msg.post(ctx, p.channel, p.runningMessage())
		if err != nil {
			return err
		}
		p.ts = ts
	}
	link := r.b.msg.permalink(ctx, p.channel, p.ts)
	if r.auditID != 0 {
		if err := r.b.store.auditMessage(ctx, r.auditID, p.channel, p.ts, link); err != nil {
			r.b.log.Error("audit log", "err", err)
		}
	}
	r.prog = p
	go p.loop(ctx)
	return nil
}

func (p *progress) runningMessage() message {
	text := ":hourglass_flowing_sand: " + p.title + ": running"
	if p.last != "" {
		text += fmt.Sprintf(" (step %d: %s)", p.steps, p.last)
	}
	return message{Text: text, Blocks: sectionBlocks(text)}
}

// step records a core event; the loop posts it.
func (p *progress) step(e core.Event) {
	line := e.Message
	if e.Server != "" {
		line = e.Server + ": " + line
	}
	if e.Warning {
		line = ":warning: " + line
	}
	p.mu.Lock()
	p.pending = append(p.pending, line)
	p.last, p.steps = truncate(e.Message, 120), p.steps+1
	p.mu.Unlock()
}

// note adds a line of the bot's own to the thread.
func (p *progress) note(text string) {
	p.mu.Lock()
	p.pending = append(p.pending, text)
	p.mu.Unlock()
}

func (p *progress) loop(ctx context.Context) {
	defer close(p.stopped)
	t := time.NewTicker(p.every)
	defer t.Stop()
	for {
		select {
		case <-p.done:
			return
		case <-ctx.Done():
			return
		case <-t.C:
			p.flush(ctx, true)
		}
	}
}

// flush posts the pending steps as one thread reply and refreshes the parent.
func (p *progress) flush(ctx context.Context, refresh bool) {
	p.mu.Lock()
	lines := p.pending
	p.pending = nil
	parent := p.runningMessage()
	p.mu.Unlock()
	if len(lines) == 0 {
		return
	}
	text := truncate(strings.Join(lines, "\n"), 3500)
	if _, err := p.b.msg.reply(ctx, p.channel, p.ts, message{Text: text}, false); err != nil {
		p.b.log.Warn("progress reply", "err", err)
	}
	if refresh {
		if err := p.b.msg.update(ctx, p.channel, p.ts, parent); err != nil {
			p.b.log.Warn("progress update", "err", err)
		}
	}
}

// finish posts the last steps, edits the parent into the verdict, and broadcasts the result.
func (p *progress) finish(ctx context.Context, ok bool, out *outcome) {
	close(p.done)
	<-p.stopped
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	p.flush(ctx, false)
	icon := ":white_check_mark:"
	if !ok {
		icon = ":x:"
	}
	text := fmt.Sprintf("%s %s: %s", icon, p.title, out.Summary)
	if err := p.b.msg.update(ctx, p.channel, p.ts, message{Text: text, Blocks: sectionBlocks(text)}); err != nil {
		p.b.log.Warn("final update", "err", err)
	}
	if _, err := p.b.msg.reply(ctx, p.channel, p.ts, out.Body, true); err != nil {
		p.b.log.Warn("result reply", "err", err)
	}
}

func progressTitle(req *request) string {
	t := fmt.Sprintf("`%s` by <@%s>", req.cmd, req.user)
	if req.approvedBy != "" && req.approvedBy != req.user {
		t += fmt.Sprintf(", approved by <@%s>", req.approvedBy)
	}
	return t
}
