//go:build faults

package faults

import (
	"context"
	"time"

	"github.com/pghandoff/pghandoff/internal/faultnet"
	"github.com/pghandoff/pghandoff/internal/procctl"
)

// fault is what happens to pghandoff, or around it, once it is at a step. It gets the
// step's release, to call when the servers should let the command go on.
type fault struct {
	name   string
	inject func(e *env, p *procctl.Process, release func())
}

// kill: SIGKILL, as a crash, an OOM kill or a lost container: no cleanup runs. The step's
// hold is released once the process is gone.
var kill = fault{"kill", func(e *env, p *procctl.Process, release func()) {
	p.Kill()
	<-p.Exited()
	release()
}}

// lostReply: the step itself lost the reply; pghandoff carries on as it sees fit.
var lostReply = fault{"lost_reply", func(e *env, p *procctl.Process, release func()) {}}

// outlast: nothing happens to pghandoff; the step's hold lasts until the command has ended
// by itself (an application transaction that outlasts every lock attempt), then goes.
var outlast = fault{"held_transaction", func(e *env, p *procctl.Process, release func()) {
	<-p.Exited()
	release()
}}

// freeze: SIGSTOP for d, then SIGCONT: a process swapped out, a paused VM, a debugger. The
// step's hold is released during the freeze: the sentinel arrives while pghandoff sleeps.
func freeze(d time.Duration) fault {
	return fault{"freeze", func(e *env, p *procctl.Process, release func()) {
		p.Freeze()
		release()
		time.Sleep(d)
		p.Thaw()
	}}
}

// blackHole: the network to one server drops everything, both ways, for d, then heals
// (held traffic is then delivered, as TCP retransmits it).
func blackHole(name string, of func(*env) *node, d time.Duration) fault {
	return fault{"black_hole_" + name, func(e *env, p *procctl.Process, release func()) {
		fw := of(e).fw
		fw.SetMode(faultnet.BlackHole)
		release()
		time.Sleep(d)
		fw.SetMode(faultnet.Pass)
	}}
}

// runAt starts a command, waits until it reaches the step, injects the fault and returns
// the command's outcome. A command that ends before the step fails the test.
func (e *env) runAt(s step, f fault, args ...string) *outcome {
	e.t.Helper()
	reached, release := s.arrange(e)
	defer release()
	p := e.start(args...)
	ctx, cancel := context.WithTimeout(context.Background(), e.hangAfter)
	defer cancel()
	go func() {
		select {
		case <-p.Exited():
			cancel() // the step never came
		case <-ctx.Done():
		}
	}()
	if err := reached(ctx); err != nil {
		release()
		o := e.finish(p, args...)
		e.t.Fatalf("%s never reached the step %q: %v\n%s", o, s.name, err, tail(o.output(), 40))
	}
	e.t.Logf("%s: reached %q: %s", args, s.name, f.name)
	f.inject(e, p, release)
	return e.finish(p, args...)
}
