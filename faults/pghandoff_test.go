//go:build faults

package faults

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"syscall"
	"time"

	"github.com/pghandoff/pghandoff/internal/procctl"
)

// commandTimeout bounds one pghandoff command: one that runs longer hangs, and is killed.
// A scenario that expects a hang sets a shorter env.hangAfter.
const commandTimeout = 2 * time.Minute

// outcome is one pghandoff command as it ended, and where the proxy pointed right after.
type outcome struct {
	args   []string
	res    procctl.Result
	report map[string]any // its --json result, when it printed one
	target string         // where the proxy's foreign server pointed once it had ended
	// failsafe is the old primary's failsafe subscription once it had ended.
	failsafe subscription
	hung     bool          // it did not end in time and was killed
	limit    time.Duration // the time it had
}

func (o *outcome) String() string {
	how := fmt.Sprintf("exit %d", o.res.Code)
	switch {
	case o.hung:
		how = "hung, killed"
	case o.res.Signal == syscall.SIGKILL:
		how = "killed (SIGKILL)"
	case o.res.Signal != 0:
		how = "ended by " + o.res.Signal.String()
	}
	return fmt.Sprintf("pghandoff %s: %s", strings.Join(o.args, " "), how)
}

// killed reports whether the fault ended the process.
func (o *outcome) killed() bool { return o.res.Signal == syscall.SIGKILL && !o.hung }

// field is a value of the JSON result, by path ("failsafe", "subscribed"), or nil.
func (o *outcome) field(path ...string) any {
	var v any = o.report
	for _, k := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// summary is what the result says about a switch, for the log.
func (o *outcome) summary() string {
	var parts []string
	for _, k := range []string{"switched", "already_switched", "rolled_back", "already_rolled_back", "outcome_unknown", "abort_reason", "pause_ms"} {
		if v := o.field(k); v != nil {
			parts = append(parts, fmt.Sprintf("%s=%v", k, v))
		}
	}
	if v := o.field("failsafe", "subscribed"); v != nil {
		parts = append(parts, fmt.Sprintf("failsafe.subscribed=%v", v))
	}
	if len(parts) == 0 {
		return ""
	}
	return "; it reported " + strings.Join(parts, ", ")
}

// output is everything the command printed.
func (o *outcome) output() string { return o.res.Stdout + "\n" + o.res.Stderr }

// start runs pghandoff on the migration with -v and --json, its servers' connection strings
// (through the forwarders) in the environment, as an operator would keep them.
func (e *env) start(args ...string) *procctl.Process {
	e.t.Helper()
	if e.bouncer != nil {
		return e.startWith([]*node{e.primary, e.replica}, args...)
	}
	return e.startWith([]*node{e.primary, e.replica, e.proxy}, args...)
}

// startWith is start with only the given servers' connection strings: the others' variables
// are set empty, which pghandoff reads as not given.
func (e *env) startWith(given []*node, args ...string) *procctl.Process {
	e.t.Helper()
	full := append(append([]string{}, args...), "-v", "--json", "--name", e.name)
	vars := []string{"PGHANDOFF_PRIMARY=", "PGHANDOFF_REPLICA=", "PGHANDOFF_PROXY="}
	for _, n := range given {
		vars = append(vars, "PGHANDOFF_"+strings.ToUpper(n.role)+"="+n.dsn())
	}
	vars = append(vars, e.bouncer.vars()...)
	p, err := procctl.Start(pghandoffBin, full, vars)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { p.Kill(); <-p.Exited() })
	return p
}

// finish waits for a command started with start and reads the truth after it.
func (e *env) finish(p *procctl.Process, args ...string) *outcome {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), e.hangAfter)
	defer cancel()
	res, err := p.Wait(ctx)
	o := &outcome{args: args, res: res, hung: err != nil, limit: e.hangAfter}
	if err := json.Unmarshal([]byte(res.Stdout), &o.report); err != nil {
		o.report = nil
	}
	o.target = e.target()
	o.failsafe = e.failsafe()
	e.runs = append(e.runs, o)
	e.t.Logf("%s; traffic points at %s%s", o, orNone(o.target), o.summary())
	return o
}

// run runs a command to its end.
func (e *env) run(args ...string) *outcome {
	e.t.Helper()
	return e.finish(e.start(args...), args...)
}

// must runs a command that has to succeed for the scenario to go on.
func (e *env) must(args ...string) *outcome {
	e.t.Helper()
	o := e.run(args...)
	if o.res.Code != 0 {
		e.t.Fatalf("%s, and the scenario needs it\n%s", o, tail(o.res.Stderr, 6))
	}
	return o
}

func orNone(s string) string {
	if s == "" {
		return "(no foreign server or entry)"
	}
	return s
}
