package core

import (
	"context"
	"errors"
	"fmt"
)

// ProxyRemoveOptions configures ProxyRemove.
type ProxyRemoveOptions struct {
	Migration // Proxy (or PgBouncer) and Primary required; with Replica, its helper objects go too
	Execution
}

// ProxyRemoveResult lists what ProxyRemove removed, or under dry-run would remove.
type ProxyRemoveResult struct {
	Name    string   `json:"name"`
	DryRun  bool     `json:"dry_run"`
	Removed []string `json:"removed"`
	// Kept says what stays on purpose: with PgBouncer, the entry the application goes through.
	Kept       []string    `json:"kept,omitempty"`
	Settled    []string    `json:"settled,omitempty"` // what an earlier run left, put right
	Warnings   []string    `json:"warnings,omitempty"`
	Statements []Statement `json:"statements"`
}

// ProxyRemove removes everything proxy create and cutover made: on the proxy the foreign
// server with its user mappings and foreign tables, the helper schema, and the schemas,
// enum types and postgres_fdw extension it created (each only if pghandoff made it and
// nothing else uses it); on the primary and, when given, the replica, what proxy create and
// cutover made there (sequence views, the watch for bypassing writes, the failsafe's
// subscription, publication and slot). The primary is required: the migration's operation
// lock lives there. It works from any state and a second run finds nothing to do. The
// application should no longer use the proxy. With PgBouncer instead of the proxy, see
// removeFromBouncer for what stays.
func ProxyRemove(ctx context.Context, opts ProxyRemoveOptions) (*ProxyRemoveResult, error) {
	if errs := opts.checkStrategy(); len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	roles := []string{roleProxy, rolePrimary}
	if opts.usesBouncer() {
		roles = roles[1:]
	}
	if !opts.Replica.IsZero() {
		roles = append(roles, roleReplica)
	}
	ctx, end, err := opts.reserve(ctx, "proxy remove", need{rolePrimary: 2, roleReplica: 1, roleProxy: 1})
	if err != nil {
		return nil, err
	}
	defer end()
	op, err := beginOperation(ctx, "proxy remove", opts.Migration, opts.Execution, roles...)
	if err != nil {
		return nil, err
	}
	defer op.close()
	pr := &proxyRemoval{opts: opts, proxy: op.proxy, primary: op.primary, replica: op.replica, r: op.r,
		res: &ProxyRemoveResult{Name: opts.name(), DryRun: opts.DryRun, Removed: []string{}}}
	err = pr.run(ctx)
	pr.res.Statements = op.statements()
	if err == nil && len(pr.res.Removed) == 0 {
		pr.r.note(ctx, "", "nothing of migration %s's proxy was left to remove", opts.name())
	}
	return pr.res, err
}

type proxyRemoval struct {
	opts                    ProxyRemoveOptions
	proxy, primary, replica *server
	r                       *runner
	res                     *ProxyRemoveResult
}

func (pr *proxyRemoval) removed(format string, args ...any) {
	pr.res.Removed = append(pr.res.Removed, fmt.Sprintf(format, args...))
}

func (pr *proxyRemoval) run(ctx context.Context) error {
	fromSwitch := pr.removeFromProxy
	if pr.opts.usesBouncer() {
		fromSwitch = pr.removeFromBouncer
	}
	if err := fromSwitch(ctx); err != nil {
		return err
	}
	if err := pr.removeFailsafe(ctx); err != nil {
		return err
	}
	for _, s := range []*server{pr.primary, pr.replica} {
		if s == nil {
			continue
		}
		if err := pr.removeHelpers(ctx, s); err != nil {
			return err
		}
	}
	return nil
}

