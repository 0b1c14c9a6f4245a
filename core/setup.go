package core

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// SetupOptions configures Setup.
type SetupOptions struct {
	Migration
	Selection
	DryRun   bool   // print the statements, change nothing
	PgDump   string // the pg_dump to run; FindPgDump() when empty
	Timeouts Timeouts
	Observer
}

// SetupResult is what Setup did, or under dry-run would do.
type SetupResult struct {
	Name                string         `json:"name"`
	DryRun              bool           `json:"dry_run"`
	Changed             bool           `json:"changed"` // false: everything was already in place
	Tables              []TableName    `json:"tables"`
	Skipped             []SkippedTable `json:"skipped,omitempty"`
	ReplicaIdentityFull []TableName    `json:"replica_identity_full,omitempty"`
	SchemaImported      bool           `json:"schema_imported"`
	Warnings            []string       `json:"warnings,omitempty"`
	PgDump              string         `json:"pg_dump"`
	Statements          []Statement    `json:"statements"`
}

// Setup starts logically replicating the primary into the replica: the sentinel table, the
// schema, the publication, the slot and the subscription. It checks everything it can before
// changing anything, so a refused setup leaves nothing behind, and it only does what is
// missing, so running it again after a success or a crash converges.
func Setup(ctx context.Context, opts SetupOptions) (*SetupResult, error) {
	if err := opts.require(true, true, false); err != nil {
		return nil, err
	}
	if opts.PgDump == "" {
		opts.PgDump = FindPgDump()
	}
	res := &SetupResult{Name: opts.name(), DryRun: opts.DryRun}
	primary, err := openServer(ctx, rolePrimary, opts.Primary, "setup")
	if err != nil {
		return nil, err
	}
	defer primary.close()
	replica, err := openServer(ctx, roleReplica, opts.Replica, "setup")
	if err != nil {
		return nil, err
	}
	defer replica.close()
	if err := checkPrimaryVersion(primary); err != nil {
		return nil, err
	}
	if err := checkWalLevel(ctx, primary); err != nil {
		return nil, err
	}
	if !opts.DryRun {
		lock, err := acquireLock(ctx, rolePrimary, opts.Primary, opts.name(), "setup")
		if err != nil {
			return nil, err
		}
		defer lock.release()
	}
	s, err := planSetup(ctx, opts, primary, replica, res)
	if err != nil {
		return nil, err
	}
	r := &runner{op: "setup", dryRun: opts.DryRun, obs: opts.Observer, timeouts: opts.Timeouts}
	err = s.apply(ctx, r)
	res.Statements = r.done
	res.Changed = len(r.done) > 0
	if err == nil && !res.Changed {
		r.note(ctx, "", "migration %s is already set up: nothing to do", opts.name())
	}
	return res, err
}

// setupPlan is what Setup found and what it will change.
type setupPlan struct {
	opts             SetupOptions
	primary, replica *server
	pst              primaryState
	rst              replicaState
	tables           tablePlan
	extensions       []string
	res              *SetupResult
}

