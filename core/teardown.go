package core

import (
	"context"
	"fmt"
	"regexp"
	"time"
)

// TeardownOptions configures Teardown.
type TeardownOptions struct {
	Migration
	Drop     bool   // also drop, on the replica, every object the schema import created
	Confirm  bool   // required with Drop: the operator confirmed it
	DryRun   bool   // print the statements, change nothing
	PgDump   string // for Drop; FindPgDump() when empty
	Timeouts Timeouts
	Observer
}

// TeardownResult lists what Teardown removed, or under dry-run would remove.
type TeardownResult struct {
	Name       string      `json:"name"`
	DryRun     bool        `json:"dry_run"`
	Removed    []string    `json:"removed"`
	Warnings   []string    `json:"warnings,omitempty"`
	Statements []Statement `json:"statements"`
}

// Teardown removes the migration's replication from both servers, from whatever state it is
// in: the subscription and its replication origins, the publication, the slot (and the table
// synchronisation slots an interrupted copy leaves), the sentinel tables, and the replica
// identities setup changed. With Drop it also drops the imported schema on the replica.
func Teardown(ctx context.Context, opts TeardownOptions) (*TeardownResult, error) {
	if err := opts.require(true, true, false); err != nil {
		return nil, err
	}
	if opts.Drop && !opts.Confirm && !opts.DryRun {
		return nil, refused("add --yes to confirm, or --dry-run to see what it would drop",
			"--drop deletes every replicated table and its data on the replica")
	}
	primary, err := openServer(ctx, rolePrimary, opts.Primary, "teardown")
	if err != nil {
		return nil, err
	}
	defer primary.close()
	replica, err := openServer(ctx, roleReplica, opts.Replica, "teardown")
	if err != nil {
		return nil, err
	}
	defer replica.close()
	if !opts.DryRun {
		lock, err := acquireLock(ctx, rolePrimary, opts.Primary, opts.name(), "teardown")
		if err != nil {
			return nil, err
		}
		defer lock.release()
	}
	t := &teardown{opts: opts, primary: primary, replica: replica,
		res: &TeardownResult{Name: opts.name(), DryRun: opts.DryRun, Removed: []string{}},
		r:   &runner{op: "teardown", dryRun: opts.DryRun, obs: opts.Observer, timeouts: opts.Timeouts}}
	err = t.run(ctx)
	t.res.Statements = t.r.done
	return t.res, err
}

type teardown struct {
	opts             TeardownOptions
	primary, replica *server
	pst              primaryState
	rst              replicaState
	r                *runner
	res              *TeardownResult
}

func (t *teardown) run(ctx context.Context) error {
	var err error
	if t.pst, err = readPrimaryState(ctx, t.primary, t.opts.Migration); err != nil {
		return err
	}
	if t.rst, err = readReplicaState(ctx, t.replica, t.opts.Migration); err != nil {
		return err
	}
	for _, s := range []*server{t.primary, t.replica} {
		if err := t.r.prepare(ctx, s); err != nil {
			return err
		}
	}
	// The subscription goes first: while it runs, it holds the slot on the primary.
	steps := []func(context.Context) error{t.dropSubscription, t.dropPublication, t.dropSlots,
		t.restoreIdentities, t.dropSentinels, t.dropHelperSchemas, t.dropSchema}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			return err
		}
	}
	if len(t.res.Removed) == 0 {
		t.r.note(ctx, "", "nothing of migration %s was left to remove", t.opts.name())
	}
	return nil
}

func (t *teardown) removed(what string) { t.res.Removed = append(t.res.Removed, what) }

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
				"something else consumes this slot: stop it, or end its session with SELECT pg_terminate_backend(%d), then run teardown again", *pid)
		}
		if err := sleep(ctx, 200*time.Millisecond); err != nil {
			return err
		}
	}
}