// removeFromProxy drops the proxy's objects in one transaction.
func (pr *proxyRemoval) removeFromProxy(ctx context.Context) error {
	m := pr.opts.Migration
	srv, err := readFDWServer(ctx, pr.proxy, m)
	if err != nil {
		return err
	}
	if srv.exists && srv.wrapper != "postgres_fdw" {
		return refused(remedy("check the ", OptName), "the proxy's foreign server %s is not a postgres_fdw server pghandoff made", ident(m.name()))
	}
	types, err := pr.proxy.queryStrings(ctx, `SELECT format('%I.%I', n.nspname, t.typname) FROM pg_type t
		JOIN pg_namespace n ON n.oid = t.typnamespace WHERE obj_description(t.oid, 'pg_type') = $1 ORDER BY 1`, m.marker())
	if err != nil {
		return fmt.Errorf("proxy: read types: %w", err)
	}
	schemas, err := pr.proxy.queryStrings(ctx, `SELECT nspname::text FROM pg_namespace
		WHERE obj_description(oid, 'pg_namespace') = $1 AND nspname <> $2 ORDER BY 1`, m.marker(), m.helperSchema())
	if err != nil {
		return fmt.Errorf("proxy: read schemas: %w", err)
	}
	helper, err := readHelperSchema(ctx, pr.proxy, m)
	if err != nil {
		return err
	}
	if !srv.exists && len(types) == 0 && len(schemas) == 0 && !helper.ours {
		return pr.dropExtension(ctx)
	}
	if err := pr.r.exec(ctx, pr.proxy, "BEGIN", ""); err != nil {
		return err
	}
	if err := pr.dropProxyObjects(ctx, srv, types, schemas, helper); err != nil {
		rollback(pr.proxy)
		return withHint(err, remedy("nothing was removed from the proxy: fix the cause, then run proxy remove again"))
	}
	if err := pr.r.exec(ctx, pr.proxy, "COMMIT", ""); err != nil {
		rollback(pr.proxy)
		return err
	}
	return pr.dropExtension(ctx)
}

func (pr *proxyRemoval) dropProxyObjects(ctx context.Context, srv fdwServer, types, schemas []string, helper helperSchemaState) error {
	m := pr.opts.Migration
	if srv.exists {
		// CASCADE: the user mappings and every foreign table of the server.
		if err := pr.r.exec(ctx, pr.proxy, "DROP SERVER IF EXISTS "+ident(m.name())+" CASCADE", ""); err != nil {
			return err
		}
		pr.removed("foreign server %s with its user mappings and foreign tables on the proxy", m.name())
	}
	if helper.ours {
		if err := pr.r.exec(ctx, pr.proxy, "DROP SCHEMA IF EXISTS "+ident(m.helperSchema())+" CASCADE", ""); err != nil {
			return err
		}
		pr.removed("helper schema %s (sequence functions, the pause's parents) on the proxy", m.helperSchema())
	}
	for _, t := range types {
		ok, err := pr.r.tryDrop(ctx, pr.proxy, "DROP TYPE IF EXISTS "+t)
		if err != nil {
			return err
		}
		pr.keptOrRemoved(ok, "type "+t+" on the proxy")
	}
	for _, s := range schemas {
		ok, err := pr.r.tryDrop(ctx, pr.proxy, "DROP SCHEMA IF EXISTS "+ident(s))
		if err != nil {
			return err
		}
		pr.keptOrRemoved(ok, "schema "+ident(s)+" on the proxy")
	}
	return nil
}

func (pr *proxyRemoval) keptOrRemoved(ok bool, what string) {
	if ok {
		pr.removed("%s", what)
	} else {
		pr.res.Warnings = append(pr.res.Warnings, "kept "+what+": pghandoff created it, but something else now uses it")
	}
}

// dropExtension drops postgres_fdw when pghandoff installed it and no foreign server uses it.
func (pr *proxyRemoval) dropExtension(ctx context.Context) error {
	ours, err := pr.proxy.exists(ctx, `SELECT EXISTS (SELECT 1 FROM pg_extension e WHERE e.extname = 'postgres_fdw'
		AND obj_description(e.oid, 'pg_extension') = $1
		AND NOT EXISTS (SELECT 1 FROM pg_foreign_server s JOIN pg_foreign_data_wrapper w ON w.oid = s.srvfdw
		                 WHERE w.fdwname = 'postgres_fdw' AND s.srvname <> $2))`, fdwExtensionMarker, pr.opts.name())
	if err != nil || !ours {
		return err
	}
	if err := pr.r.exec(ctx, pr.proxy, "DROP EXTENSION IF EXISTS postgres_fdw", ""); err != nil {
		return err
	}
	pr.removed("extension postgres_fdw on the proxy")
	return nil
}

