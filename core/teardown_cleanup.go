package core

import (
	"context"
	"fmt"
	"regexp"
)

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

// dropHelperSchemas removes, on both servers, the migration's phase, the turnaround records
// and the watch for bypassing writes, then pghandoff's helper schema where nothing else is
// left in it, and says what keeps it where something is: the proxy's sequence views go with
// proxy remove, fence records with undoing the fence.
func (t *teardown) dropHelperSchemas(ctx context.Context) error {
	m := t.opts.Migration
	for _, s := range []*server{t.primary, t.replica} {
		before, err := readHelperSchema(ctx, s, m)
		if err != nil {
			return err
		}
		if !before.exists || !before.ours {
			continue
		}
		if err := runTransaction(ctx, t.r, s, []step{{sql: "DROP TABLE IF EXISTS " + m.phaseTable()},
			{sql: "DROP TABLE IF EXISTS " + m.turnaroundTable()}}); err != nil {
			return err
		}
		if dropped, err := dropBypassWatch(ctx, t.r, s, m); err != nil {
			return err
		} else if dropped {
			t.removed("the watch for writes made straight on the " + s.role)
		}
		dropped, err := dropHelperSchemaIfEmpty(ctx, t.r, s, m)
		switch {
		case err != nil:
			return err
		case dropped:
			t.removed(fmt.Sprintf("helper schema %s on the %s", m.helperSchema(), s.role))
		case !t.opts.DryRun:
			t.res.Warnings = append(t.res.Warnings, fmt.Sprintf("schema %s stays on the %s: it holds the proxy's sequence views or fence records; "+
				"proxy remove removes the first, undoing the fence the last", ident(m.helperSchema()), s.role))
		}
	}
	return nil
}

// dropStatement picks the DROP statements of pg_dump --clean, each run with CASCADE. Its
// ALTER TABLE ... DROP CONSTRAINT and DROP DEFAULT statements are left out: they fail on
// partitions' inherited keys, and the cascading drops remove what they would.
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
	if _, _, err := checkPgDump(ctx, pgDump, t.primary); err != nil {
		return err
	}
	opts := schemaDumpOptions(t.opts.Migration, Selection{Schemas: t.pst.meta.Schemas}, nil, 0).with("clean").with("if-exists")
	script, err := runPgDump(ctx, pgDump, t.opts.Primary, opts)
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
			return withHint(err, remedy("nothing was dropped; fix the cause on the replica and run ", Run(CmdTeardown, OptDrop), " again"))
		}
	}
	if err := t.r.exec(ctx, t.replica, "COMMIT", ""); err != nil {
		rollback(t.replica)
		return err
	}
	t.removed(fmt.Sprintf("the imported schema on the replica (%d statements)", len(drops)))
	return nil
}
