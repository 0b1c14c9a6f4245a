package core_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pghandoff/pghandoff/core"
	"github.com/pghandoff/pghandoff/internal/pgtest"
	"github.com/pghandoff/pghandoff/internal/workload"
)

// A failsafe cutover and a rollback under a write workload through the proxy lose nothing:
// after both, every acknowledged write is on the old primary exactly once; replication runs
// from it into the replica again (status ready, forward), with no failsafe left; and the
// migration can be cut over again. Rollback refuses without the failsafe.
func TestRollbackUnderLoad(t *testing.T) {
	forEachPairWithProxy(t, func(t *testing.T, e *proxyEnv) {
		e.setUp(workload.Schema)
		w := startWorkload(t, e.proxy.DSN(e.proxyDB), 4)
		waitAcked(t, w, 200)
		opts := e.cutoverOptions()
		opts.Failsafe = true
		if res, err := core.Cutover(ctxFor(t, time.Minute), opts); err != nil || !res.Switched {
			t.Fatalf("cutover --failsafe: %v (%s)\n%s", err, core.Hint(err), statementsText(res))
		}
		waitAcked(t, w, 200)
		st, err := core.GetStatus(ctxFor(t, time.Minute), e.statusOptions())
		if err != nil || st.Phase != core.PhaseSwitched || st.Direction != "replica → old primary (failsafe)" {
			t.Fatalf("status after a failsafe cutover: %v, %+v", err, st)
		}
		res, err := core.Rollback(ctxFor(t, time.Minute), core.RollbackOptions{SwitchOptions: e.cutoverOptions().SwitchOptions})
		if err != nil || !res.RolledBack || res.Phase != core.PhaseReplicating {
			t.Fatalf("rollback: %v (%s)\n%s", err, core.Hint(err), statementsText(res))
		}
		t.Logf("rollback: pause %.1f ms (locks %.1f ms, catch-up %.1f ms), %d statements waited", res.PauseMS, res.LockMS, res.CatchUpMS, res.WaitedStatements)
		if !e.proxyPointsAt(e.pair.Primary.Port, e.primaryDB) {
			t.Fatal("the proxy does not point at the old primary after rollback")
		}
		waitAcked(t, w, 200)
		checkWorkload(t, w, e.primaryConn(), time.Time{})
		st = e.waitReady()
		if st.Direction != "primary → replica" || st.Phase != core.PhaseReplicating {
			t.Fatalf("status after rollback: %+v", st)
		}
		e.assertSame()
		if n := e.queryInt(false, `SELECT count(*) FROM pg_subscription WHERE subname = $1`, e.m.Name+"_failsafe"); n != 0 {
			t.Fatal("the failsafe subscription is still on the old primary")
		}
		again, err := core.Rollback(ctxFor(t, time.Minute), core.RollbackOptions{SwitchOptions: e.cutoverOptions().SwitchOptions})
		if err != nil || !again.AlreadyRolledBack {
			t.Fatalf("second rollback: %v, %+v", err, again)
		}
		if res, err := core.Cutover(ctxFor(t, time.Minute), e.cutoverOptions()); err != nil || !res.Switched {
			t.Fatalf("cutover after the rollback: %v (%s)", err, core.Hint(err))
		}
		if _, err := core.Rollback(ctxFor(t, time.Minute), core.RollbackOptions{SwitchOptions: e.cutoverOptions().SwitchOptions}); !errors.Is(err, core.ErrRefused) {
			t.Fatalf("rollback after a cutover without the failsafe: %v, want a refusal", err)
		}
	})
}

// After a switch, a write made straight on the old primary (a job bypassing the proxy) is
// reported, loudly, by status and by cutover run again.
func TestBypassingWritesReported(t *testing.T) {
	e := newProxyEnv(t, pgtest.Pairs(t)[0])
	e.setUp(workload.Schema)
	opts := e.cutoverOptions()
	opts.Failsafe = true
	if _, err := core.Cutover(ctxFor(t, time.Minute), opts); err != nil {
		t.Fatalf("cutover --failsafe: %v (%s)", err, core.Hint(err))
	}
	e.execPrimary(`INSERT INTO public.ledger (client, n) VALUES (-7, 1)`)
	st, err := core.GetStatus(ctxFor(t, time.Minute), e.statusOptions())
	if err != nil || len(st.BypassWrites) != 1 || st.BypassWrites[0].Table != "public.ledger" || !containsText(st.Warnings, "BYPASSED") {
		t.Fatalf("status after a write on the old primary: %v, %+v", err, st)
	}
	res, err := core.Cutover(ctxFor(t, time.Minute), opts)
	if err != nil || !containsText(res.Warnings, "public.ledger") {
		t.Fatalf("cutover again after a write on the old primary: %v, %+v", err, res.Warnings)
	}
}

func containsText(list []string, s string) bool {
	for _, l := range list {
		if strings.Contains(l, s) {
			return true
		}
	}
	return false
}
