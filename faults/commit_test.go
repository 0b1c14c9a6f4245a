//go:build faults

package faults

import "testing"

// The proxy commits the switch and the reply is lost on the way back (issue 9, item 2):
// pghandoff must find out where traffic points and say so, and act on it, then a re-run
// converges. With --failsafe, acting on a wrong guess re-enables forward replication on a
// switched migration, and the re-run then replicates both ways.
func TestLostCommitReply(t *testing.T) {
	for _, failsafe := range []bool{false, true} {
		s := scenario{command: cutoverArgs(failsafe), at: atProxyCommit, fault: lostReply,
			recover: [][]string{cutoverArgs(failsafe)}, want: atReplica}
		t.Run(s.name(), func(t *testing.T) { newEnv(t).play(s) })
	}
}

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
