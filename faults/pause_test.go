//go:build faults

package faults

import "testing"

// While the pause holds the application, pghandoff freezes or loses its network for longer
// than --max-pause: the servers must release the application within the max pause (issue 9,
// item 3), and what pghandoff reports when it comes back must be true. Then cutover again.
func TestPauseOutlivesMaxPause(t *testing.T) {
	for _, f := range []fault{
		freeze(faultLength),
		blackHole("replica", (*env).replicaNode, faultLength),
		blackHole("proxy", (*env).proxyNode, faultLength),
	} {
		s := scenario{command: cutoverArgs(false), at: atSentinel, fault: f,
			recover: [][]string{cutoverArgs(false)}, want: atReplica}
		t.Run(s.name(), func(t *testing.T) { newEnv(t).play(s) })
	}
}
