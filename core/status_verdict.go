package core

import (
	"fmt"
	"time"
)

// judge sets the verdict from what the checks found. Its advice never makes changes flow both
// ways: a missing or stopped piece is put back by the command that knows which direction is
// right (setup forward, cutover for the failsafe), never by enabling a subscription by hand.
func judge(st *Status, s stream, ss streamState, phase PhaseRecord) {
	broken := func(format string, args ...any) {
		st.Reasons = append(st.Reasons, fmt.Sprintf(format, args...))
		st.State = StateBroken
	}
	// A late sentinel alone means catching up: under a backlog it waits its turn.
	st.State = StateCatchingUp
	judgePhase(st, phase, broken)
	fix := "run " + string(s.settleBy) + " again"
	switch {
	case !ss.publication:
		broken("the publication %s is missing on the %s: %s", s.name, s.source.role, fix)
	case st.Slot == nil:
		broken("the replication slot %s is missing on the %s: %s", s.name, s.source.role, fix)
	case st.Slot.WALStatus == "lost":
		broken("the %s has removed WAL the slot %s needed (wal_status lost): replication cannot resume; tear down and set up again", s.source.role, s.name)
	case st.Slot.WALStatus == "unreserved":
		st.Warnings = append(st.Warnings, fmt.Sprintf("the slot %s's WAL is no longer reserved (wal_status unreserved): the %s will drop it at the next checkpoint unless its subscriber catches up; raise max_slot_wal_keep_size", s.name, s.source.role))
	}
	switch sub := st.Subscription; {
	case sub == nil:
		broken("the subscription %s is missing on the %s: %s", s.name, s.target.role, fix)
	case !sub.Enabled && !phase.ForwardStopped:
		broken("the subscription %s is disabled on the %s: %s; it turns it on when that is safe", s.name, s.target.role, fix)
	case !sub.WorkerRunning && sub.Enabled && !st.Schema.explainsStop():
		broken("the %s's apply worker for %s is not running%s: check the %s's log for errors", s.target.role, s.name, errorCount(sub), s.target.role)
	}
	judgeSchema(st, broken)
	notReady := len(st.Tables) - st.TableCounts["ready"]
	if st.Subscription != nil && notReady > 0 {
		st.Reasons = append(st.Reasons, fmt.Sprintf("%d of %d tables are not replicating yet (initial copy)", notReady, len(st.Tables)))
	}
	if st.Subscription != nil && len(st.Tables) == 0 {
		st.Reasons = append(st.Reasons, "the subscription has no tables yet")
	}
	if st.LagBytes != nil && *st.LagBytes > st.MaxLagBytes {
		st.Reasons = append(st.Reasons, fmt.Sprintf("lag is %d bytes, above the %d allowed", *st.LagBytes, st.MaxLagBytes))
	}
	if len(st.Reasons) == 0 {
		st.State, st.Ready = StateReady, true
	}
}

// judgePhase adds what the recorded phase says needs a person.
func judgePhase(st *Status, phase PhaseRecord, broken func(string, ...any)) {
	at := phase.At.Format(time.RFC3339)
	switch {
	case phase.Phase == PhaseSwitching:
		broken("a cutover began its pause at %s and did not record how it ended: run cutover again; it reads where the proxy points, then finishes the switch or puts replication back", at)
	case phase.Phase == PhaseRollingBack:
		broken("a rollback began its pause at %s and did not record how it ended: run rollback again; it reads where the proxy points, then finishes or undoes it", at)
	case phase.ForwardStopped:
		broken("an aborted failsafe cutover at %s left replication from the primary off: run setup; it turns it on again", at)
	case phase.Phase == PhaseSwitched && !phase.Failsafe:
		st.Warnings = append(st.Warnings, fmt.Sprintf("traffic goes to the replica since %s; replication from the old primary still runs and carries writes made straight on it", at))
	}
}