func planSetup(ctx context.Context, opts SetupOptions, primary, replica *server, res *SetupResult) (*setupPlan, error) {
	p := &setupPlan{opts: opts, primary: primary, replica: replica, res: res}
	var err error
	if res.PgDump, err = checkPgDump(ctx, opts.PgDump, primary); err != nil {
		return nil, err
	}
	if p.pst, err = readPrimaryState(ctx, primary, opts.Migration); err != nil {
		return nil, err
	}
	if p.rst, err = readReplicaState(ctx, replica, opts.Migration); err != nil {
		return nil, err
	}
	all, err := listTables(ctx, primary)
	if err != nil {
		return nil, err
	}
	p.tables = planTables(all, opts.Selection, opts.sentinel())
	if !slices.ContainsFunc(p.tables.publish, func(t catalogTable) bool { return t.TableName == opts.sentinel() }) {
		p.tables.publish = append([]catalogTable{{TableName: opts.sentinel(), Persistence: "p", HasIdentity: true}}, p.tables.publish...)
	}
	if len(p.tables.unknownNames) > 0 {
		return nil, refused("check the names: they are matched exactly, case included; quote a name holding a dot or a comma",
			"not found on the primary: %s", strings.Join(p.tables.unknownNames, ", "))
	}
	if len(p.tables.noIdentity) > 0 && !opts.ReplicaIdentityFull {
		return nil, refused("add a primary key to each, or exclude them with --exclude-tables, or pass --replica-identity-full to have pghandoff set REPLICA IDENTITY FULL on them (UPDATE and DELETE then log whole old rows)",
			"%d table(s) have no primary key or replica identity, and publishing them would make every UPDATE and DELETE on them fail on the primary: %s",
			len(p.tables.noIdentity), tableList(p.tables.noIdentity))
	}
	var missing []string
	if p.extensions, missing, err = missingExtensions(ctx, primary, replica); err != nil {
		return nil, err
	}
	if len(missing) > 0 && !p.rst.sentinel {
		return nil, refused("install them on the replica (or ask its provider to allow them), then run setup again",
			"the primary uses extensions the replica does not have: %s", strings.Join(missing, ", "))
	}
	if !p.rst.sentinel {
		if err := p.checkReplicaEmpty(ctx); err != nil {
			return nil, err
		}
	}
	if err := p.checkNoFailsafe(ctx); err != nil {
		return nil, err
	}
	if p.pst.slotElsewhere != "" {
		return nil, refused("choose another --name: slot names are shared by every database of a server",
			"a replication slot named %s already exists on the primary, for database %s", opts.name(), p.pst.slotElsewhere)
	}
	if p.pst.slot != nil && p.pst.slot.plugin != "pgoutput" {
		return nil, refused("choose another --name, or drop that slot if it is unused",
			"a replication slot named %s exists on the primary with plugin %s", opts.name(), p.pst.slot.plugin)
	}
	if p.pst.slot != nil && p.pst.slot.active && p.rst.subscription == nil {
		return nil, refused("choose another --name: this slot feeds some other subscriber",
			"replication slot %s is in use on the primary, but the replica has no subscription of that name", opts.name())
	}
	for _, t := range p.tables.skipped {
		if t.Reason != "excluded" {
			res.Warnings = append(res.Warnings, fmt.Sprintf("skipping %s: %s", t.TableName, t.Reason))
		}
	}
	for _, t := range p.tables.publish {
		res.Tables = append(res.Tables, t.TableName)
		if t.HasGenerated {
			res.Warnings = append(res.Warnings, fmt.Sprintf("%s has generated columns: the replica computes them itself", t.TableName))
		}
	}
	res.Skipped = p.tables.skipped
	return p, nil
}

// checkNoFailsafe refuses to set up again after a cutover with the failsafe: the replica is
// the primary now, replication back to the old one is running, and re-enabling the forward
// subscription would send every change both ways.
func (p *setupPlan) checkNoFailsafe(ctx context.Context) error {
	failsafe, err := p.replica.exists(ctx, `SELECT EXISTS (SELECT 1 FROM pg_publication WHERE pubname = $1)`, p.opts.failsafeName())
	if err != nil {
		return fmt.Errorf("replica: look for the failsafe: %w", err)
	}
	if failsafe {
		return refused("to start over, run proxy remove (with --primary and --replica) and teardown first",
			"migration %s was cut over with the failsafe: the replica is the primary now, and replication from the old primary stays off so that changes do not flow both ways", p.opts.name())
	}
	return nil
}

// checkReplicaEmpty refuses an import that would collide with tables already on the replica.
func (p *setupPlan) checkReplicaEmpty(ctx context.Context) error {
	found, err := existingTables(ctx, p.replica, catalogNames(p.tables.publish))
	if err != nil {
		return fmt.Errorf("look for the tables on the replica: %w", err)
	}
	clash := slices.DeleteFunc(found, func(t TableName) bool { return t == p.opts.sentinel() })
	if len(clash) > 0 {
		return refused("set up into an empty database, or drop those tables on the replica first",
			"the replica already has %d of the tables the schema import would create: %s", len(clash), tableList(firstN(clash, 10)))
	}
	return nil
}

