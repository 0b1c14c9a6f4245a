//go:build faults

package faults

import (
	"context"
	"fmt"

	"github.com/pghandoff/pghandoff/internal/faultnet"
)

// step is a moment inside a pghandoff command that a fault hits. arrange runs before the
// command starts and holds, on the servers, something the command will wait for at the
// step; reached then blocks until the command is there, read on the servers (a lock it waits
// for), never guessed from timing; release lets go of what arrange held. A step of a new
// command (rollback) is one more value of this type.
type step struct {
	name    string
	arrange func(e *env) (reached func(context.Context) error, release func())
}

// atLocks: the pause is taking its locks, held up by an application transaction that read a
// foreign table. With --failsafe, the failsafe's publication and slot exist by then.
var atLocks = step{"taking the locks", func(e *env) (func(context.Context) error, func()) {
	held := e.holdAppTransaction()
	reached := func(ctx context.Context) error {
		return held.waiting(ctx, `locktype = 'relation' AND mode = 'AccessExclusiveLock' AND
			database = (SELECT oid FROM pg_database WHERE datname = current_database())`)
	}
	return reached, held.release
}}

// atSentinel: the pause holds the locks and waits for its sentinel, which the replica holds
// back at the gate.
var atSentinel = atSentinelOn((*env).replicaNode)

// atSentinelOn is atSentinel for a pause whose sentinel arrives on another node: a rollback's
// travels from the new primary to the old one, through the failsafe.
func atSentinelOn(arrives func(*env) *node) step {
	return step{"waiting for the sentinel", func(e *env) (func(context.Context) error, func()) {
		gate := e.installGate(arrives(e))
		return gate.reached, gate.open
	}}
}

// atStopForward: in a --failsafe pause, the sentinel arrived and the forward subscription
// was disabled; the pause then records the switch point in a table of its helper schema on
// the replica (core/pause_turnaround.go), where the test's lock holds it.
var atStopForward = step{"stopping forward replication", func(e *env) (func(context.Context) error, func()) {
	table := fmt.Sprintf(`%q.turnaround`, "pghandoff_"+e.name)
	return e.lockBehindSentinel(e.replica, "LOCK TABLE "+table+" IN ACCESS EXCLUSIVE MODE",
		`locktype = 'relation' AND relation = $1::regclass`, table)
}}

// atSwitched: a --failsafe cutover has switched and, before it creates the failsafe
// subscription, reads the old primary's subscriptions, where the test's ACCESS EXCLUSIVE lock
// on pg_subscription (a catalog the cluster's databases share; held for milliseconds) holds
// it. The lock is taken once the pause waits for its sentinel: before, the cutover reads
// pg_subscription too.
var atSwitched = step{"switched, before the failsafe subscription", func(e *env) (func(context.Context) error, func()) {
	return e.lockBehindSentinel(e.primary, "LOCK TABLE pg_catalog.pg_subscription IN ACCESS EXCLUSIVE MODE",
		subscriptionsLockedBy+pghandoffSessions)
}}

// lockBehindSentinel holds the pause at the sentinel gate, then takes lock on n and opens
// the gate: the command goes on until it waits for the lock (where, with args, finds that
// wait in pg_locks). For steps after the sentinel whose lock the command meets earlier too.
func (e *env) lockBehindSentinel(n *node, lock, where string, args ...any) (func(context.Context) error, func()) {
	return e.lockBehindSentinelOn(e.replica, n, lock, where, args...)
}

// lockBehindSentinelOn is lockBehindSentinel for a pause whose sentinel arrives on arrives.
func (e *env) lockBehindSentinelOn(arrives, n *node, lock, where string, args ...any) (func(context.Context) error, func()) {
	gate := e.installGate(arrives)
	var held *heldLock
	reached := func(ctx context.Context) error {
		if err := gate.reached(ctx); err != nil {
			return err
		}
		held = holdLock(e.t, n.direct(), lock)
		gate.open()
		return held.waiting(ctx, where, args...)
	}
	release := func() {
		gate.open()
		if held != nil {
			held.release()
		}
	}
	return reached, release
}

// atFailsafeSubscription: a --failsafe cutover has switched and creates the failsafe
// subscription, which waits for the test's lock on pg_subscription. Killed then, pghandoff
// leaves its statement to the server, which completes it once the lock goes.
var atFailsafeSubscription = step{"switched, creating the failsafe subscription", func(e *env) (func(context.Context) error, func()) {
	held := holdLock(e.t, e.primary.direct(), "LOCK TABLE pg_catalog.pg_subscription IN SHARE MODE")
	reached := func(ctx context.Context) error {
		return held.waiting(ctx, subscriptionsLockedBy+pghandoffSessions)
	}
	return reached, held.release
}}

// Conditions on pg_locks: a wait for pg_subscription, by one of pghandoff's own sessions
// (core names them "pghandoff <operation>"), not the replication launcher or the suite's watch.
const (
	subscriptionsLockedBy = `locktype = 'relation' AND relation = 'pg_catalog.pg_subscription'::regclass`
	pghandoffSessions     = ` AND pid IN (SELECT pid FROM pg_stat_activity WHERE application_name LIKE 'pghandoff%')`
)

// atProxyCommit: the pause commits on the proxy; the proxy's forwarder lets the COMMIT
// through and loses the reply, once the proxy has committed, then closes the connection
// (or holds it open, silent). The fault is in the step.
func atProxyCommit(after faultnet.AfterDrop) step {
	name := map[faultnet.AfterDrop]string{faultnet.CloseClient: "COMMIT on the proxy", faultnet.HoldClient: "COMMIT on the proxy, connection held"}[after]
	return step{name, func(e *env) (func(context.Context) error, func()) {
		return e.dropCommitReply(after)
	}}
}

func (e *env) dropCommitReply(after faultnet.AfterDrop) (func(context.Context) error, func()) {
	dropped := e.proxy.fw.DropReply(faultnet.EndsTransaction, after)
	reached := func(ctx context.Context) error {
		select {
		case <-dropped:
			return nil
		case <-ctx.Done(): // the command may end at once after the lost reply: look again
			select {
			case <-dropped:
				return nil
			default:
				return ctx.Err()
			}
		}
	}
	return reached, func() { e.proxy.fw.DropReply(func(faultnet.Message) bool { return false }, faultnet.CloseClient) }
}
