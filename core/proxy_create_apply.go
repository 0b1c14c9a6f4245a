package core

import (
	"context"
	"fmt"
	"slices"
)

// apply makes the helper views on the primary (their own transaction: harmless if the proxy's
// part then fails, and replaced on the next run), adds the enum values the proxy's copies
// lack (committed before anything uses them), then everything else on the proxy in one
// transaction.
func (p *proxyPlan) apply(ctx context.Context, r *runner) error {
	if err := runTransaction(ctx, r, p.primary, p.primarySteps()); err != nil {
		return err
	}
	if err := runTransaction(ctx, r, p.proxy, p.enumValueSteps()); err != nil {
		return err
	}
	steps, err := p.proxySteps(ctx)
	if err != nil {
		return err
	}
	if err := runTransaction(ctx, r, p.proxy, steps); err != nil {
		return withHint(err, remedy("nothing was kept on the proxy: fix the cause (a function a default uses, a collation, a privilege), then run proxy create again"))
	}
	return nil
}

func (p *proxyPlan) primarySteps() []step {
	var steps []step
	for _, s := range p.seqs {
		if !p.primaryViews[helperName(s.table())] {
			steps = append(steps, step{sql: sequenceViewDDL(p.opts.Migration, s)})
		}
	}
	if len(steps) > 0 && !p.primaryHelper {
		steps = append(helperSchemaSteps(p.opts.Migration), steps...)
	}
	return steps
}

func (p *proxyPlan) proxySteps(ctx context.Context) ([]step, error) {
	m := p.opts.Migration
	var steps []step
	add := func(sql string) { steps = append(steps, step{sql: sql}) }
	if !p.st.fdwInstalled {
		add("CREATE EXTENSION IF NOT EXISTS postgres_fdw")
		add("COMMENT ON EXTENSION postgres_fdw IS " + literal(fdwExtensionMarker))
	}
	if !p.st.schemas[m.helperSchema()] {
		steps = append(steps, helperSchemaSteps(m)...)
	}
	if !p.st.server.exists {
		add(fmt.Sprintf("CREATE SERVER %s FOREIGN DATA WRAPPER postgres_fdw %s", ident(m.name()),
			optionsClause(serverOptions(m.Primary, p.opts.FDWOptions, p.proxy.major()))))
	}
	real, shown := mappingOptions(m.Primary)
	for _, role := range p.roles {
		if slices.ContainsFunc(p.st.server.mappings, func(um userMapping) bool { return um.role == role }) {
			continue
		}
		format := "CREATE USER MAPPING FOR " + ident(role) + " SERVER " + ident(m.name()) + " "
		steps = append(steps, step{sql: format + optionsClause(real), shown: format + optionsClause(shown)})
	}
	for _, s := range p.sel.schemas {
		if !p.st.schemas[s] {
			add("CREATE SCHEMA " + ident(s))
			add(fmt.Sprintf("COMMENT ON SCHEMA %s IS %s", ident(s), literal(m.marker())))
		}
	}
	for _, t := range p.types {
		if _, exists := p.st.types[t.Qualified]; !exists && t.Kind == "e" {
			add(enumDDL(t))
			add(fmt.Sprintf("COMMENT ON TYPE %s IS %s", ident(t.Schema, t.Name), literal(m.marker())))
			p.res.CreatedTypes = append(p.res.CreatedTypes, t.Qualified)
		}
	}
	for _, s := range p.seqs {
		name := helperName(s.table())
		ddl := sequenceHelperDDL(m, s.table())
		if _, exists := p.st.relations[TableName{Schema: m.helperSchema(), Name: name}]; !exists {
			add(ddl[0])
		}
		if !p.st.functions[name] {
			add(ddl[1])
		}
	}
	for _, rel := range p.sel.relations {
		if _, exists := p.st.relations[rel.TableName]; !exists {
			add(p.ddl[rel.TableName])
		}
	}
	steps = append(steps, p.pauseParentSteps()...)
	steps = append(steps, p.alter...)
	grants, err := p.grantSteps(ctx)
	return append(steps, grants...), err
}

// foreignTables names the foreign tables the proxy stands in with: for the migration's
// relations, and the sequence helpers.
func (p *proxyPlan) foreignTables() (tables, helpers []TableName) {
	for _, rel := range p.sel.relations {
		tables = append(tables, rel.TableName)
	}
	for _, s := range p.seqs {
		helpers = append(helpers, TableName{Schema: p.opts.helperSchema(), Name: helperName(s.table())})
	}
	return tables, helpers
}

// grantSteps give each mapped role, other than the one pghandoff connects as (which owns
// everything), what it lacks of the schemas, foreign tables and sequence helpers.
func (p *proxyPlan) grantSteps(ctx context.Context) ([]step, error) {
	m := p.opts.Migration
	tables, helpers := p.foreignTables()
	schemas := append(slices.Clone(p.sel.schemas), m.helperSchema())
	var steps []step
	for _, role := range p.roles[1:] {
		usable, err := p.proxy.queryStrings(ctx, `SELECT x FROM unnest($1::text[]) AS x
			WHERE CASE WHEN EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = x) THEN has_schema_privilege($2, x, 'USAGE') END`, schemas, role)
		if err != nil {
			return nil, fmt.Errorf("proxy: read schema privileges of %s: %w", role, err)
		}
		for _, s := range schemas {
			if !slices.Contains(usable, s) {
				steps = append(steps, step{sql: fmt.Sprintf("GRANT USAGE ON SCHEMA %s TO %s", ident(s), ident(role))})
			}
		}
		for _, g := range []struct {
			tables []TableName
			privs  []string
		}{{tables, tablePrivileges}, {helpers, helperPrivileges}} {
			have, err := privileged(ctx, p.proxy, role, g.tables, g.privs)
			if err != nil {
				return nil, err
			}
			for _, t := range g.tables {
				if !have[t] {
					steps = append(steps, step{sql: grantDDL(t, role, g.privs)})
				}
			}
		}
	}
	return steps, nil
}