func firstN[T any](s []T, n int) []T {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// apply runs the plan's steps in the order that keeps every crash point resumable and puts
// the likeliest failure first: the schema import (all or nothing, on the replica) before
// anything changes on the primary; then identities, sentinel, publication, the slot (after
// the publication, which decoding must see), and the subscription last.
func (p *setupPlan) apply(ctx context.Context, r *runner) error {
	for _, s := range []*server{p.primary, p.replica} {
		if err := r.prepare(ctx, s); err != nil {
			return err
		}
	}
	steps := []func(context.Context, *runner) error{
		p.importSchema, p.setReplicaIdentities, p.createSentinel, p.publish, p.createSlot, p.subscribe,
	}
	for _, step := range steps {
		if err := step(ctx, r); err != nil {
			return err
		}
	}
	return nil
}

func (p *setupPlan) setReplicaIdentities(ctx context.Context, r *runner) error {
	for _, t := range p.tables.noIdentity {
		rels, err := identitylessRelations(ctx, p.primary, t)
		if err != nil {
			return err
		}
		for _, rel := range rels {
			if err := r.exec(ctx, p.primary, fmt.Sprintf("ALTER TABLE %s REPLICA IDENTITY FULL", rel), ""); err != nil {
				return err
			}
			p.res.ReplicaIdentityFull = append(p.res.ReplicaIdentityFull, rel)
		}
	}
	if n := len(p.res.ReplicaIdentityFull); n > 0 {
		p.res.Warnings = append(p.res.Warnings, fmt.Sprintf("set REPLICA IDENTITY FULL on %d table(s) of the primary: %s", n, tableList(p.res.ReplicaIdentityFull)))
	}
	return nil
}

// identitylessRelations lists t and, if it is partitioned, its partitions, that lack a usable
// replica identity.
func identitylessRelations(ctx context.Context, s *server, t TableName) ([]TableName, error) {
	rows, err := s.conn.Query(ctx, `
		SELECT n.nspname, l.relname FROM pg_class l JOIN pg_namespace n ON n.oid = l.relnamespace
		WHERE (l.oid = $1::regclass OR l.oid IN (SELECT relid FROM pg_partition_tree($1::regclass))) AND l.relkind IN ('r', 'p')
		  AND NOT CASE l.relreplident
		        WHEN 'f' THEN true
		        WHEN 'd' THEN EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = l.oid AND i.indisprimary)
		        WHEN 'i' THEN EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = l.oid AND i.indisreplident)
		        ELSE false END
		ORDER BY 1, 2`, t.String())
	if err != nil {
		return nil, fmt.Errorf("primary: find relations of %s without replica identity: %w", t, err)
	}
	var out []TableName
	for rows.Next() {
		var rel TableName
		if err := rows.Scan(&rel.Schema, &rel.Name); err != nil {
			return nil, err
		}
		out = append(out, rel)
	}
	return out, rows.Err()
}

func (p *setupPlan) createSentinel(ctx context.Context, r *runner) error {
	if p.pst.sentinel {
		return nil
	}
	return r.exec(ctx, p.primary, sentinelDDL(p.opts.Migration), "")
}

func (p *setupPlan) importSchema(ctx context.Context, r *runner) error {
	if p.rst.sentinel {
		return p.importNewTables(ctx, r)
	}
	dumpMajor, _, err := pgDumpVersion(ctx, p.opts.PgDump)
	if err != nil {
		return err
	}
	args := schemaDumpArgs(p.opts.Migration, p.opts.Selection, p.extensions, dumpMajor)
	if err := importSchema(ctx, r, p.opts.Migration, p.replica, p.opts.PgDump, args, sentinelDDL(p.opts.Migration)); err != nil {
		return err
	}
	p.res.SchemaImported = true
	return nil
}

// importNewTables copies the definitions of tables created on the primary since the schema
// was imported, so that a second setup can add them to the migration.
func (p *setupPlan) importNewTables(ctx context.Context, r *runner) error {
	var unpublished []TableName
	for _, t := range p.tables.publish {
		if !slices.Contains(p.pst.published, t.TableName) {
			unpublished = append(unpublished, t.TableName)
		}
	}
	absent, err := tablesMatching(ctx, p.replica, unpublished, "to_regclass(t) IS NULL")
	if err != nil {
		return fmt.Errorf("look for new tables on the replica: %w", err)
	}
	if len(absent) == 0 {
		return nil
	}
	r.note(ctx, roleReplica, "importing %d table(s) created on the primary since setup: %s", len(absent), tableList(absent))
	return importSchema(ctx, r, p.opts.Migration, p.replica, p.opts.PgDump, tableDumpArgs(absent))
}

func (p *setupPlan) publish(ctx context.Context, r *runner) error {
	name := ident(p.opts.name())
	var missing []string
	for _, t := range p.tables.publish {
		if !slices.Contains(p.pst.published, t.TableName) {
			missing = append(missing, t.String())
		}
	}
	if !p.pst.publication {
		sql := fmt.Sprintf("CREATE PUBLICATION %s FOR TABLE %s WITH (publish_via_partition_root = true)", name, strings.Join(missing, ", "))
		if err := r.exec(ctx, p.primary, sql, ""); err != nil {
			return err
		}
		return p.recordMeta(ctx, r)
	}
	if !p.pst.viaRoot {
		if err := r.exec(ctx, p.primary, fmt.Sprintf("ALTER PUBLICATION %s SET (publish_via_partition_root = true)", name), ""); err != nil {
			return err
		}
	}
	if len(missing) > 0 {
		if err := r.exec(ctx, p.primary, fmt.Sprintf("ALTER PUBLICATION %s ADD TABLE %s", name, strings.Join(missing, ", ")), ""); err != nil {
			return err
		}
		return p.recordMeta(ctx, r)
	}
	return nil
}

// recordMeta stores the selection in the publication's comment for status and teardown.
func (p *setupPlan) recordMeta(ctx context.Context, r *runner) error {
	meta := p.pst.meta
	meta.Tool = "pghandoff"
	meta.Schemas = p.opts.Schemas
	meta.ExcludeTables = p.opts.ExcludeTables
	for _, t := range p.res.ReplicaIdentityFull {
		if !slices.Contains(meta.ReplicaIdentityFull, t) {
			meta.ReplicaIdentityFull = append(meta.ReplicaIdentityFull, t)
		}
	}
	b, err := json.Marshal(meta)
	if err != nil {
		return err
	}
	return r.exec(ctx, p.primary, fmt.Sprintf("COMMENT ON PUBLICATION %s IS %s", ident(p.opts.name()), literal(string(b))), "")
}

// createSlot makes the slot on the primary before the subscription uses it, so that a crash
// between the two leaves a slot the next run adopts instead of one it trips over.
func (p *setupPlan) createSlot(ctx context.Context, r *runner) error {
	if p.pst.slot != nil {
		return nil
	}
	return r.exec(ctx, p.primary, fmt.Sprintf("SELECT pg_create_logical_replication_slot(%s, 'pgoutput')", literal(p.opts.name())), "")
}

// subscriptionUnreachableHint is the seed README's advice for a replica that cannot reach
// the primary.
const subscriptionUnreachableHint = "the replica could not connect to the primary. The primary must accept connections " +
	"from the replica's network, not only from this machine: make the instance publicly accessible (on AWS the RDS or " +
	"Aurora instance, not the cluster), let its security group or firewall admit the replica, and give its subnets' " +
	"routing table a route from the internet through an internet gateway. Then run setup again"

func (p *setupPlan) subscribe(ctx context.Context, r *runner) error {
	name := p.opts.name()
	sub := p.rst.subscription
	if sub == nil {
		withOpts := []string{"create_slot = false", "slot_name = " + literal(name), "copy_data = true"}
		if p.primary.major() >= 14 && p.replica.major() >= 14 {
			withOpts = append(withOpts, "streaming = on")
		}
		format := "CREATE SUBSCRIPTION " + ident(name) + " CONNECTION %s PUBLICATION " + ident(name) + " WITH (" + strings.Join(withOpts, ", ") + ")"
		err := r.exec(ctx, p.replica, fmt.Sprintf(format, literal(p.opts.Primary.ConnInfo())),
			fmt.Sprintf(format, literal(p.opts.Primary.redactedConnInfo())))
		if err != nil && strings.HasPrefix(sqlState(err), "08") {
			return withHint(err, "%s", subscriptionUnreachableHint)
		}
		return err
	}
	if !slices.Contains(sub.publications, name) {
		return refused("choose another --name", "the replica's subscription %s subscribes to %v, not to publication %s", name, sub.publications, name)
	}
	if !sub.enabled {
		if err := r.exec(ctx, p.replica, fmt.Sprintf("ALTER SUBSCRIPTION %s ENABLE", ident(name)), ""); err != nil {
			return err
		}
	}
	if p.publishedNewTables() {
		return r.exec(ctx, p.replica, fmt.Sprintf("ALTER SUBSCRIPTION %s REFRESH PUBLICATION", ident(name)), "")
	}
	return nil
}

// publishedNewTables reports whether this run added tables to an existing publication.
func (p *setupPlan) publishedNewTables() bool {
	if !p.pst.publication {
		return false
	}
	for _, t := range p.tables.publish {
		if !slices.Contains(p.pst.published, t.TableName) {
			return true
		}
	}
	return false
}
