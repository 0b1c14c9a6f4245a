//go:build faults

package faults

import (
	"time"

	"github.com/pghandoff/pghandoff/internal/workload"
)

// appClients is how many clients the application runs: three writing one statement at a
// time, one in explicit transactions (see workload.Start).
const appClients = 4

// migrate creates schema (the workload's when empty) on the primary, sets up replication
// with setupArgs, waits for the replica to catch up and creates the proxy: a migration ready
// to cut over, as the README's steps make it.
func (e *env) migrate(schema string, setupArgs ...string) {
	e.t.Helper()
	if schema == "" {
		schema = workload.Schema
	}
	e.primary.exec(e.t, schema)
	e.must(append([]string{"setup"}, setupArgs...)...)
	e.must("wait", "--timeout", "2m", "--interval", "200ms")
	if e.bouncer != nil {
		e.bouncer.create(e)
		return
	}
	e.must("proxy", "create")
}

// startApp starts the application writing through the proxy (straight to it: the
// forwarders carry only the migration's own connections) and the watch on replication's
// direction, and waits for some writes to be acknowledged.
func (e *env) startApp() {
	e.t.Helper()
	w, err := workload.Start(ctxFor(e.t, time.Minute), e.appDSN(), appClients)
	if err != nil {
		e.t.Fatal(err)
	}
	e.app = w
	e.t.Cleanup(func() { w.StopWithin(10 * time.Second) })
	e.watchDirections()
	e.appWrites(100)
}

// appDSN is what the application connects to: the proxy, or PgBouncer.
func (e *env) appDSN() string {
	if e.bouncer != nil {
		return e.bouncer.appDSN(e)
	}
	return e.proxy.direct()
}

// appWrites waits for n more acknowledged inserts.
func (e *env) appWrites(n int) {
	e.t.Helper()
	if err := e.app.WaitAcked(ctxFor(e.t, time.Minute), n); err != nil {
		e.t.Fatalf("the application: %v", err)
	}
}

// cutoverArgs are the arguments of a cutover of the suite, with --failsafe when asked.
func cutoverArgs(failsafe bool) []string {
	args := []string{"cutover", "--max-pause", maxPause.String()}
	if failsafe {
		args = append(args, "--failsafe")
	}
	return args
}
