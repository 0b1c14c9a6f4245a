package core

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Settling: bringing a migration to the state that where its traffic goes calls for. A pause
// that ended normally settles at once; one that crashed, lost a server or lost its outcome
// leaves work undone, and the next command that knows where traffic goes (cutover, rollback,
// or setup given the proxy) settles it. Each step checks what is there first, so settling
// twice changes nothing the second time.
//
// Traffic on the primary: replication runs from the primary to the replica, and nothing runs
// back (no failsafe), whatever a pause had begun.
// Traffic on the replica after a failsafe switch: replication runs back from the replica to
// the old primary, starting at the switch, and the primary → replica subscription is off its
// slot, which is dropped: it can neither run again by mistake (changes would loop) nor hold
// WAL on the old primary.

// settleOnPrimary makes replication run from the primary to the replica only. It returns
// what it did.
func settleOnPrimary(ctx context.Context, r *runner, primary, replica *server, m Migration) ([]string, error) {
	var done []string
	say := func(format string, args ...any) { done = append(done, fmt.Sprintf(format, args...)) }
	fs, err := readFailsafeState(ctx, primary, replica, m)
	if err != nil {
		return done, err
	}
	// The way back goes first: with it gone, nothing can loop when the forward subscription runs.
	if fs.subscription != nil {
		if err := dropFailsafeSubscription(ctx, r, primary, m, fs.subscription); err != nil {
			return done, err
		}
		say("dropped the failsafe subscription %s on the primary: traffic is on the primary", m.failsafeName())
	}
	if removed, err := dropFailsafeOnReplica(ctx, r, replica, m, fs); err != nil {
		return done, err
	} else if removed {
		say("dropped the failsafe's publication and slot %s on the replica", m.failsafeName())
	}
	rst, err := readReplicaState(ctx, replica, m)
	if err != nil || rst.subscription == nil {
		return done, err
	}
	if rst.subscription.slotName == nil {
		if err := attachForward(ctx, r, primary, replica, m); err != nil {
			return done, err
		}
		say("attached the subscription %s on the replica to its slot on the primary again", m.name())
	}
	if !rst.subscription.enabled {
		if err := r.exec(ctx, replica, "ALTER SUBSCRIPTION "+ident(m.name())+" ENABLE", ""); err != nil {
			return done, withHint(err, remedy("replication from the primary is off; run ", CmdSetup, " once the replica is reachable: it turns it on again"))
		}
		say("enabled the subscription %s on the replica again: replication from the primary resumes where it stopped", m.name())
	}
	if dropped, err := dropBypassWatch(ctx, r, primary, m); err != nil {
		return done, err
	} else if dropped {
		say("removed the watch for writes made straight on the primary: traffic is there")
	}
	return done, recordPhase(ctx, r, primary, m, PhaseRecord{Phase: PhaseReplicating})
}

// attachForward puts the primary → replica subscription back on its slot, which a rollback
// made on the primary and moved to its switch. Without that slot, replication cannot resume
// without copying everything again.
func attachForward(ctx context.Context, r *runner, primary, replica *server, m Migration) error {
	pst, err := readPrimaryState(ctx, primary, m)
	if err != nil {
		return err
	}
	if pst.slot == nil {
		return refused(remedy("replication from the primary cannot resume without copying every table again: run ", CmdTeardown, ", then ", CmdSetup),
			"the subscription %s was taken off its slot at a switch, and the primary has no slot %s to resume from", m.name(), m.name())
	}
	return r.exec(ctx, replica, fmt.Sprintf("ALTER SUBSCRIPTION %s SET (slot_name = %s)", ident(m.name()), literal(m.name())), "")
}

