package core

import (
	"context"
	"maps"
	"slices"
)

// PrivilegeCheck compares the migrated objects' privileges on both servers, as setup
// carries them (setup_privileges.go): each role by its name on the replica, the primary's
// owners' privileges as grants where they do not own the replica's objects.
type PrivilegeCheck struct {
	Objects     int                   `json:"objects"` // objects compared, default privileges included
	Differences []PrivilegeDifference `json:"differences"`
	// NotCompared are roles of the primary the replica lacks: their privileges were not
	// carried, and are not compared.
	NotCompared []string `json:"not_compared,omitempty"`
}

// comparePrivileges compares the privileges of the migration's objects, when its setup
// carried them; nil when it did not (NoPrivileges, or a migration set up before pghandoff
// carried privileges).
func comparePrivileges(ctx context.Context, primary, replica *server, m Migration) (*PrivilegeCheck, error) {
	pst, err := readPrimaryState(ctx, primary, m)
	if err != nil || !pst.meta.Privileges {
		return nil, err
	}
	app := applicationRoles{names: pst.meta.ApplicationRoles, rm: roleMap(pst.meta.RoleMap)}
	c, err := planCarry(ctx, primary, replica, m, Selection{Schemas: pst.meta.Schemas}, RoleOptions{}, app)
	if err != nil {
		return nil, err
	}
	out := &PrivilegeCheck{Objects: len(c.pCat.objects) + len(c.pDefaults), Differences: []PrivilegeDifference{}}
	for _, d := range c.diffs {
		out.Differences = append(out.Differences, d.difference())
	}
	out.NotCompared = slices.Sorted(maps.Keys(c.cmp.missing))
	return out, nil
}

// privilegeList is the first differences, in one line.
func privilegeList(diffs []PrivilegeDifference) string {
	lines := make([]string, len(diffs))
	for i, d := range diffs {
		lines[i] = d.String()
	}
	return joinList(lines, 5)
}
