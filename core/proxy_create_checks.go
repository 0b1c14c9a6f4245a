package core

import (
	"context"
	"fmt"
	"slices"
)

// The checks proxy create makes before changing anything.

func (p *proxyPlan) checkServer(ctx context.Context) error {
	if !p.st.fdwAvailable {
		return refused(remedy("install the postgres_fdw extension on the proxy's server (it ships with PostgreSQL's contrib modules), or ask its provider to allow it"),
			"the proxy has no postgres_fdw extension available")
	}
	srv := p.st.server
	switch {
	case !srv.exists:
		return nil
	case srv.wrapper != "postgres_fdw":
		return refused(remedy("choose another ", OptName), "the proxy has a foreign server %s of wrapper %s", ident(p.opts.name()), srv.wrapper)
	case !srv.pointsAt(p.opts.Primary):
		return refused(remedy("if cutover already switched the proxy, there is nothing to create; otherwise run proxy remove first"),
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
			return refused(remedy("create the role on the proxy first, or check the name: it is matched exactly, case included"),
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
		return refused(remedy("drop or rename them on the proxy, or use another database as the proxy"),
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
		case exists && t.Kind == "e" && !slices.Equal(without(t.Labels, without(t.Labels, labels)), labels):
			// Values the primary has since are added (enumValueSteps); others are not ours to fix.
			problems = append(problems, fmt.Sprintf("enum %s has labels %v on the proxy and %v on the primary: make them the same", t.Qualified, labels, t.Labels))
		case exists || t.Kind == "e":
		case t.Extension != nil:
			problems = append(problems, fmt.Sprintf("type %s comes from extension %s: CREATE EXTENSION %s on the proxy, in schema %s", t.Qualified, *t.Extension, ident(*t.Extension), ident(t.Schema)))
		default:
			problems = append(problems, fmt.Sprintf("%s %s: create it on the proxy as it is on the primary", typeKindName(t.Kind), t.Qualified))
		}
	}
	if len(problems) > 0 {
		return refused(remedy("create those types on the proxy, then run proxy create again: nothing was changed"),
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
			return refused(remedy("choose another ", OptName, " for the migration, or rename that schema"),
				"the %s already has a schema named %s that pghandoff did not create", s.role, ident(p.opts.helperSchema()))
		}
		if s == p.primary {
			p.primaryHelper = st.exists
		}
	}
	return nil
}