// settleOnReplica makes everything that goes with traffic on the replica true: with the
// failsafe, replication back to the old primary from the switch and the forward subscription
// detached; without it, no leftover of a failsafe. Either way the old primary is watched for
// writes that bypass the proxy. It returns what it did.
func settleOnReplica(ctx context.Context, r *runner, primary, replica *server, m Migration, failsafe bool) ([]string, error) {
	var done []string
	say := func(format string, args ...any) { done = append(done, fmt.Sprintf(format, args...)) }
	fs, err := readFailsafeState(ctx, primary, replica, m)
	if err != nil {
		return done, err
	}
	if failsafe {
		steps, err := settleFailsafe(ctx, r, primary, replica, m, fs)
		done = append(done, steps...)
		if err != nil {
			return done, err
		}
	} else if fs.subscription == nil {
		if removed, err := dropFailsafeOnReplica(ctx, r, replica, m, fs); err != nil {
			return done, err
		} else if removed {
			say("dropped the publication and slot %s an earlier cutover left on the replica: a failsafe starts only at its switch", m.failsafeName())
		}
	}
	tables, err := watchedTables(ctx, primary, m)
	if err != nil {
		return done, err
	}
	if added, err := ensureBypassWatch(ctx, r, primary, m, tables); err != nil {
		return done, err
	} else if added {
		say("watching %d table(s) of the old primary for writes made straight on it", len(tables))
	}
	rec := PhaseRecord{Phase: PhaseSwitched, Failsafe: failsafe, ForwardDetached: failsafe}
	return done, recordPhase(ctx, r, primary, m, rec)
}

// settleFailsafe stops the forward subscription for good (off its slot, the slot dropped)
// and subscribes the old primary to the failsafe, from the slot the switch moved.
func settleFailsafe(ctx context.Context, r *runner, primary, replica *server, m Migration, fs failsafeState) ([]string, error) {
	var done []string
	rst, err := readReplicaState(ctx, replica, m)
	if err != nil {
		return done, err
	}
	if sub := rst.subscription; sub != nil && (sub.enabled || sub.slotName != nil) {
		if err := detachForward(ctx, r, replica, m, sub); err != nil {
			return done, err
		}
		done = append(done, fmt.Sprintf("took the subscription %s on the replica off its slot: replication runs from the new primary back now", m.name()))
	}
	// The forward slot feeds nothing while traffic is on the replica (a rollback that did not
	// switch may have made a new one): it would only hold WAL on the old primary.
	if dropped, err := dropSlot(ctx, r, primary, m.name()); err != nil {
		return done, err
	} else if dropped {
		done = append(done, fmt.Sprintf("dropped the replication slot %s on the old primary: nothing consumes it while traffic is on the replica", m.name()))
	}
	if fs.subscription != nil {
		if fs.subscription.enabled {
			return done, nil
		}
		// Safe: the forward subscription is off its slot, so nothing can loop.
		if err := r.exec(ctx, primary, "ALTER SUBSCRIPTION "+ident(m.failsafeName())+" ENABLE", ""); err != nil {
			return done, err
		}
		return append(done, fmt.Sprintf("enabled the failsafe subscription %s on the old primary again", m.failsafeName())), nil
	}
	if err := checkFailsafeStart(ctx, replica, m, fs); err != nil {
		return done, err
	}
	if err := subscribeFailsafe(ctx, r, primary, replica, m); err != nil {
		return done, err
	}
	return append(done, fmt.Sprintf("subscribed the old primary to the failsafe %s, from the switch", m.failsafeName())), nil
}

// detachForward disables the forward subscription (should a crash have left it running) and
// takes it off its slot.
func detachForward(ctx context.Context, r *runner, replica *server, m Migration, sub *subscriptionState) error {
	name := ident(m.name())
	if sub.enabled {
		if err := r.exec(ctx, replica, "ALTER SUBSCRIPTION "+name+" DISABLE", ""); err != nil {
			return err
		}
	}
	if sub.slotName == nil {
		return nil
	}
	return r.exec(ctx, replica, "ALTER SUBSCRIPTION "+name+" SET (slot_name = NONE)", "")
}

// dropSlot drops the replication slot of this database named name on s, once its consumer
// has gone; it reports whether there was one.
func dropSlot(ctx context.Context, r *runner, s *server, name string) (bool, error) {
	exists, err := s.exists(ctx, "SELECT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = $1 AND database = current_database())", name)
	if err != nil || !exists {
		return false, err
	}
	if free, err := waitSlotFree(ctx, s, name, 15*time.Second); err != nil || !free && !r.dryRun {
		return false, errors.Join(err, fmt.Errorf("the %s's slot %s is still in use", s.role, name))
	}
	return true, r.exec(ctx, s, fmt.Sprintf("SELECT pg_drop_replication_slot(%s)", literal(name)), "")
}

