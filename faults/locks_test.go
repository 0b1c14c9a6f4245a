//go:build faults

package faults

import "testing"

// An application transaction holds a table past every lock attempt: cutover gives up with
// nothing changed, and once the transaction ends, cutover again switches. With --failsafe
// (issue 9, item 1), the aborted attempt once left its failsafe publication and slot behind; a
// plain cutover then switched, and cutover --failsafe to add the failsafe afterwards
// subscribed the old primary from that stale slot while forward replication still ran. Now
// the aborted attempt drops them, and cutover --failsafe after a switch made without the
// failsafe refuses: a failsafe can only start at its own switch.
func TestApplicationHoldsTheLocks(t *testing.T) {
	for _, s := range []scenario{
		{command: cutoverArgs(false), recover: [][]string{cutoverArgs(false)}},
		{command: cutoverArgs(true), recover: [][]string{cutoverArgs(false)}, refuse: [][]string{cutoverArgs(true)}},
	} {
		s.at, s.fault, s.want = atLocks, outlast, atReplica
		t.Run(s.name(), func(t *testing.T) { newEnv(t).play(s) })
	}
}
