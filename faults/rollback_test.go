//go:build faults

package faults

import (
	"context"
	"fmt"
	"testing"

	"github.com/pghandoff/pghandoff/internal/faultnet"
)

// rollbackArgs is pghandoff rollback with the suite's max pause.
func rollbackArgs() []string { return []string{"rollback", "--max-pause", maxPause.String()} }

// atRollbackSentinel: a rollback's pause holds the locks and waits for its sentinel, which
// travels from the new primary to the old one through the failsafe and waits at the old
// primary's gate.
var atRollbackSentinel = atSentinelOn((*env).primaryNode)

// atStopFailsafe: in a rollback's pause, the sentinel arrived and the failsafe subscription
// was disabled; the pause then records the switch point in the turnaround table of the
// helper schema on the old primary (core/pause_turnaround.go), where the test's lock holds it.
var atStopFailsafe = step{"stopping the failsafe", func(e *env) (func(context.Context) error, func()) {
	table := fmt.Sprintf(`%q.turnaround`, "pghandoff_"+e.name)
	return e.lockBehindSentinelOn(e.primary, e.primary, "LOCK TABLE "+table+" IN ACCESS EXCLUSIVE MODE",
		`locktype = 'relation' AND relation = $1::regclass`, table)
}}

// atRolledBack: a rollback has switched back and, settling, reads the replica's
// publications, where the test's lock on pg_publication (taken once the sentinel is on the
// old primary, so that the failsafe's walsender has sent it) holds it.
var atRolledBack = step{"switched back, before settling", func(e *env) (func(context.Context) error, func()) {
	return e.lockBehindSentinelOn(e.primary, e.replica, "LOCK TABLE pg_catalog.pg_publication IN ACCESS EXCLUSIVE MODE",
		`locktype = 'relation' AND relation = 'pg_catalog.pg_publication'::regclass`+pghandoffSessions)
}}

// Faults at each step of rollback, after a cutover with the failsafe, then rollback again:
// in the end traffic is on the old primary with every acknowledged write, replication runs
// from it into the replica again, nothing runs both ways and no slot is left unconsumed.
func TestFaultsInRollback(t *testing.T) {
	for _, s := range []scenario{
		{at: atLocks, fault: kill},
		{at: atRollbackSentinel, fault: kill},
		{at: atStopFailsafe, fault: kill},
		{at: atRolledBack, fault: kill},
		{at: atRollbackSentinel, fault: freeze(faultLength)},
		{at: atRollbackSentinel, fault: blackHole("old primary", (*env).primaryNode, faultLength)},
		{at: atProxyCommit(faultnet.CloseClient), fault: lostReply},
	} {
		s.before, s.command = [][]string{cutoverArgs(true)}, rollbackArgs()
		s.recover, s.want = [][]string{rollbackArgs()}, atPrimary
		t.Run(s.name(), func(t *testing.T) { newEnv(t).play(s) })
	}
}
