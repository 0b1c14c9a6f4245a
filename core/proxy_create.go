package core

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
)

// ProxyCreateOptions configures ProxyCreate.
type ProxyCreateOptions struct {
	Migration // Proxy and Primary; or PgBouncer, Primary and Replica
	// MapRoles are roles of the proxy, besides the one pghandoff connects as, that the
	// application connects to the proxy as: each gets a user mapping to the primary and
	// the privileges to use the foreign tables. Entries are RoleOptions.MapRoles': "OLD" or
	// "OLD=NEW", OLD the role as the proxy (standing in for the primary) names it.
	// With PgBouncer, the roles the application logs in as, checked on the new primary (the
	// users of the entry's pools when empty).
	MapRoles []string
	// FDWOptions are the foreign server's tuning options: DefaultFDWOptions when nil,
	// postgres_fdw's own defaults when empty.
	FDWOptions map[string]string
	Execution
}

// ProxyCreateResult is what ProxyCreate made, or under dry-run would make.
type ProxyCreateResult struct {
	Name     string `json:"name"`
	DryRun   bool   `json:"dry_run"`
	Strategy string `json:"strategy"` // StrategyProxy or StrategyPgBouncer
	Changed  bool   `json:"changed"`  // false: everything was already in place
	// Server is the foreign server on the proxy, or PgBouncer's database entry.
	Server     string            `json:"server"`
	PointsAt   string            `json:"points_at"`
	Roles      []string          `json:"roles"` // roles with a user mapping
	FDWOptions map[string]string `json:"fdw_options"`
	Tables     []TableName       `json:"tables"`          // tables and partitioned tables
	Views      []TableName       `json:"views,omitempty"` // views and materialized views
	// Sequences are the primary's sequences that column defaults on the proxy draw from.
	Sequences    []TableName    `json:"sequences"`
	CreatedTypes []string       `json:"created_types,omitempty"`
	Skipped      []SkippedTable `json:"skipped,omitempty"`
	// PgBouncer is what the checks found and did, with PgBouncer.
	PgBouncer *BouncerCheckResult `json:"pgbouncer,omitempty"`
	// Settled says what an earlier run left in PgBouncer (a pause) and this one put right.
	Settled []string `json:"settled,omitempty"`
	// Warnings include what postgres_fdw cannot carry, for the operator to check against
	// the application.
	Warnings   []string    `json:"warnings"`
	Statements []Statement `json:"statements"`
}

// ProxyCreate makes the proxy stand in for the primary: a postgres_fdw foreign server and user
// mappings built from the parsed primary DSN, and a foreign table for every table and view
// of the migration, in same-named schemas, with every column default still working (see
// proxy_ddl.go). It checks everything before changing anything; the proxy's part is one
// transaction, so a failure leaves nothing there, and a re-run only adds what is missing
// (tables added to the migration since, for instance). With PgBouncer instead of the proxy,
// it takes over PgBouncer's entry for the application's database (proxy_create_pgbouncer.go).
func ProxyCreate(ctx context.Context, opts ProxyCreateOptions) (*ProxyCreateResult, error) {
	if errs := opts.checkStrategy(); len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if opts.usesBouncer() {
		return proxyCreateBouncer(ctx, opts)
	}
	if opts.FDWOptions == nil {
		opts.FDWOptions = DefaultFDWOptions
	}
	ctx, end, err := opts.reserve(ctx, "proxy create", need{rolePrimary: 2, roleProxy: 1})
	if err != nil {
		return nil, err
	}
	defer end()
	op, err := beginOperation(ctx, "proxy create", opts.Migration, opts.Execution, rolePrimary, roleProxy)
	if err != nil {
		return nil, err
	}
	defer op.close()
	if opts.MapRoles, err = proxyRoles(ctx, op.primary, opts.Migration, opts.MapRoles); err != nil {
		return nil, err
	}
	res := &ProxyCreateResult{Name: opts.name(), DryRun: opts.DryRun, Strategy: StrategyProxy, Server: opts.name(), PointsAt: opts.Primary.String(),
		Tables: []TableName{}, Sequences: []TableName{}, Warnings: slices.Clone(fdwLimitations)}
	p, err := planProxy(ctx, opts, op.primary, op.proxy, res)
	if err != nil {
		return res, err
	}
	err = p.apply(ctx, op.r)
	res.Statements = op.statements()
	res.Changed = len(res.Statements) > 0
	if err == nil && !res.Changed {
		op.r.note(ctx, roleProxy, "the proxy already stands in for every relation of migration %s: nothing to do", opts.name())
	}
	return res, err
}

