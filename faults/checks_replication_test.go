//go:build faults

package faults

import (
	"strings"
	"time"
)

// checkOneWay: replication never ran both ways during the scenario, and is not set to.
func (e *env) checkOneWay() {
	e.t.Helper()
	if e.directions != nil {
		bothWays, err := e.directions.verdict()
		if err != nil {
			e.t.Errorf("the watch on replication's direction failed: %v", err)
		}
		if bothWays != "" {
			e.t.Errorf("BOTH WAYS: %s", bothWays)
		}
	}
	if fwd, back := e.forward(), e.failsafe(); fwd.enabled && back.enabled {
		e.t.Errorf("BOTH WAYS: at the end the forward subscription is %s and the failsafe %s", fwd, back)
	}
}

// slotSettle is how long a slot may stay inactive before it counts as having no consumer: a
// subscription's worker restarts within wal_retrieve_retry_interval (200 ms on the test
// clusters) and connects at once.
const slotSettle = 5 * time.Second

// checkSlots: every replication slot of the migration has a consumer; one without keeps
// WAL on its server for ever.
func (e *env) checkSlots() {
	e.t.Helper()
	var idle []slot
	err := waitFor(ctxFor(e.t, slotSettle), func() (bool, error) {
		idle = idle[:0]
		for _, s := range e.slots() {
			if !s.active {
				idle = append(idle, s)
			}
		}
		return len(idle) == 0, nil
	})
	if err != nil {
		names := make([]string, len(idle))
		for i, s := range idle {
			names[i] = s.String()
		}
		e.t.Errorf("SLOTS: %d slot(s) with no consumer for %s: %s", len(idle), slotSettle, strings.Join(names, "; "))
	}
}
