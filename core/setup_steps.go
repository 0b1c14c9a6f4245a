package core

import (
	"context"
	"fmt"
	"slices"
)

// apply runs the plan's steps in the order that keeps every crash point resumable and puts
// the likeliest failure first: the schema import (all or nothing, on the replica) before
// anything changes on the primary; then identities, sentinel, publication, the slot (after
// the publication, which decoding must see), and the subscription last. When setup copies
// the small tables itself, the slot, their copy and the subscription are one step
// (setup_copy.go), and the other tables join the publication after it. The privileges
// follow the import, on the replica, so that tables a later run imports get theirs too.
func (p *setupPlan) apply(ctx context.Context, r *runner) error {
	steps := []func(context.Context, *runner) error{
		p.setSyncWorkers, p.settleForward, p.importSchema, p.carryPrivileges, p.setReplicaIdentities, p.createSentinel, p.publish,
		p.copyAndSubscribe, p.createSlot, p.subscribe, p.publishRest,
	}
	for _, step := range steps {
		if err := step(ctx, r); err != nil {
			return err
		}
	}
	return nil
}

// settleForward turns forward replication on again where an aborted failsafe cutover left it
// off, and drops what that cutover made of the failsafe.
func (p *setupPlan) settleForward(ctx context.Context, r *runner) error {
	if !p.settle {
		return nil
	}
	done, err := settleOnPrimary(ctx, r, p.primary, p.replica, p.opts.Migration)
	p.res.Warnings = append(p.res.Warnings, done...)
	return err
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
	args := schemaDumpOptions(p.opts.Migration, p.opts.Selection, p.extensions, p.dumpMajor)
	split, err := p.deferral(ctx)
	if err != nil {
		return err
	}
	if err := importSchema(ctx, r, p.opts.Migration, p.replica, p.opts.PgDump, args, split, sentinelDDL(p.opts.Migration)); err != nil {
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
	split, err := p.deferral(ctx)
	if err != nil {
		return err
	}
	return importSchema(ctx, r, p.opts.Migration, p.replica, p.opts.PgDump, tableDumpOptions(absent), split)
}
