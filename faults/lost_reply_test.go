//go:build faults

package faults

import (
	"testing"
	"time"

	"github.com/pghandoff/pghandoff/internal/faultnet"
)

// The proxy commits the switch and the reply is lost on the way back (issue 9, item 2):
// pghandoff must find out where traffic points and say so, and act on it, then a re-run
// converges. With --failsafe, acting on a wrong guess re-enables forward replication on a
// switched migration, and the re-run then replicates both ways.
//
// With the connection held open instead, nothing ever answers the COMMIT: pghandoff must
// not wait for ever (it is given hungAfter), and must still find out and say where traffic
// points.
func TestLostCommitReply(t *testing.T) {
	for _, s := range []scenario{
		{command: cutoverArgs(false), at: atProxyCommit(faultnet.CloseClient), recover: [][]string{cutoverArgs(false)}},
		{command: cutoverArgs(true), at: atProxyCommit(faultnet.CloseClient), recover: [][]string{cutoverArgs(true)}},
		{command: cutoverArgs(false), at: atProxyCommit(faultnet.HoldClient), recover: [][]string{cutoverArgs(false)}},
	} {
		s.fault, s.want = lostReply, atReplica
		t.Run(s.name(), func(t *testing.T) {
			e := newEnv(t)
			e.hangAfter = hungAfterLostReply
			e.play(s)
		})
	}
}

// hungAfterLostReply is how long a command may wait for an answer that never comes: far
// beyond the max pause, far below commandTimeout.
const hungAfterLostReply = 30 * time.Second
