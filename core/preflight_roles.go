package core

import (
	"context"
	"fmt"
	"strings"
)

// checkRoles lists the roles that own migrated objects, hold privileges on them or are the
// application's; says which exist on the replica and can log in there, and what setup will
// do about the others (roles_plan.go).
func checkRoles(ctx context.Context, p *preflight) error {
	if p.primary == nil {
		return nil
	}
	app, err := parseMapRoles(p.opts.MapRoles)
	if err == nil {
		var pst primaryState
		if pst, err = readPrimaryState(ctx, p.primary, p.opts.Migration); err != nil {
			return err
		}
		app, err = app.merge(pst.meta.ApplicationRoles, pst.meta.RoleMap)
	}
	if err != nil {
		p.add("roles", CheckFail, err.Error(), Hint(err))
		return nil
	}
	c, err := planCarry(ctx, p.primary, p.replica, p.opts.Migration, p.opts.Selection, p.opts.RoleOptions, app)
	if err != nil {
		return err
	}
	p.res.Roles = c.roles
	p.rolesCheck(c)
	if p.opts.CreateRoles && !p.opts.NoPrivileges {
		p.createCheck(c)
	}
	return nil
}

func (p *preflight) rolesCheck(c *carryPlan) {
	lines := make([]string, len(c.roles))
	var skipped, noLogin []string
	for i, r := range c.roles {
		lines[i] = r.String()
		switch {
		case r.Setup == RoleSkip:
			skipped = append(skipped, ident(r.Role))
		case r.Application && r.Exists && !r.CanLogin:
			noLogin = append(noLogin, ident(r.OnReplica))
		}
	}
	detail := "no role owns a migrated object or holds a privilege on one"
	if len(lines) > 0 {
		detail = strings.Join(lines, "; ")
	}
	switch unknown := c.unknownApplicationRoles(); {
	case len(unknown) > 0:
		p.add("roles", CheckFail, "not roles of the primary: "+strings.Join(identList(unknown), ", "),
			remedy("give ", OptMapRole, " the application's roles by their names on the primary (OLD in OLD=NEW)"))
	case p.opts.NoPrivileges:
		p.add("roles", CheckWarn, detail, remedy("without ", OptNoPrivileges, ", setup carries the privileges: with it, the application's own role gets \"permission denied\" on the replica until someone grants them"))
	case len(skipped) > 0:
		p.add("roles", CheckWarn, detail, remedy("the replica lacks ", strings.Join(skipped, ", "), ": create them there, name them with ", OptMapRole,
			" if they are named otherwise there, or set ", OptCreateRoles, " for setup to create them; otherwise their privileges stay behind"))
	case len(noLogin) > 0:
		p.add("roles", CheckWarn, detail, remedyf("the application's roles %s cannot log in to the replica: ALTER ROLE ... LOGIN there, and GRANT CONNECT on the database", strings.Join(noLogin, ", ")))
	default:
		p.pass("roles", detail)
	}
}

// createCheck says what the roles setup creates will lack: passwords the primary does not
// let pghandoff read, attributes the replica does not let it grant.
func (p *preflight) createCheck(c *carryPlan) {
	var notes []string
	for _, info := range c.creates {
		cr := roleCreation(info, c.app.rm.onReplica(info.name), c.powers, c.passwordsRead)
		notes = append(notes, cr.notes...)
	}
	if len(notes) == 0 {
		p.pass("roles to create", fmt.Sprintf("%d role(s), with the primary's attributes and passwords", len(c.creates)))
		return
	}
	p.add("roles to create", CheckWarn, joinList(notes, 10), remedyf("setup goes on without them; do what each says on the replica afterwards"))
}

// String says in a line where the role stands and what setup does about it.
func (r MigratedRole) String() string {
	name := ident(r.Role)
	if r.OnReplica != r.Role {
		name += " (" + ident(r.OnReplica) + " on the replica)"
	}
	if r.Application {
		name += ", the application's,"
	}
	where := "missing on the replica"
	switch {
	case r.Exists && r.CanLogin:
		where = "on the replica, can log in"
	case r.Exists:
		where = "on the replica, cannot log in"
	}
	what := map[string]string{RoleCarry: "setup carries its privileges", RoleCreate: "setup creates it, then carries its privileges",
		RoleSkip: "setup cannot carry its privileges", RoleSuperuser: "a superuser on the primary: needs no grant", RoleNone: "nothing is carried"}[r.Setup]
	return fmt.Sprintf("%s owns %d, privileges on %d: %s; %s", name, r.Owns, r.Privileges, where, what)
}
