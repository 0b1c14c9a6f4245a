//go:build faults

package faults

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/pghandoff/pghandoff/internal/workload"
)

// The checks every scenario ends with, against what the servers hold. They report with
// Errorf, so that one run shows every property a scenario breaks, with its figures.

// claims reads, per command, where its result says the proxy points afterwards, or "" when
// it says nothing. A new command that moves traffic (rollback) adds its reading here.
var claims = map[string]func(*outcome) string{
	"cutover":  claimOf("switched", atReplica, atPrimary),
	"rollback": claimOf("rolled_back", atPrimary, atReplica),
}

// claimOf reads a switch's result: field true says traffic went to moved, false that it
// stayed at stayed, unless the result says its outcome is unknown.
func claimOf(field, moved, stayed string) func(*outcome) string {
	return func(o *outcome) string {
		if o.field("outcome_unknown") == true {
			return ""
		}
		switch o.field(field) {
		case true:
			return moved
		case false:
			return stayed
		}
		if o.res.Code == 0 && !o.killed() {
			return moved
		}
		return ""
	}
}

// checkAll lets the application write some more on wherever the proxy points now, stops it,
// and runs every check.
func (e *env) checkAll() {
	e.t.Helper()
	if e.app != nil {
		e.appWrites(100)
		e.app.StopWithin(10 * time.Second)
	}
	for _, o := range e.runs {
		e.checkReported(o)
	}
	if e.app != nil {
		e.checkWrites()
		e.checkStall()
	}
	e.checkOneWay()
	e.checkSlots()
	e.bouncer.checkResumed(e)
}

// checkReported: what a command said is true. Its claim about where the proxy points is
// compared with where the proxy pointed once it had ended, and a failsafe it says it
// subscribed must exist.
func (e *env) checkReported(o *outcome) {
	e.t.Helper()
	if o.hung {
		e.t.Errorf("REPORTED: %s: it did not end within %s, and reported nothing\n%s", o, o.limit, tail(o.res.Stderr, 5))
		return
	}
	claim := ""
	if read, ok := claims[o.args[0]]; ok {
		claim = read(o)
	}
	if claim != "" && claim != o.target {
		e.t.Errorf("REPORTED: %s reported the proxy at the %s (switched %v, abort reason %q) but it pointed at the %s",
			o, claim, o.field("switched"), o.field("abort_reason"), o.target)
	}
	if sub, ok := o.field("failsafe", "subscribed").(bool); ok && sub != o.failsafe.exists {
		e.t.Errorf("REPORTED: %s reported the failsafe subscribed %t, but the old primary's failsafe subscription is %s", o, sub, o.failsafe)
	}
}

// checkWrites: every acknowledged write is on the server the proxy points at, exactly once,
// and, when a failsafe replicates back, on the old primary too once it has caught up.
func (e *env) checkWrites() {
	e.t.Helper()
	target := e.target()
	n := e.nodeAt(target)
	r := e.checkWritesOn(n)
	e.t.Logf("writes: %d inserts and %d increments acknowledged, %d serialization retries; on the %s: %d lost, %d duplicated, %d extra",
		r.Inserts, r.Increments, r.Retries, target, r.Lost, r.Duplicated, r.Extra)
	if !r.OK() {
		e.t.Errorf("WRITES: the %s, where the proxy points, does not hold exactly the acknowledged writes: %d lost, %d duplicated, %d extra rows; %s",
			target, r.Lost, r.Duplicated, r.Extra, firstProblems(r))
	}
	if target != atReplica || !e.failsafe().exists {
		return
	}
	var back workload.Report
	err := waitFor(ctxFor(e.t, 30*time.Second), func() (bool, error) {
		back = e.checkWritesOn(e.primary)
		return back.OK(), nil
	})
	if err != nil {
		e.t.Errorf("WRITES: the old primary, fed back by the failsafe, did not come to hold exactly the acknowledged writes within 30 s: %d lost, %d duplicated, %d extra rows; %s (failsafe subscription %s)",
			back.Lost, back.Duplicated, back.Extra, firstProblems(back), e.failsafe())
	}
}

func (e *env) checkWritesOn(n *node) workload.Report {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r, err := e.app.Check(ctx, n.session(e.t), time.Time{})
	if err != nil {
		e.t.Fatalf("check the writes on the %s: %v", n.role, err)
	}
	return r
}

func firstProblems(r workload.Report) string {
	if len(r.Problems) > 3 {
		return strings.Join(r.Problems[:3], "; ") + fmt.Sprintf("; and %d more", len(r.Problems)-3)
	}
	return strings.Join(r.Problems, "; ")
}

// checkStall: the application never waited longer than --max-pause plus one second for a
// write. This is the one wall-clock bound of the suite, because it is the safety property
// itself: the servers must release the application within the max pause whatever happens to
// pghandoff (issue 9). It is robust on a loaded machine: an ordinary write takes
// milliseconds and the pause tens of them, so the second of slack is wide; and every fault
// that would lift the stall lasts faultLength, seconds beyond the bound, so a pause that
// the servers do not bound fails by seconds, never by jitter.
func (e *env) checkStall() {
	e.t.Helper()
	worst := e.app.Stall()
	bound := maxPause + stallSlack
	e.t.Logf("stall: the longest wait for a write was %s (client %d's %s from %s); bound %s",
		worst.Latency().Round(time.Millisecond), worst.Client, worst.Kind, worst.Started.Format("15:04:05.000"), bound)
	if worst.Latency() > bound {
		e.t.Errorf("STALL: the application waited %s for a write (%s), more than --max-pause %s + %s",
			worst.Latency().Round(time.Millisecond), worst.Kind, maxPause, stallSlack)
	}
}

// tail is the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
