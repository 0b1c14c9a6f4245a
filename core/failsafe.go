package core

import (
	"context"
	"fmt"
	"hash/fnv"
	"time"
)

// The failsafe is logical replication back, from the replica (the new primary after cutover)
// to the old primary, so that going back after a cutover (rollback) loses nothing: a
// publication and a slot on the replica, a subscription on the old primary. It starts
// exactly at the switch and carries none of the changes that came from the old primary in
// the first place: the pause turns replication around (pause_turnaround.go), and settling
// after the switch subscribes the old primary from there and takes the forward subscription
// off its slot (settle.go). Rollback turns it around again.

// failsafeName names the failsafe publication, slot and subscription: the migration's name
// with a suffix, shortened with a hash to fit a slot name's 63 characters.
func (m Migration) failsafeName() string {
	const suffix = "_failsafe"
	name := m.name()
	if len(name)+len(suffix) <= 63 {
		return name + suffix
	}
	h := fnv.New32a()
	h.Write([]byte(name))
	return fmt.Sprintf("%s_%08x%s", name[:63-len(suffix)-9], h.Sum32(), suffix)
}

// FailsafeInfo describes the replication back to the old primary that a cutover set up.
type FailsafeInfo struct {
	Publication  string `json:"publication"`  // on the replica
	Slot         string `json:"slot"`         // on the replica
	Subscription string `json:"subscription"` // on the old primary
	// StartLSN is the replica's WAL position at the switch: the old primary receives every
	// change the replica makes after it, and none before.
	StartLSN string `json:"start_lsn,omitempty"`
	// ForwardDetached: the primary → replica subscription is off its slot, which was dropped.
	ForwardDetached bool `json:"forward_detached"`
	Subscribed      bool `json:"subscribed"` // the old primary's subscription exists
}

// readFailsafeInfo reads what there is of the failsafe.
func readFailsafeInfo(ctx context.Context, primary, replica *server, m Migration) (*FailsafeInfo, error) {
	name := m.failsafeName()
	info := &FailsafeInfo{Publication: name, Slot: name, Subscription: name}
	fs, err := readFailsafeState(ctx, primary, replica, m)
	if err != nil {
		return info, err
	}
	info.Subscribed = fs.subscription != nil
	rst, err := readReplicaState(ctx, replica, m)
	if err != nil {
		return info, err
	}
	info.ForwardDetached = rst.subscription != nil && rst.subscription.slotName == nil
	err = replica.conn.QueryRow(ctx, `SELECT coalesce((SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = $1), '')`, name).Scan(&info.StartLSN)
	if err != nil {
		return info, fmt.Errorf("replica: read the failsafe slot: %w", err)
	}
	if info.Subscribed {
		info.StartLSN = "" // the slot has moved on since the switch
		if exists, err := replica.exists(ctx, "SELECT to_regclass($1) IS NOT NULL", m.turnaroundTable()); err == nil && exists {
			_ = replica.conn.QueryRow(ctx, "SELECT start_lsn::text FROM "+m.turnaroundTable()+" ORDER BY at DESC LIMIT 1").Scan(&info.StartLSN)
		}
	}
	return info, nil
}

// failsafeState is what exists of the failsafe.
type failsafeState struct {
	publication  bool
	slot         *slotState // on the replica
	subscription *subscriptionState
}

func readFailsafeState(ctx context.Context, primary, replica *server, m Migration) (failsafeState, error) {
	var st failsafeState
	name := m.failsafeName()
	if replica != nil {
		var err error
		if st.publication, err = replica.exists(ctx, "SELECT EXISTS (SELECT 1 FROM pg_publication WHERE pubname = $1)", name); err != nil {
			return st, fmt.Errorf("replica: read failsafe publication: %w", err)
		}
		var slot slotState
		err = replica.conn.QueryRow(ctx, `SELECT active, coalesce(database, '') FROM pg_replication_slots WHERE slot_name = $1`, name).
			Scan(&slot.active, &slot.database)
		switch {
		case err == nil:
			st.slot = &slot
		case err != errNoRows:
			return st, fmt.Errorf("replica: read failsafe slot: %w", err)
		}
	}
	if primary != nil {
		var sub subscriptionState
		err := primary.conn.QueryRow(ctx, `SELECT s.oid::int8, s.subenabled, s.subslotname FROM pg_subscription s
			JOIN pg_database d ON d.oid = s.subdbid WHERE s.subname = $1 AND d.datname = current_database()`, name).
			Scan(&sub.oid, &sub.enabled, &sub.slotName)
		switch {
		case err == nil:
			st.subscription = &sub
		case err != errNoRows:
			return st, fmt.Errorf("primary: read failsafe subscription: %w", err)
		}
	}
	return st, nil
}

// dropFailsafeSubscription removes the old primary's failsafe subscription, detached from its
// slot first so that the drop works whether or not the replica is reachable.
func dropFailsafeSubscription(ctx context.Context, r *runner, primary *server, m Migration, sub *subscriptionState) error {
	name := ident(m.failsafeName())
	if sub.enabled {
		if err := r.exec(ctx, primary, "ALTER SUBSCRIPTION "+name+" DISABLE", ""); err != nil {
			return err
		}
	}
	if sub.slotName != nil {
		if err := r.exec(ctx, primary, "ALTER SUBSCRIPTION "+name+" SET (slot_name = NONE)", ""); err != nil {
			return err
		}
	}
	return r.exec(ctx, primary, "DROP SUBSCRIPTION "+name, "")
}

// waitSlotFree waits for a slot's consumer to go away after its subscription was disabled.
func waitSlotFree(ctx context.Context, s *server, slot string, d time.Duration) (bool, error) {
	deadline := time.Now().Add(d)
	for {
		var active bool
		err := s.conn.QueryRow(ctx, `SELECT active FROM pg_replication_slots WHERE slot_name = $1`, slot).Scan(&active)
		if err == errNoRows || err == nil && !active {
			return true, nil
		}
		if err != nil {
			return false, fmt.Errorf("%s: read slot %s: %w", s.role, slot, err)
		}
		if time.Now().After(deadline) {
			return false, nil
		}
		if err := sleep(ctx, 50*time.Millisecond); err != nil {
			return false, err
		}
	}
}
