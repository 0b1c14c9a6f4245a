package core_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pghandoff/pghandoff/core"
)

// Through PgBouncer under a write workload: a dry run changes nothing; a pause whose replica
// stalls gives up at the max pause with PgBouncer resumed on the primary; then cutover
// switches with nothing lost, reports its pause, waiting clients and LSNs, and a second
// cutover finds it done. No secret shows in any result.
func TestBouncerCutoverUnderLoad(t *testing.T) {
	forEachPairWithBouncer(t, func(t *testing.T, e *bouncerMove) {
		w := startWorkload(t, e.appDSN(), 6)
		waitAcked(t, w, 200)
		dry := e.switchOptions()
		dry.DryRun = true
		res, err := core.Cutover(ctxFor(t, time.Minute), core.CutoverOptions{SwitchOptions: dry})
		if err != nil || res.Switched || !strings.Contains(statementsText(res.Statements), "PAUSE") || !strings.Contains(statementsText(res.Statements), "RESUME") {
			t.Fatalf("dry run: %v\n%s", err, statementsText(res))
		}
		e.pointsAt(e.pair.Primary, e.primaryDB)

		e.abortOnStalledReplica(t)
		waitAcked(t, w, 200)

		res, err = core.Cutover(ctxFor(t, time.Minute), core.CutoverOptions{SwitchOptions: e.switchOptions()})
		split := time.Now()
		if err != nil || !res.Switched || res.Strategy != core.StrategyPgBouncer {
			t.Fatalf("cutover: %v (%s)\n%s\n%s", err, core.Hint(err), statementsText(res), e.b.Log())
		}
		if res.PauseMS <= 0 || res.LockMS <= 0 || res.SourceLSN == "" || res.SentinelLSN == "" || res.TargetLSN == "" || res.Tables != 0 {
			t.Fatalf("the result lacks its measures: %s", statementsText(res))
		}
		t.Logf("pause %.1f ms (PAUSE %.1f ms, catch-up %.1f ms), %d clients waited, %d attempt(s)",
			res.PauseMS, res.LockMS, res.CatchUpMS, res.WaitedStatements, res.LockAttempts)
		e.pointsAt(e.pair.Replica, e.replicaDB)
		waitAcked(t, w, 200)
		checkWorkload(t, w, e.replicaConn(), split)
		again, err := core.Cutover(ctxFor(t, time.Minute), core.CutoverOptions{SwitchOptions: e.switchOptions()})
		if err != nil || !again.AlreadySwitched {
			t.Fatalf("second cutover: %v, %s", err, statementsText(again))
		}
		assertNoSecrets(t, e.m, statementsText(res), statementsText(dry), e.events.text())
		if p := e.m.PgBouncer.Admin.Password(); strings.Contains(statementsText(res)+e.events.text(), p) {
			t.Fatal("PgBouncer's admin password shows in the result or the events")
		}
	})
}

// abortOnStalledReplica cuts over with the replica's apply stopped once PgBouncer has paused:
// the pause gives up at the max pause, and PgBouncer points at the primary, resumed.
func (e *bouncerMove) abortOnStalledReplica(t *testing.T) {
	t.Helper()
	e.events.hook = func(ev core.Event) {
		if strings.Contains(ev.Message, "PgBouncer paused") {
			e.execReplica(`ALTER SUBSCRIPTION ` + e.m.Name + ` DISABLE`)
		}
	}
	opts := e.switchOptions()
	opts.MaxPause = time.Second
	res, err := core.Cutover(ctxFor(t, time.Minute), core.CutoverOptions{SwitchOptions: opts})
	e.events.hook = nil
	if !errors.Is(err, core.ErrAborted) || res.Switched || res.AbortReason == "" {
		t.Fatalf("cutover with the replica stalled: %v, want ErrAborted\n%s", err, statementsText(res))
	}
	t.Logf("aborted after %.1f ms: %s (%v)", res.PauseMS, res.AbortReason, err)
	e.pointsAt(e.pair.Primary, e.primaryDB)
	e.execReplica(`ALTER SUBSCRIPTION ` + e.m.Name + ` ENABLE`)
	e.waitReady()
}

// A failsafe cutover and a rollback through PgBouncer under a write workload lose nothing:
// after both, every acknowledged write is on the old primary exactly once, replication runs
// forward again, and PgBouncer points at the old primary. A rollback again finds it done; a
// cutover without the failsafe then switches, and a rollback after it is refused.
func TestBouncerRollbackUnderLoad(t *testing.T) {
	forEachPairWithBouncer(t, func(t *testing.T, e *bouncerMove) {
		w := startWorkload(t, e.appDSN(), 4)
		waitAcked(t, w, 200)
		res, err := core.Cutover(ctxFor(t, time.Minute), core.CutoverOptions{SwitchOptions: e.switchOptions(), Failsafe: true})
		if err != nil || !res.Switched || res.Failsafe == nil || !res.Failsafe.Subscribed {
			t.Fatalf("cutover --failsafe: %v (%s)\n%s", err, core.Hint(err), statementsText(res))
		}
		e.pointsAt(e.pair.Replica, e.replicaDB)
		waitAcked(t, w, 200)
		back, err := core.Rollback(ctxFor(t, time.Minute), core.RollbackOptions{SwitchOptions: e.switchOptions()})
		if err != nil || !back.RolledBack || back.Phase != core.PhaseReplicating {
			t.Fatalf("rollback: %v (%s)\n%s", err, core.Hint(err), statementsText(back))
		}
		t.Logf("rollback: pause %.1f ms (PAUSE %.1f ms, catch-up %.1f ms), %d clients waited", back.PauseMS, back.LockMS, back.CatchUpMS, back.WaitedStatements)
		e.pointsAt(e.pair.Primary, e.primaryDB)
		waitAcked(t, w, 200)
		checkWorkload(t, w, e.primaryConn(), time.Time{})
		if st := e.waitReady(); st.Direction != "primary → replica" {
			t.Fatalf("status after rollback: %+v", st)
		}
		e.assertSame()
		again, err := core.Rollback(ctxFor(t, time.Minute), core.RollbackOptions{SwitchOptions: e.switchOptions()})
		if err != nil || !again.AlreadyRolledBack {
			t.Fatalf("second rollback: %v, %s", err, statementsText(again))
		}
		if res, err := core.Cutover(ctxFor(t, time.Minute), core.CutoverOptions{SwitchOptions: e.switchOptions()}); err != nil || !res.Switched {
			t.Fatalf("cutover after the rollback: %v (%s)", err, core.Hint(err))
		}
		if _, err := core.Rollback(ctxFor(t, time.Minute), core.RollbackOptions{SwitchOptions: e.switchOptions()}); !errors.Is(err, core.ErrRefused) {
			t.Fatalf("rollback after a cutover without the failsafe: %v, want a refusal", err)
		}
	})
}