// checkFailsafeStart refuses a failsafe whose slot does not start at the switch: only the
// switch's own pause moves the slot, after it recorded the switch on the replica, so a slot
// behind the latest record was made by a pause that never switched.
func checkFailsafeStart(ctx context.Context, replica *server, m Migration, fs failsafeState) error {
	if fs.slot == nil || !fs.publication {
		return refused(remedy("the failsafe can only be set up by the switch itself, which alone knows where it starts: set up replication back as a new migration instead (", CmdSetup, " with the servers swapped, copying the data)"),
			"the replica has no failsafe slot and publication %s", m.failsafeName())
	}
	var atSwitch bool
	err := replica.conn.QueryRow(ctx, `SELECT coalesce((SELECT s.confirmed_flush_lsn >= t.start_lsn FROM pg_replication_slots s,
		(SELECT start_lsn FROM `+m.turnaroundTable()+` ORDER BY at DESC LIMIT 1) t WHERE s.slot_name = $1), false)`, m.failsafeName()).Scan(&atSwitch)
	if err != nil {
		return fmt.Errorf("replica: read where the failsafe slot starts: %w", err)
	}
	if !atSwitch {
		return refused(remedy("set up replication back as a new migration instead (", CmdSetup, " with the servers swapped, copying the data)"),
			"the failsafe slot %s on the replica was not moved to the switch: it does not start where the old primary stopped", m.failsafeName())
	}
	return nil
}

// subscribeFailsafe subscribes the old primary to the failsafe publication, from its slot,
// copying nothing.
func subscribeFailsafe(ctx context.Context, r *runner, primary, replica *server, m Migration) error {
	name := m.failsafeName()
	dsn := m.replicaForPrimary()
	withOpts := "create_slot = false, slot_name = " + literal(name) + ", copy_data = false"
	if primary.major() >= 14 && replica.major() >= 14 {
		withOpts += ", streaming = on"
	}
	format := "CREATE SUBSCRIPTION " + ident(name) + " CONNECTION %s PUBLICATION " + ident(name) + " WITH (" + withOpts + ")"
	err := r.exec(ctx, primary, fmt.Sprintf(format, literal(dsn.ConnInfo())), fmt.Sprintf(format, literal(dsn.redactedConnInfo())))
	if err != nil {
		return withHint(fmt.Errorf("%s", redactErr(err, dsn)),
			remedy("the switch is done; the failsafe subscription on the old primary is not: fix the cause (can the old primary reach the replica? if at another address than this machine does, give it as ",
				OptReplicaForPrimary, "), then run ", CmdCutover, " again to finish it"))
	}
	return nil
}

// dropFailsafeOnReplica drops the failsafe's slot and publication on the replica. It
// reports whether there was anything to drop.
func dropFailsafeOnReplica(ctx context.Context, r *runner, replica *server, m Migration, fs failsafeState) (bool, error) {
	removed := false
	if fs.slot != nil && fs.slot.database == replica.dsn.Database() {
		if free, err := waitSlotFree(ctx, replica, m.failsafeName(), 15*time.Second); err != nil {
			return false, err
		} else if !free && !r.dryRun {
			return false, withHint(fmt.Errorf("the replica's failsafe slot %s is in use", m.failsafeName()),
				remedy("give ", OptPrimary, " too, so that the old primary's failsafe subscription is dropped first"))
		}
		if err := r.exec(ctx, replica, fmt.Sprintf("SELECT pg_drop_replication_slot(%s)", literal(m.failsafeName())), ""); err != nil {
			return false, err
		}
		removed = true
	}
	if fs.publication {
		if err := r.exec(ctx, replica, "DROP PUBLICATION IF EXISTS "+ident(m.failsafeName()), ""); err != nil {
			return false, err
		}
		removed = true
	}
	return removed, nil
}
