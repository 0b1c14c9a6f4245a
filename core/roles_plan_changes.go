package core

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// planOwners gives each object of the replica its primary owner's role (Owners), where the
// replica has that role and pghandoff's user there may act as it (PostgreSQL requires it).
// The public schema keeps its owner: each database makes its own.
func (c *carryPlan) planOwners() {
	if !c.opts.Owners {
		return
	}
	cannot := map[string]bool{}
	for _, key := range c.pCat.order {
		p, r := c.pCat.objects[key], c.rCat.objects[key]
		if r == nil || ownerTargets[p.kind] == "" || p.linked || (p.kind == "schema" && p.name == "public") {
			continue
		}
		owner, ok := c.cmp.grantee(p.owner)
		switch {
		case !ok || owner == r.owner:
		case !c.powers.actsAs(owner):
			cannot[owner] = true
		default:
			c.owners[key] = owner
		}
	}
	if len(cannot) > 0 {
		c.warnings = append(c.warnings, fmt.Sprintf("objects owned on the primary by %s keep the replica's owner: %s may not act as those roles there; "+
			"GRANT each role to %[2]s on the replica (or run setup as a superuser there) and run setup again",
			joinList(identList(slices.Sorted(maps.Keys(cannot))), 10), ident(c.powers.user)))
	}
}

// planPrivileges compares every object and the default privileges. Default privileges of a
// role pghandoff's user may not act as are left, with a warning.
func (c *carryPlan) planPrivileges() {
	c.diffs = c.cmp.objects(c.pCat, c.rCat, c.owners)
	schemas := map[string]bool{}
	for _, o := range c.rCat.objects {
		if o.kind == "schema" {
			schemas[o.schema] = true
		}
	}
	cannot := map[string]bool{}
	for _, d := range c.cmp.defaults(c.pDefaults, c.rDefaults, schemas) {
		if c.powers.actsAs(d.def.role) {
			c.diffs = append(c.diffs, d)
		} else {
			cannot[d.def.role] = true
		}
	}
	if len(cannot) > 0 {
		c.warnings = append(c.warnings, fmt.Sprintf("the default privileges of %s are not set on the replica: %s may not act as those roles there; "+
			"GRANT each role to %[2]s on the replica and run setup again, or run its ALTER DEFAULT PRIVILEGES there as that role",
			joinList(identList(slices.Sorted(maps.Keys(cannot))), 10), ident(c.powers.user)))
	}
}

// planMemberships grants on the replica the memberships the primary's roles have in each
// other and in PostgreSQL's predefined roles (pg_read_all_data, ...): privileges held
// through a group travel with the group's grants only if the membership does too.
func (c *carryPlan) planMemberships() {
	for _, r := range c.involved {
		info := c.pRoles[r]
		if info == nil || info.super {
			continue
		}
		member := c.app.rm.onReplica(r)
		var have []membership
		if m := c.rRoles[member]; m != nil {
			have = m.memberOf
		}
		for _, g := range info.memberOf {
			group := c.app.rm.onReplica(g.group)
			carried := slices.Contains(c.involved, g.group) || strings.HasPrefix(g.group, "pg_")
			if !carried || !c.willExist(group) || !c.willExist(member) || slices.ContainsFunc(have, func(h membership) bool { return h.group == group }) {
				continue
			}
			stmt := fmt.Sprintf("GRANT %s TO %s", ident(group), ident(member))
			if g.admin {
				stmt += " WITH ADMIN OPTION"
			}
			c.memberships = append(c.memberships, stmt)
		}
	}
}

// report says, for each role, where it stands and what setup does about it.
func (c *carryPlan) report() {
	owns, grants := c.counts()
	for _, r := range c.involved {
		if info := c.pRoles[r]; info != nil && info.predefined {
			continue // pg_database_owner and the like: every server has them
		}
		repl := c.app.rm.onReplica(r)
		mr := MigratedRole{Role: r, OnReplica: repl, Application: slices.Contains(c.app.names, r), Owns: owns[r], Privileges: grants[r]}
		if info := c.pRoles[r]; info != nil {
			mr.Login = info.login
		}
		if info := c.rRoles[repl]; info != nil {
			mr.Exists, mr.CanLogin = true, info.loginProblem(time.Now()) == ""
		}
		switch info := c.pRoles[r]; {
		case c.opts.NoPrivileges:
			mr.Setup = RoleNone
		case info != nil && info.super && !mr.Application:
			mr.Setup = RoleSuperuser
		case mr.Exists:
			mr.Setup = RoleCarry
		case c.willExist(repl):
			mr.Setup = RoleCreate
		default:
			mr.Setup = RoleSkip
		}
		c.roles = append(c.roles, mr)
	}
}

// counts are, per role of the primary, the objects it owns and those that grant it something.
func (c *carryPlan) counts() (owns, grants map[string]int) {
	owns, grants = map[string]int{}, map[string]int{}
	for _, o := range c.pCat.objects {
		if o.kind != "database" && o.kind != "column" {
			owns[o.owner]++
		}
		seen := map[string]bool{o.owner: true}
		for k := range o.acl {
			if !seen[k.grantee] {
				seen[k.grantee] = true
				grants[k.grantee]++
			}
		}
	}
	for k, a := range c.pDefaults {
		grants[k.role]++
		for g := range a {
			grants[g.grantee]++
		}
	}
	return owns, grants
}

// unknownApplicationRoles are the roles named with MapRoles that the primary lacks.
func (c *carryPlan) unknownApplicationRoles() []string {
	var out []string
	for _, r := range c.app.names {
		if c.pRoles[r] == nil {
			out = append(out, r)
		}
	}
	return out
}

// skipped are the roles of the primary whose privileges are not carried: the replica
// lacks them.
func (c *carryPlan) skipped() []string {
	var out []string
	for _, r := range c.roles {
		if r.Setup == RoleSkip {
			out = append(out, r.Role)
		}
	}
	return out
}

func identList(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = ident(n)
	}
	return out
}
