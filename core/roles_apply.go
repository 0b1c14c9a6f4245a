package core

import (
	"context"
	"fmt"
)

// createRoles creates the roles the replica lacks (recording each, for teardown --drop) and
// grants the memberships, in one transaction, each statement in a savepoint: what the
// replica refuses (a managed service's limits) is said in a warning, not fatal. It reports
// whether a role could not be created.
func (c *carryPlan) createRoles(ctx context.Context, r *runner) (bool, error) {
	if len(c.creates)+len(c.memberships) == 0 {
		return false, nil
	}
	var refusedAny bool
	err := r.transaction(ctx, c.replica, func() (err error) {
		refusedAny, err = c.createInTransaction(ctx, r)
		return err
	})
	if err != nil {
		c.created, c.noPassword = nil, nil
	}
	return refusedAny, err
}

func (c *carryPlan) createInTransaction(ctx context.Context, r *runner) (bool, error) {
	if len(c.creates) > 0 {
		if err := ensureHelperSchema(ctx, r, c.replica, c.m); err != nil {
			return false, err
		}
		if err := r.exec(ctx, c.replica, createdRolesDDL(c.m), ""); err != nil {
			return false, err
		}
	}
	refusedAny := false
	for _, info := range c.creates {
		created, err := c.create(ctx, r, roleCreation(info, c.app.rm.onReplica(info.name), c.powers, c.passwordsRead))
		if err != nil {
			return false, err
		}
		refusedAny = refusedAny || !created
	}
	return refusedAny, c.grantMemberships(ctx, r)
}

// create creates one role and records it; it reports whether the replica let it.
func (c *carryPlan) create(ctx context.Context, r *runner, cr createRole) (bool, error) {
	refusal, err := r.tryExec(ctx, c.replica, cr.sql, cr.shown)
	if err != nil || refusal != nil {
		if refusal != nil {
			c.warnings = append(c.warnings, fmt.Sprintf("role %s was not created, and nothing was granted to it: %v", ident(cr.name), refusal))
		}
		return false, err
	}
	if err := r.exec(ctx, c.replica, recordCreatedRole(c.m, cr), ""); err != nil {
		return false, err
	}
	c.created = append(c.created, cr.name)
	c.warnings = append(c.warnings, cr.notes...)
	if cr.noPassword {
		c.noPassword = append(c.noPassword, cr.name)
	}
	return true, nil
}

// grantMemberships grants the memberships the primary's roles have; one the replica refuses
// is said, not fatal.
func (c *carryPlan) grantMemberships(ctx context.Context, r *runner) error {
	for _, stmt := range c.memberships {
		refusal, err := r.tryExec(ctx, c.replica, stmt, "")
		if err != nil {
			return err
		}
		if refusal != nil {
			c.warnings = append(c.warnings, fmt.Sprintf("the replica refused a membership the primary has, so privileges held through it are not carried; run it there as a role that may: %v", refusal))
		}
	}
	return nil
}
