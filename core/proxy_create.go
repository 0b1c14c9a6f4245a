package core

import (
	"context"
	"fmt"
	"maps"
	"slices"
)

// ProxyCreateOptions configures ProxyCreate.
type ProxyCreateOptions struct {
	Migration // Proxy and Primary
	// MapRoles are roles of the proxy, besides the one pghandoff connects as, that the
	// application connects to the proxy as: each gets a user mapping to the primary and
	// the privileges to use the foreign tables.
	MapRoles []string
	// FDWOptions are the foreign server's tuning options: DefaultFDWOptions when nil,
	// postgres_fdw's own defaults when empty.
	FDWOptions map[string]string
	DryRun     bool
	Timeouts   Timeouts
	Observer
}

// ProxyCreateResult is what ProxyCreate made, or under dry-run would make.
type ProxyCreateResult struct {
	Name       string            `json:"name"`
	DryRun     bool              `json:"dry_run"`
	Changed    bool              `json:"changed"` // false: everything was already in place
	Server     string            `json:"server"`  // the foreign server on the proxy
	PointsAt   string            `json:"points_at"`
	Roles      []string          `json:"roles"` // roles with a user mapping
	FDWOptions map[string]string `json:"fdw_options"`
	Tables     []TableName       `json:"tables"`          // tables and partitioned tables
	Views      []TableName       `json:"views,omitempty"` // views and materialized views
	// Sequences are the primary's sequences that column defaults on the proxy draw from.
	Sequences    []TableName    `json:"sequences"`
	CreatedTypes []string       `json:"created_types,omitempty"`
	Skipped      []SkippedTable `json:"skipped,omitempty"`
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
// (tables added to the migration since, for instance).
func ProxyCreate(ctx context.Context, opts ProxyCreateOptions) (*ProxyCreateResult, error) {
	if err := opts.require(true, false, true); err != nil {
		return nil, err
	}
	if opts.FDWOptions == nil {
		opts.FDWOptions = DefaultFDWOptions
	}
	s, err := openSession(ctx, opts.Migration, "proxy create", opts.DryRun, rolePrimary, roleProxy)
	if err != nil {
		return nil, err
	}
	defer s.close()
	res := &ProxyCreateResult{Name: opts.name(), DryRun: opts.DryRun, Server: opts.name(), PointsAt: opts.Primary.String(),
		Tables: []TableName{}, Sequences: []TableName{}, Warnings: slices.Clone(fdwLimitations)}
	p, err := planProxy(ctx, opts, s.primary, s.proxy, res)
	if err != nil {
		return res, err
	}
	r := &runner{op: "proxy create", dryRun: opts.DryRun, obs: opts.Observer, timeouts: opts.Timeouts}
	err = p.apply(ctx, r)
	res.Statements = r.done
	res.Changed = len(r.done) > 0
	if err == nil && !res.Changed {
		r.note(ctx, roleProxy, "the proxy already stands in for every relation of migration %s: nothing to do", opts.name())
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
	res            *ProxyCreateResult
}

func planProxy(ctx context.Context, opts ProxyCreateOptions, primary, proxy *server, res *ProxyCreateResult) (*proxyPlan, error) {
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
	for _, check := range []func(context.Context) error{p.checkServer, p.checkRoles, p.checkRelations, p.checkTypes, p.checkHelperSchemas} {
		if err := check(ctx); err != nil {
			return nil, err
		}
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
		return refused("create tables on the primary, or run setup first", "the primary has no tables for the proxy to stand in for")
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

func (p *proxyPlan) checkServer(ctx context.Context) error {
	if !p.st.fdwAvailable {
		return refused("install the postgres_fdw extension on the proxy's server (it ships with PostgreSQL's contrib modules), or ask its provider to allow it",
			"the proxy has no postgres_fdw extension available")
	}
	srv := p.st.server
	switch {
	case !srv.exists:
		return nil
	case srv.wrapper != "postgres_fdw":
		return refused("choose another --name", "the proxy has a foreign server %s of wrapper %s", ident(p.opts.name()), srv.wrapper)
	case !srv.pointsAt(p.opts.Primary):
		return refused("if cutover already switched the proxy, there is nothing to create; otherwise run proxy remove first",
			"the proxy's foreign server %s does not point at the primary %s", ident(p.opts.name()), p.opts.Primary)
	}
	return nil
}

func (p *proxyPlan) checkRoles(ctx context.Context) error {
	known, err := p.proxy.queryStrings(ctx, "SELECT rolname::text FROM pg_roles WHERE rolname = ANY ($1)", p.roles)
	if err != nil {
		return fmt.Errorf("proxy: read roles: %w", err)
	}
	for _, role := range p.roles {
		if !slices.Contains(known, role) {
			return refused("create the role on the proxy first, or check the name: it is matched exactly, case included",
				"role %s does not exist on the proxy", ident(role))
		}
	}
	return nil
}

// checkRelations refuses names the proxy already uses for something else.
func (p *proxyPlan) checkRelations(context.Context) error {
	var clash []string
	for t, r := range p.st.relations {
		if r.kind != kindForeign || r.server != p.opts.name() {
			clash = append(clash, t.String())
		}
	}
	if len(clash) > 0 {
		slices.Sort(clash)
		return refused("drop or rename them on the proxy, or use another database as the proxy",
			"the proxy already has relations of these names that are not foreign tables of server %s: %s", ident(p.opts.name()), joinList(clash, 10))
	}
	return nil
}

// checkTypes finds the column types the proxy lacks: enums pghandoff copies; any other type
// stops proxy create here, before anything changed, with what to do.
func (p *proxyPlan) checkTypes(context.Context) error {
	var problems []string
	for _, t := range p.types {
		labels, exists := p.st.types[t.Qualified]
		switch {
		case exists && t.Kind == "e" && !slices.Equal(labels, t.Labels):
			problems = append(problems, fmt.Sprintf("enum %s has labels %v on the proxy and %v on the primary: make them the same (ALTER TYPE ... ADD VALUE on the proxy)", t.Qualified, labels, t.Labels))
		case exists || t.Kind == "e":
		case t.Extension != nil:
			problems = append(problems, fmt.Sprintf("type %s comes from extension %s: CREATE EXTENSION %s on the proxy, in schema %s", t.Qualified, *t.Extension, ident(*t.Extension), ident(t.Schema)))
		default:
			problems = append(problems, fmt.Sprintf("%s %s: create it on the proxy as it is on the primary", typeKindName(t.Kind), t.Qualified))
		}
	}
	if len(problems) > 0 {
		return refused("create those types on the proxy, then run proxy create again: nothing was changed",
			"the proxy lacks types the migration's columns use: %s", joinList(problems, 10))
	}
	return nil
}

func typeKindName(kind string) string {
	switch kind {
	case "d":
		return "domain"
	case "c":
		return "composite type"
	case "r", "m":
		return "range type"
	}
	return "type"
}

func (p *proxyPlan) checkHelperSchemas(ctx context.Context) error {
	for _, s := range []*server{p.primary, p.proxy} {
		st, err := readHelperSchema(ctx, s, p.opts.Migration)
		if err != nil {
			return err
		}
		if st.exists && !st.ours {
			return refused("choose another --name for the migration, or rename that schema",
				"the %s already has a schema named %s that pghandoff did not create", s.role, ident(p.opts.helperSchema()))
		}
	}
	return nil
}

func filterOptions(opts map[string]string, keep func(string) bool) map[string]string {
	out := map[string]string{}
	for k, v := range opts {
		if keep(k) {
			out[k] = v
		}
	}
	return out
}

func joinList(items []string, n int) string {
	out := ""
	for i, s := range firstN(items, n) {
		if i > 0 {
			out += "; "
		}
		out += s
	}
	if len(items) > n {
		out += fmt.Sprintf("; and %d more", len(items)-n)
	}
	return out
}
