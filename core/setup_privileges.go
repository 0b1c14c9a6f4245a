package core

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// checkRoles reads the application's roles (RoleOptions.MapRoles, and those an earlier
// setup recorded) and refuses one the primary lacks: a misspelt name would otherwise carry
// nothing, and cutover would find out.
func (p *setupPlan) checkRoles(ctx context.Context) error {
	given, err := parseMapRoles(p.opts.MapRoles)
	if err != nil {
		return err
	}
	if p.app, err = given.merge(p.pst.meta.ApplicationRoles, p.pst.meta.RoleMap); err != nil || len(p.app.names) == 0 {
		return err
	}
	known, err := p.primary.queryStrings(ctx, "SELECT rolname::text FROM pg_roles WHERE rolname = ANY ($1)", p.app.names)
	if err != nil {
		return fmt.Errorf("primary: read roles: %w", err)
	}
	var unknown []string
	for _, n := range p.app.names {
		if !slices.Contains(known, n) {
			unknown = append(unknown, ident(n))
		}
	}
	if len(unknown) > 0 {
		return refused(remedy("check the roles given with ", OptMapRole, ": each is the role's name on the primary (OLD in OLD=NEW), matched exactly, case included"),
			"not roles of the primary: %s", strings.Join(unknown, ", "))
	}
	return nil
}

// carryPrivileges gives the replica's objects the privileges the primary's give (roles_plan.go):
// roles created first (CreateRoles), then owners (Owners), grants, revokes and default
// privileges in one transaction. Run after the schema import, it covers tables a later
// setup adds too; run again, it changes only what differs.
func (p *setupPlan) carryPrivileges(ctx context.Context, r *runner) error {
	if p.opts.NoPrivileges {
		return nil
	}
	c, err := planCarry(ctx, p.primary, p.replica, p.opts.Migration, p.opts.Selection, p.opts.RoleOptions, p.app)
	if err != nil {
		return err
	}
	refusedAny, err := c.createRoles(ctx, r)
	if err != nil {
		return err
	}
	created, noPassword, warnings := c.created, c.noPassword, c.warnings
	if refusedAny && !r.dryRun {
		// A role the replica refused to create cannot be granted anything: plan without it.
		opts := p.opts.RoleOptions
		opts.CreateRoles = false
		if c, err = planCarry(ctx, p.primary, p.replica, p.opts.Migration, p.opts.Selection, opts, p.app); err != nil {
			return err
		}
		c.markCreated(created)
	}
	stmts := c.statements()
	if len(stmts) > 0 {
		r.note(ctx, roleReplica, "carrying privileges: %d statements", len(stmts))
	}
	err = r.inBatches(ctx, p.replica, stmts)
	p.res.Roles, p.res.CreatedRoles, p.res.RolesWithoutPassword = c.roles, created, noPassword
	p.res.PrivilegeStatements = len(stmts)
	p.res.Warnings = append(p.res.Warnings, append(warnings, c.skippedWarning()...)...)
	if !p.rst.sentinel && r.dryRun {
		p.res.Warnings = append(p.res.Warnings, "dry run: the privileges of the objects the schema import would create are granted once they exist; this run cannot list those statements")
	}
	return err
}

// skippedWarning says whose privileges were not carried, and what to do about it.
func (c *carryPlan) skippedWarning() []string {
	skipped := c.skipped()
	if len(skipped) == 0 {
		return nil
	}
	return []string{fmt.Sprintf("the replica has no role %s: privileges granted to them on the primary were not carried. %s",
		strings.Join(identList(skipped), ", "), remedy("Create them there, name them with ", OptMapRole, " if they have other names there, or run ",
			Run(CmdSetup, OptCreateRoles), " again").String())}
}

// statements are the owners, grants, revokes and default privileges to set, in that order.
func (c *carryPlan) statements() []string {
	var out []string
	for _, key := range c.pCat.order {
		if owner, ok := c.owners[key]; ok {
			out = append(out, ownerStatement(c.rCat.objects[key], owner))
		}
	}
	for _, d := range c.diffs {
		out = append(out, d.statements()...)
	}
	return out
}

// markCreated reports the roles this run created as created, not merely carried.
func (c *carryPlan) markCreated(names []string) {
	for i := range c.roles {
		if slices.Contains(names, c.roles[i].OnReplica) {
			c.roles[i].Setup = RoleCreate
		}
	}
}

// roleMeta is what setup records of the roles, in the publication's comment, for cutover,
// verify and later setups.
func (p *setupPlan) roleMeta(meta *publicationMeta) {
	meta.Privileges = !p.opts.NoPrivileges
	meta.ApplicationRoles = p.app.names
	meta.RoleMap = nil
	if len(p.app.rm) > 0 {
		meta.RoleMap = p.app.rm
	}
}

// roleMetaChanged reports whether the recorded roles differ from this run's.
func (p *setupPlan) roleMetaChanged() bool {
	want := p.pst.meta
	p.roleMeta(&want)
	had := p.pst.meta
	return want.Privileges != had.Privileges || !slices.Equal(want.ApplicationRoles, had.ApplicationRoles) || !maps.Equal(want.RoleMap, had.RoleMap)
}