// removeFailsafe drops the old primary's failsafe subscription, then the replica's slot and
// publication, and records that the migration, if it was switched, has no way back now.
func (pr *proxyRemoval) removeFailsafe(ctx context.Context) error {
	m := pr.opts.Migration
	st, err := readFailsafeState(ctx, pr.primary, pr.replica, m)
	if err != nil {
		return err
	}
	if st.subscription != nil {
		if err := dropFailsafeSubscription(ctx, pr.r, pr.primary, m, st.subscription); err != nil {
			return err
		}
		pr.removed("failsafe subscription %s on the primary", m.failsafeName())
	}
	if pr.replica != nil {
		if removed, err := dropFailsafeOnReplica(ctx, pr.r, pr.replica, m, st); err != nil {
			return err
		} else if removed {
			pr.removed("failsafe replication slot and publication %s on the replica", m.failsafeName())
		}
	}
	phase, err := readPhase(ctx, pr.primary, m)
	if err != nil || !phase.Failsafe || st.subscription == nil {
		return err
	}
	phase.Failsafe, phase.Note = false, "the failsafe was removed by proxy remove"
	return recordPhase(ctx, pr.r, pr.primary, m, phase)
}

// removeHelpers drops from the primary or the replica what proxy create and cutover made in
// the helper schema (the sequence views, the turnaround record, the watch for bypassing
// writes), then the schema itself if nothing else is left in it: the phase record stays for
// teardown, fence records for fence --undo.
func (pr *proxyRemoval) removeHelpers(ctx context.Context, s *server) error {
	m := pr.opts.Migration
	helper, err := readHelperSchema(ctx, s, m)
	if err != nil || !helper.exists || !helper.ours {
		return err
	}
	views, err := s.queryStrings(ctx, `SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c
		JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind = 'v' ORDER BY 1`, m.helperSchema())
	if err != nil {
		return fmt.Errorf("%s: read sequence views: %w", s.role, err)
	}
	steps := []step{{sql: "DROP TABLE IF EXISTS " + m.turnaroundTable()}}
	for _, v := range views {
		steps = append(steps, step{sql: "DROP VIEW IF EXISTS " + v})
	}
	if err := runTransaction(ctx, pr.r, s, steps); err != nil {
		return err
	}
	if len(views) > 0 {
		pr.removed("%d sequence view(s) on the %s", len(views), s.role)
	}
	if dropped, err := dropBypassWatch(ctx, pr.r, s, m); err != nil {
		return err
	} else if dropped {
		pr.removed("the watch for writes made straight on the %s", s.role)
	}
	dropped, err := dropHelperSchemaIfEmpty(ctx, pr.r, s, m)
	if dropped {
		pr.removed("helper schema %s on the %s", m.helperSchema(), s.role)
	} else if err == nil && !pr.opts.DryRun {
		pr.res.Warnings = append(pr.res.Warnings, fmt.Sprintf("schema %s stays on the %s: it holds the migration's phase (teardown removes it) or fence records (undo the fence)", m.helperSchema(), s.role))
	}
	return err
}

// removeFromBouncer leaves PgBouncer's entry where it is, pointing wherever traffic goes:
// removing it would drop the database from PgBouncer and disconnect the application. It
// resumes a pause an earlier run left, and says what stays: the entry in pghandoff's file,
// which the operator now owns (to move into PgBouncer's own configuration when convenient).
func (pr *proxyRemoval) removeFromBouncer(ctx context.Context) error {
	m := pr.opts.Migration
	b, err := OpenBouncer(ctx, m.PgBouncer.Admin)
	if err != nil {
		return err
	}
	defer b.Close()
	done, st, err := settleBouncer(ctx, pr.r, b, m)
	pr.res.Settled = done
	if err != nil || !st.Found {
		return err
	}
	where := st.pointsAt(m)
	if where == "" {
		where = loadedTarget(st.Loaded)
	} else {
		where = "the " + where
	}
	pr.res.Kept = append(pr.res.Kept, fmt.Sprintf("PgBouncer's entry %s in %s, pointing at %s: the application reaches its database through it. "+
		"It is yours now: move it into PgBouncer's own configuration when convenient, then remove the file and its %%include", m.bouncerEntry(), m.PgBouncer.Config, where))
	return nil
}
