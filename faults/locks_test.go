//go:build faults

package faults

import "testing"

// An application transaction holds a table past every lock attempt: cutover gives up with
// nothing changed, and once the transaction ends, cutover again switches. With --failsafe
// (issue 9, item 1), the aborted attempt leaves its failsafe publication and slot behind; a
// plain cutover then switches, and cutover --failsafe to add the failsafe afterwards must not
// subscribe the old primary from that stale slot while forward replication still runs.
func TestApplicationHoldsTheLocks(t *testing.T) {
	for _, s := range []scenario{
		{command: cutoverArgs(false), recover: [][]string{cutoverArgs(false)}},
		{command: cutoverArgs(true), recover: [][]string{cutoverArgs(false), cutoverArgs(true)}},
	} {
		s.at, s.fault, s.want = atLocks, outlast, atReplica
		t.Run(s.name(), func(t *testing.T) { newEnv(t).play(s) })
	}
}