// restoreIdentities undoes the REPLICA IDENTITY FULL that setup set, where it still holds.
func (t *teardown) restoreIdentities(ctx context.Context) error {
	for _, tbl := range t.pst.meta.ReplicaIdentityFull {
		full, err := t.primary.exists(ctx, `SELECT coalesce((SELECT relreplident = 'f' FROM pg_class WHERE oid = to_regclass($1)), false)`, tbl.String())
		if err != nil {
			return fmt.Errorf("primary: read replica identity of %s: %w", tbl, err)
		}
		if !full {
			continue
		}
		if err := t.r.exec(ctx, t.primary, fmt.Sprintf("ALTER TABLE %s REPLICA IDENTITY DEFAULT", tbl), ""); err != nil {
			return err
		}
		t.removed("REPLICA IDENTITY FULL on " + tbl.String())
	}
	return nil
}

func (t *teardown) dropSentinels(ctx context.Context) error {
	drop := "DROP TABLE IF EXISTS " + t.opts.sentinel().String()
	if t.pst.sentinel {
		if err := t.r.exec(ctx, t.primary, drop, ""); err != nil {
			return err
		}
		t.removed("sentinel table " + t.opts.sentinel().String() + " on the primary")
	}
	if t.rst.sentinel {
		if err := t.r.exec(ctx, t.replica, drop, ""); err != nil {
			return err
		}
		t.removed("sentinel table " + t.opts.sentinel().String() + " on the replica")
	}
	return nil
}

// dropStatement picks the DROP statements of pg_dump --clean, each run with CASCADE. Its
// ALTER TABLE ... DROP CONSTRAINT and DROP DEFAULT statements are left out: they fail on
// partitions' inherited keys, and the cascading drops remove what they would.
// dropHelperSchemas removes pghandoff's helper schema where nothing is left in it, and says
// what keeps it where something is: the proxy's sequence views and the failsafe go with
// proxy remove, fence records with fence --undo.
func (t *teardown) dropHelperSchemas(ctx context.Context) error {
	for _, s := range []*server{t.primary, t.replica} {
		before, err := readHelperSchema(ctx, s, t.opts.Migration)
		if err != nil {
			return err
		}
		if !before.exists || !before.ours {
			continue
		}
		if err := dropHelperSchemaIfEmpty(ctx, t.r, s, t.opts.Migration); err != nil {
			return err
		}
		after, err := readHelperSchema(ctx, s, t.opts.Migration)
		if err != nil {
			return err
		}
		if after.exists && !t.opts.DryRun {
			t.res.Warnings = append(t.res.Warnings, fmt.Sprintf("schema %s stays on the %s: it holds the proxy's sequence views, the failsafe's record or fence records; "+
				"pghandoff proxy remove --primary ... --replica ... removes the first two, fence --undo the last", ident(t.opts.helperSchema()), s.role))
		} else {
			t.removed(fmt.Sprintf("helper schema %s on the %s", t.opts.helperSchema(), s.role))
		}
	}
	return nil
}

var dropStatement = regexp.MustCompile(`(?is)^DROP\s`)

// dropSchema drops, on the replica, what the schema import created: the DROP statements of
// pg_dump --clean for the migration's schemas, in one transaction.
func (t *teardown) dropSchema(ctx context.Context) error {
	if !t.opts.Drop {
		return nil
	}
	pgDump := t.opts.PgDump
	if pgDump == "" {
		pgDump = FindPgDump()
	}
	if _, err := checkPgDump(ctx, pgDump, t.primary); err != nil {
		return err
	}
	args := append(schemaDumpArgs(t.opts.Migration, Selection{Schemas: t.pst.meta.Schemas}, nil, 0), "--clean", "--if-exists")
	script, err := runPgDump(ctx, pgDump, t.opts.Primary, args...)
	if err != nil {
		return err
	}
	var drops []string
	for _, stmt := range splitScript(script) {
		if dropStatement.MatchString(stmt) {
			drops = append(drops, stmt+" CASCADE")
		}
	}
	if err := t.r.exec(ctx, t.replica, "BEGIN", ""); err != nil {
		return err
	}
	for _, stmt := range drops {
		if err := t.r.exec(ctx, t.replica, stmt, ""); err != nil {
			rollback(t.replica)
			return withHint(err, "nothing was dropped; fix the cause on the replica and run teardown --drop again")
		}
	}
	if err := t.r.exec(ctx, t.replica, "COMMIT", ""); err != nil {
		rollback(t.replica)
		return err
	}
	t.removed(fmt.Sprintf("the imported schema on the replica (%d statements)", len(drops)))
	return nil
}
