//go:build faults

package faults

import (
	"testing"
	"time"
)

// While a cutover holds its pause, proxy remove given only the proxy (as the seed scripts'
// rm-proxy.sh is run) must be refused by the migration's operation lock, and change nothing
// (issue 9, item 8: the lock lives on whichever server an operation reaches first, the
// primary for cutover, the proxy here).
func TestOperationLockAcrossServers(t *testing.T) {
	e := newEnv(t)
	e.migrate("")
	e.startApp()
	e.hangAfter = hungAfterLostReply
	reached, release := atSentinel.arrange(e)
	cutover := e.start(cutoverArgs(false)...)
	if err := reached(ctxFor(t, e.hangAfter)); err != nil {
		t.Fatalf("the cutover never waited for its sentinel: %v", err)
	}
	remove := e.finish(e.startWith([]*node{e.proxy}, "proxy", "remove"), "proxy", "remove")
	tables := e.proxyForeignTables()
	release()
	e.finish(cutover, cutoverArgs(false)...)
	if remove.res.Code == 0 || tables == 0 {
		t.Errorf("OPLOCK: %s during a cutover's pause, which left %d foreign tables on the proxy; it should have been refused with nothing changed\n%s",
			remove, tables, tail(remove.res.Stderr, 4))
	}
	if tables == 0 {
		e.app.StopWithin(10 * time.Second)
		t.Fatalf("the application has no proxy left (%d of its writes failed, the first: %v): nothing more to check",
			len(e.app.Failures()), firstError(e.app.Failures()))
	}
	e.recoverWith(cutoverArgs(false))
	e.checkConverged(atReplica, nil)
	e.checkAll()
}

func (e *env) proxyForeignTables() int {
	var n int
	e.proxy.scan(e.t, `SELECT count(*) FROM pg_foreign_table`, &n)
	return n
}

func firstError(errs []error) error {
	if len(errs) == 0 {
		return nil
	}
	return errs[0]
}
