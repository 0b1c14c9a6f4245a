package core

import (
	"context"
	"fmt"
	"strings"
)

// dropCreatedRoles drops, with Drop, the roles setup created on the replica (roles_record.go)
// and no other, after the imported schema: DROP OWNED BY first takes what they still own or
// hold in this database, and a role that owns or holds something in another database of
// the replica is kept, and said. Without Drop the roles stay (the application logs in as
// them) and only the record goes, so that nothing of pghandoff is left.
func (t *teardown) dropCreatedRoles(ctx context.Context) error {
	roles, recorded, err := readCreatedRoles(ctx, t.replica, t.opts.Migration)
	if err != nil || !recorded {
		return err
	}
	if !t.opts.Drop {
		if len(roles) > 0 {
			t.res.Warnings = append(t.res.Warnings, fmt.Sprintf("the roles setup created stay on the replica, the application's now: %s", strings.Join(identList(roles), ", ")))
		}
		return t.r.exec(ctx, t.replica, "DROP TABLE IF EXISTS "+t.opts.createdRolesTable(), "")
	}
	return t.r.transaction(ctx, t.replica, func() error { return t.dropRoles(ctx, roles) })
}

func (t *teardown) dropRoles(ctx context.Context, roles []string) error {
	for _, role := range roles {
		refusal, err := t.r.tryExec(ctx, t.replica, "DROP OWNED BY "+ident(role), "")
		if err == nil && refusal == nil {
			refusal, err = t.r.tryExec(ctx, t.replica, "DROP ROLE "+ident(role), "")
		}
		switch {
		case err != nil:
			return err
		case refusal != nil:
			t.res.Warnings = append(t.res.Warnings, fmt.Sprintf("role %s, created by setup, was kept: %v; it owns or holds something elsewhere on the replica", ident(role), refusal))
		default:
			t.res.DroppedRoles = append(t.res.DroppedRoles, role)
			t.removed("role " + role + " on the replica (created by setup)")
		}
	}
	return t.r.exec(ctx, t.replica, "DROP TABLE IF EXISTS "+t.opts.createdRolesTable(), "")
}
