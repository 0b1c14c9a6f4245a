package core

import (
	"fmt"
)

// judge sets the verdict from what the checks found.
func judge(st *Status, pst primaryState) {
	broken := func(format string, args ...any) {
		st.Reasons = append(st.Reasons, fmt.Sprintf(format, args...))
		st.State = StateBroken
	}
	// A late sentinel alone means catching up: under a backlog it waits its turn.
	st.State = StateCatchingUp
	switch {
	case !pst.publication:
		broken("the publication %s is missing on the primary: run setup again", st.Name)
	case st.Slot == nil:
		broken("the replication slot %s is missing on the primary: run setup again", st.Name)
	case st.Slot.WALStatus == "lost":
		broken("the primary has removed WAL the slot needed (wal_status lost): replication cannot resume; tear down and set up again")
	case st.Slot.WALStatus == "unreserved":
		st.Warnings = append(st.Warnings, "the slot's WAL is no longer reserved (wal_status unreserved): the primary will drop it at the next checkpoint unless the replica catches up; raise max_slot_wal_keep_size")
	}
	switch {
	case st.Subscription == nil:
		broken("the subscription %s is missing on the replica: run setup again", st.Name)
	case !st.Subscription.Enabled:
		broken("the subscription %s is disabled on the replica: ALTER SUBSCRIPTION %s ENABLE, or run setup again", st.Name, ident(st.Name))
	case !st.Subscription.WorkerRunning:
		broken("the replica's apply worker for %s is not running: check the replica's log for errors", st.Name)
	}
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
