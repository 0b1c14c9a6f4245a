//go:build faults

package faults

import "testing"

// The PgBouncer strategy under the faults that matter most for a pause that PgBouncer never
// ends by itself, at the step where the pause holds the application (waiting for the
// sentinel), with and without the failsafe: pghandoff killed (SIGKILL of its process group;
// its watchdog, in a session of its own, sees its pipe close and resumes at once), and frozen
// well past the max pause (the watchdog resumes at the max pause plus its margin; pghandoff,
// thawed, finds the pause over and reports it aborted). Then pghandoff killed once switched,
// before the failsafe subscription, and a rollback killed mid-pause. Each time the command
// again converges, nothing acknowledged is lost, the application never waits longer than
// --max-pause + 1 s, and PgBouncer is not left paused.
func TestPgBouncerFaults(t *testing.T) {
	rollback := []string{"rollback", "--max-pause", maxPause.String()}
	for _, s := range []scenario{
		{command: cutoverArgs(false), at: atSentinel, fault: kill},
		{command: cutoverArgs(true), at: atSentinel, fault: kill},
		{command: cutoverArgs(false), at: atSentinel, fault: freeze(faultLength)},
		{command: cutoverArgs(true), at: atSentinel, fault: freeze(faultLength)},
		{command: cutoverArgs(true), at: atSwitched, fault: kill},
		{before: [][]string{cutoverArgs(true)}, command: rollback, at: atSentinelOn((*env).primaryNode), fault: kill, want: atPrimary},
	} {
		s.recover = [][]string{s.command}
		if s.want == "" {
			s.want = atReplica
		}
		t.Run("pgbouncer/"+s.name(), func(t *testing.T) { newBouncerEnv(t).play(s) })
	}
}
