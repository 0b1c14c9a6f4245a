package core

import (
	"context"
	"slices"
)

// What setup does about a role of the primary (MigratedRole.Setup).
const (
	RoleCarry     = "carry"     // it exists on the replica: its privileges are carried
	RoleCreate    = "create"    // setup creates it on the replica (CreateRoles), then carries them
	RoleSkip      = "skip"      // the replica lacks it: its privileges are not carried
	RoleSuperuser = "superuser" // a superuser on the primary: it needs no grant
	RoleNone      = "none"      // NoPrivileges: nothing is carried
)

// MigratedRole is a role of the primary that owns migrated objects or holds privileges on
// them, or that the application logs in as, and where it stands on the replica.
type MigratedRole struct {
	Role        string `json:"role"`                  // its name on the primary
	OnReplica   string `json:"on_replica"`            // its name on the replica (MapRoles)
	Application bool   `json:"application,omitempty"` // named with MapRoles
	Owns        int    `json:"owns"`                  // migrated objects it owns on the primary
	Privileges  int    `json:"privileges"`            // migrated objects (and default privileges) that grant it something
	Exists      bool   `json:"exists"`                // it exists on the replica
	CanLogin    bool   `json:"can_login"`             // it can log in to the replica's database
	Login       bool   `json:"login_on_primary"`      // it can log in on the primary
	Setup       string `json:"setup"`                 // what setup does about it: RoleCarry, RoleCreate, ...
}

// carryPlan is what the replica needs so that the primary's roles hold there what they hold
// on the primary, worked out before anything changes: roles to create, memberships, owners,
// grants and revokes, default privileges; and what cannot be carried, and why.
type carryPlan struct {
	opts             RoleOptions
	app              applicationRoles
	m                Migration
	primary, replica *server
	schemas          []string
	pCat, rCat       *aclCatalog
	pDefaults        map[defaultKey]acl
	rDefaults        map[defaultKey]acl
	pRoles, rRoles   map[string]*roleInfo // by the primary's and the replica's names
	powers           replicaPowers
	passwordsRead    bool
	involved         []string // the primary's roles the plan is about
	cmp              *comparison

	roles       []MigratedRole
	creates     []*roleInfo       // the primary's roles to create on the replica
	owners      map[string]string // object key → its new owner on the replica
	diffs       []*aclDiff
	memberships []string
	warnings    []string
	created     []string // roles created on the replica, by their names there
	noPassword  []string // those of them that log in, created without a password
}

// planCarry reads both servers and plans. sel picks the schemas.
func planCarry(ctx context.Context, primary, replica *server, m Migration, sel Selection, opts RoleOptions, app applicationRoles) (*carryPlan, error) {
	c := &carryPlan{opts: opts, app: app, m: m, primary: primary, replica: replica, owners: map[string]string{}}
	for _, read := range []func(context.Context, Selection) error{c.readPrivileges, c.readRoles} {
		if err := read(ctx, sel); err != nil {
			return nil, err
		}
	}
	c.planCreates()
	c.cmp = &comparison{rm: app.rm, primaryRoles: c.pRoles, onReplica: c.willExist, primaryMajor: primary.major(),
		managed: map[string]bool{}, missing: map[string]bool{}}
	for _, r := range c.involved {
		if info := c.pRoles[r]; info == nil || !info.super {
			c.cmp.managed[app.rm.onReplica(r)] = true
		}
	}
	if !opts.NoPrivileges {
		c.planOwners()
		c.planPrivileges()
		c.planMemberships()
	}
	c.report()
	return c, nil
}

func (c *carryPlan) readPrivileges(ctx context.Context, sel Selection) error {
	var err error
	if c.schemas, err = migratedSchemas(ctx, c.primary, c.m, sel); err != nil {
		return err
	}
	if c.pCat, err = readACLs(ctx, c.primary, c.schemas, c.m.sentinel()); err != nil {
		return err
	}
	if c.rCat, err = readACLs(ctx, c.replica, c.schemas, c.m.sentinel()); err != nil {
		return err
	}
	if c.pDefaults, err = readDefaultACLs(ctx, c.primary, c.schemas); err != nil {
		return err
	}
	c.rDefaults, err = readDefaultACLs(ctx, c.replica, c.schemas)
	return err
}

// readRoles reads the roles the privileges name, and the application's, on both servers.
func (c *carryPlan) readRoles(ctx context.Context, _ Selection) error {
	c.involved = c.namedRoles()
	var err error
	if c.pRoles, err = readRoles(ctx, c.primary, c.involved); err != nil {
		return err
	}
	if c.opts.CreateRoles && !c.opts.NoPrivileges {
		if c.passwordsRead, err = readPasswords(ctx, c.primary, c.pRoles); err != nil {
			return err
		}
	}
	var names []string
	for _, r := range c.involved {
		names = append(names, c.app.rm.onReplica(r))
		if info := c.pRoles[r]; info != nil {
			for _, g := range info.memberOf {
				names = append(names, c.app.rm.onReplica(g.group))
			}
		}
	}
	if c.rRoles, err = readRoles(ctx, c.replica, names); err != nil {
		return err
	}
	c.powers, err = readReplicaPowers(ctx, c.replica, names)
	return err
}

// namedRoles are the roles of the primary that own migrated objects, hold privileges on them
// or set default privileges, and the application's.
func (c *carryPlan) namedRoles() []string {
	seen := slices.Clone(c.app.names)
	for _, key := range c.pCat.order {
		o := c.pCat.objects[key]
		if o.kind != "database" {
			seen = append(seen, o.owner)
		}
		for k := range o.acl {
			seen = append(seen, k.grantee)
		}
	}
	for k, a := range c.pDefaults {
		seen = append(seen, k.role)
		for g := range a {
			seen = append(seen, g.grantee)
		}
	}
	out := dedupe(seen) // drops PUBLIC ("") too
	slices.Sort(out)
	return out
}

// willExist reports whether the replica has the role, or setup creates it.
func (c *carryPlan) willExist(role string) bool {
	if c.rRoles[role] != nil {
		return true
	}
	return slices.ContainsFunc(c.creates, func(r *roleInfo) bool { return c.app.rm.onReplica(r.name) == role })
}

// planCreates lists the roles to create: those the replica lacks, but neither superusers
// (they need no grant, and a new server rarely allows one) nor PostgreSQL's predefined
// roles, unless the application logs in as them.
func (c *carryPlan) planCreates() {
	if !c.opts.CreateRoles || c.opts.NoPrivileges {
		return
	}
	for _, r := range c.involved {
		info := c.pRoles[r]
		if info == nil || info.predefined || c.rRoles[c.app.rm.onReplica(r)] != nil {
			continue
		}
		if !info.super || slices.Contains(c.app.names, r) {
			c.creates = append(c.creates, info)
		}
	}
}
