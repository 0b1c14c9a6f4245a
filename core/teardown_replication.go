package core

import (
	"context"
	"fmt"
	"time"
)

// dropSubscription detaches the subscription from its slot before dropping it, so that the
// drop works even when the replica cannot reach the primary; the slot is dropped directly.
func (t *teardown) dropSubscription(ctx context.Context) error {
	sub := t.rst.subscription
	if sub == nil {
		return nil
	}
	name := ident(t.opts.name())
	if sub.enabled {
		if err := t.r.exec(ctx, t.replica, "ALTER SUBSCRIPTION "+name+" DISABLE", ""); err != nil {
			return err
		}
	}
	if sub.slotName != nil {
		if err := t.r.exec(ctx, t.replica, "ALTER SUBSCRIPTION "+name+" SET (slot_name = NONE)", ""); err != nil {
			return err
		}
	}
	if err := t.r.exec(ctx, t.replica, "DROP SUBSCRIPTION "+name, ""); err != nil {
		return err
	}
	t.removed("subscription " + t.opts.name() + " on the replica")
	if t.opts.DryRun {
		return nil // DROP SUBSCRIPTION would remove its origins
	}
	// DROP SUBSCRIPTION removes its replication origins; one left by a crash is removed here.
	origins, err := t.replica.queryStrings(ctx, `SELECT roname FROM pg_replication_origin WHERE roname ~ $1`, originPattern(sub.oid))
	if err != nil {
		return fmt.Errorf("replica: list replication origins: %w", err)
	}
	for _, o := range origins {
		if err := t.r.exec(ctx, t.replica, fmt.Sprintf("SELECT pg_replication_origin_drop(%s)", literal(o)), ""); err != nil {
			return err
		}
		t.removed("replication origin " + o + " on the replica")
	}
	return nil
}

// originPattern matches the origins of subscription oid: pg_<oid> and pg_<oid>_<relid>.
func originPattern(oid uint32) string { return fmt.Sprintf("^pg_%d(_[0-9]+)?$", oid) }

func (t *teardown) dropPublication(ctx context.Context) error {
	if !t.pst.publication {
		return nil
	}
	if err := t.r.exec(ctx, t.primary, "DROP PUBLICATION IF EXISTS "+ident(t.opts.name()), ""); err != nil {
		return err
	}
	t.removed("publication " + t.opts.name() + " on the primary")
	return nil
}

// dropSlots drops the migration's slot and, when the subscription was known, the table
// synchronisation slots an interrupted initial copy leaves behind.
func (t *teardown) dropSlots(ctx context.Context) error {
	slots := []string{}
	if t.pst.slot != nil {
		slots = append(slots, t.opts.name())
	}
	if sub := t.rst.subscription; sub != nil {
		sync, err := t.primary.queryStrings(ctx, `SELECT slot_name::text FROM pg_replication_slots WHERE slot_name ~ $1`,
			fmt.Sprintf("^pg_%d_sync_", sub.oid))
		if err != nil {
			return fmt.Errorf("primary: list table synchronisation slots: %w", err)
		}
		slots = append(slots, sync...)
	}
	for _, slot := range slots {
		if err := t.waitSlotInactive(ctx, slot); err != nil {
			return err
		}
		if err := t.r.exec(ctx, t.primary, fmt.Sprintf("SELECT pg_drop_replication_slot(%s)", literal(slot)), ""); err != nil {
			return err
		}
		t.removed("replication slot " + slot + " on the primary")
	}
	return nil
}

// waitSlotInactive gives the walsender of a just-disabled subscription time to exit.
func (t *teardown) waitSlotInactive(ctx context.Context, slot string) error {
	if t.opts.DryRun {
		return nil
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		var pid *int32
		err := t.primary.conn.QueryRow(ctx, `SELECT active_pid FROM pg_replication_slots WHERE slot_name = $1`, slot).Scan(&pid)
		if err != nil && err != errNoRows {
			return fmt.Errorf("primary: read slot %s: %w", slot, err)
		}
		if pid == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return withHint(fmt.Errorf("replication slot %s is still in use by process %d on the primary", slot, *pid),
				remedyf("something else consumes this slot: stop it, or end its session with SELECT pg_terminate_backend(%d), then run teardown again", *pid))
		}
		if err := sleep(ctx, 200*time.Millisecond); err != nil {
			return err
		}
	}
}
