//go:build faults

package faults

import "testing"

// SIGKILL at each step of cutover and cutover --failsafe, then the command again (after a
// kill that left forward replication stopped, setup first, which issue 9 says repairs it).
// Subtests are named fault/command/step; a recovery other than the same command shows in
// the row.
func TestKillAtEachStep(t *testing.T) {
	again := func(failsafe bool) [][]string { return [][]string{cutoverArgs(failsafe)} }
	for _, s := range []scenario{
		{command: cutoverArgs(false), at: atLocks, recover: again(false)},
		{command: cutoverArgs(false), at: atSentinel, recover: again(false)},
		{command: cutoverArgs(true), at: atLocks, recover: again(true)},
		{command: cutoverArgs(true), at: atSentinel, recover: again(true)},
		{command: cutoverArgs(true), at: atStopForward, recover: [][]string{{"setup"}, cutoverArgs(true)}},
		{command: cutoverArgs(true), at: atSwitched, recover: again(true)},
		// The operator runs cutover without --failsafe this time: it must finish the failsafe
		// or clean up its slot, which otherwise keeps the new primary's WAL (issue 9, item 5).
		{command: cutoverArgs(true), at: atSwitched, recover: again(false)},
		{command: cutoverArgs(true), at: atFailsafeSubscription, recover: again(true)},
	} {
		s.fault, s.want = kill, atReplica
		t.Run(s.name(), func(t *testing.T) { newEnv(t).play(s) })
	}
}