// proxyPlan is what ProxyCreate found and will make.
type proxyPlan struct {
	opts           ProxyCreateOptions
	primary, proxy *server
	sel            proxySelection
	types          []sourceType
	st             *proxyState
	roles          []string
	seqs           []sequenceRef
	ddl            map[TableName]string
	primaryViews   map[string]bool // helper views the primary has
	primaryHelper  bool            // the primary has the helper schema
	alter          []step          // bring existing foreign tables in line (schema_proxy.go)
	res            *ProxyCreateResult
}

func planProxy(ctx context.Context, opts ProxyCreateOptions, primary, proxy *server, res *ProxyCreateResult) (*proxyPlan, error) {
	p, err := readProxyPlan(ctx, opts, primary, proxy, res)
	if err != nil {
		return nil, err
	}
	for _, check := range []func(context.Context) error{p.checkServer, p.checkRoles, p.checkRelations, p.checkTypes, p.checkHelperSchemas} {
		if err := check(ctx); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// readProxyPlan reads what the plan needs from the primary and the proxy, and checks nothing:
// schema diff compares the proxy with the primary this way.
func readProxyPlan(ctx context.Context, opts ProxyCreateOptions, primary, proxy *server, res *ProxyCreateResult) (*proxyPlan, error) {
	p := &proxyPlan{opts: opts, primary: primary, proxy: proxy, res: res, ddl: map[TableName]string{}}
	if err := p.readPrimary(ctx); err != nil {
		return nil, err
	}
	var names []TableName
	for _, rel := range p.sel.relations {
		names = append(names, rel.TableName)
	}
	helpers := make([]string, len(p.seqs))
	for i, s := range p.seqs {
		helpers[i] = helperName(s.table())
		names = append(names, TableName{Schema: opts.helperSchema(), Name: helpers[i]})
	}
	typeNames := make([]string, len(p.types))
	for i, t := range p.types {
		typeNames[i] = t.Qualified
	}
	var err error
	if p.st, err = readProxyState(ctx, proxy, opts.Migration, names, typeNames, helpers, p.sel.schemas); err != nil {
		return nil, err
	}
	p.roles = dedupe(append([]string{p.st.currentUser}, opts.MapRoles...))
	p.res.Roles = p.roles
	p.res.FDWOptions = map[string]string{}
	for k, v := range serverOptions(opts.Primary, opts.FDWOptions, proxy.major()) {
		if isTuningOption(k) {
			p.res.FDWOptions[k] = v
		}
	}
	if p.st.server.exists {
		p.res.FDWOptions = map[string]string{}
		maps.Copy(p.res.FDWOptions, filterOptions(p.st.server.options, isTuningOption))
	}
	return p, nil
}

// readPrimary reads what the proxy must stand in for: the relations, their columns and
// types, and the sequences their defaults draw from.
func (p *proxyPlan) readPrimary(ctx context.Context) error {
	pst, err := readPrimaryState(ctx, p.primary, p.opts.Migration)
	if err != nil {
		return err
	}
	all, err := listSourceRelations(ctx, p.primary)
	if err != nil {
		return err
	}
	p.sel = selectRelations(all, p.opts.Migration, pst.published, pst.publication)
	if len(p.sel.relations) == 0 {
		return refused(remedy("create tables on the primary, or run setup first"), "the primary has no tables for the proxy to stand in for")
	}
	p.res.Skipped, p.res.Warnings = p.sel.skipped, append(p.res.Warnings, p.sel.warnings...)
	err = withQualifiedNames(ctx, p.primary, func() error {
		if err := readColumns(ctx, p.primary, p.sel.relations); err != nil {
			return err
		}
		p.types, err = readSourceTypes(ctx, p.primary, p.sel.relations)
		return err
	})
	if err != nil {
		return err
	}
	for _, rel := range p.sel.relations {
		ddl, seqs, warnings := foreignTableDDL(p.opts.Migration, rel)
		p.ddl[rel.TableName] = ddl
		p.res.Warnings = append(p.res.Warnings, warnings...)
		for _, s := range seqs {
			if !slices.ContainsFunc(p.seqs, func(x sequenceRef) bool { return x.table() == s.table() }) {
				p.seqs = append(p.seqs, s)
				p.res.Sequences = append(p.res.Sequences, s.table())
			}
		}
		if rel.isTable() {
			p.res.Tables = append(p.res.Tables, rel.TableName)
		} else {
			p.res.Views = append(p.res.Views, rel.TableName)
		}
	}
	views, err := p.primary.queryStrings(ctx, `SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = $1 AND c.relkind = 'v'`, p.opts.helperSchema())
	if err != nil {
		return fmt.Errorf("primary: read sequence views: %w", err)
	}
	p.primaryViews = map[string]bool{}
	for _, v := range views {
		p.primaryViews[v] = true
	}
	return nil
}
