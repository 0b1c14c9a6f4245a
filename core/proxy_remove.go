package core

import (
	"context"
	"fmt"
	"time"
)

// ProxyRemoveOptions configures ProxyRemove.
type ProxyRemoveOptions struct {
	Migration // Proxy required; with Primary and Replica, their helper objects go too
	Execution
}

// ProxyRemoveResult lists what ProxyRemove removed, or under dry-run would remove.
type ProxyRemoveResult struct {
	Name       string      `json:"name"`
	DryRun     bool        `json:"dry_run"`
	Removed    []string    `json:"removed"`
	Warnings   []string    `json:"warnings,omitempty"`
	Statements []Statement `json:"statements"`
}

// ProxyRemove removes everything proxy create and cutover made: on the proxy the foreign
// server with its user mappings and foreign tables, the helper schema, and the schemas,
// enum types and postgres_fdw extension it created (each only if pghandoff made it and
// nothing else uses it); on the primary and the replica, when given, the helper schemas and
// the failsafe's subscription, publication and slot. It works from any state and a second
// run finds nothing to do. The application should no longer use the proxy.
func ProxyRemove(ctx context.Context, opts ProxyRemoveOptions) (*ProxyRemoveResult, error) {
	roles := []string{roleProxy}
	if !opts.Primary.IsZero() {
		roles = append(roles, rolePrimary)
	}
	if !opts.Replica.IsZero() {
		roles = append(roles, roleReplica)
	}
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
	if err := pr.removeFromProxy(ctx); err != nil {
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
		pr.removed("helper schema %s (sequence functions) on the proxy", m.helperSchema())
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
// publication.
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
	if pr.replica == nil {
		return nil
	}
	if st.slot != nil && st.slot.database == pr.opts.Replica.Database() {
		if free, err := waitSlotFree(ctx, pr.replica, m.failsafeName(), 15*time.Second); err != nil {
			return err
		} else if !free && !pr.opts.DryRun {
			return withHint(fmt.Errorf("the replica's failsafe slot %s is in use", m.failsafeName()),
				remedy("give ", OptPrimary, " too, so that proxy remove drops the old primary's failsafe subscription first"))
		}
		if err := pr.r.exec(ctx, pr.replica, fmt.Sprintf("SELECT pg_drop_replication_slot(%s)", literal(m.failsafeName())), ""); err != nil {
			return err
		}
		pr.removed("failsafe replication slot %s on the replica", m.failsafeName())
	}
	if st.publication {
		if err := pr.r.exec(ctx, pr.replica, "DROP PUBLICATION IF EXISTS "+ident(m.failsafeName()), ""); err != nil {
			return err
		}
		pr.removed("failsafe publication %s on the replica", m.failsafeName())
	}
	return nil
}

// removeHelpers drops the helper schema of the primary or the replica. On the primary, a
// fence still in place keeps its records (and so the schema) so that undoing the fence can still
// restore the roles exactly; only the sequence views go.
func (pr *proxyRemoval) removeHelpers(ctx context.Context, s *server) error {
	m := pr.opts.Migration
	fenced, err := s.exists(ctx, "SELECT to_regclass($1) IS NOT NULL", ident(m.helperSchema(), "fence"))
	if err != nil {
		return fmt.Errorf("%s: look for fence records: %w", s.role, err)
	}
	if !fenced {
		dropped, err := dropHelperSchema(ctx, pr.r, s, m)
		if dropped {
			pr.removed("helper schema %s (sequence views) on the %s", m.helperSchema(), s.role)
		}
		return err
	}
	views, err := s.queryStrings(ctx, `SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c
		JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind = 'v' ORDER BY 1`, m.helperSchema())
	if err != nil {
		return fmt.Errorf("%s: read sequence views: %w", s.role, err)
	}
	for _, v := range views {
		if err := pr.r.exec(ctx, s, "DROP VIEW IF EXISTS "+v, ""); err != nil {
			return err
		}
	}
	if len(views) > 0 {
		pr.removed("%d sequence view(s) on the %s", len(views), s.role)
	}
	pr.res.Warnings = append(pr.res.Warnings, fmt.Sprintf("roles are still fenced on the %s: schema %s keeps their prior settings until the fence is undone", s.role, m.helperSchema()))
	return nil
}
