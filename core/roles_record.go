package core

import (
	"context"
	"fmt"
)

// The roles setup created on the replica are recorded there, in the migration's helper
// schema, so that teardown --drop removes those and only those: a role the replica had
// before belongs to someone. A role comment would be shared by every database of the
// server; the record goes with the migration's database instead.

func (m Migration) createdRolesTable() string { return ident(m.helperSchema(), "roles") }

// createdRolesDDL makes the record's table; the helper schema must exist.
func createdRolesDDL(m Migration) string {
	return "CREATE TABLE IF NOT EXISTS " + m.createdRolesTable() +
		" (role text PRIMARY KEY, primary_role text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())"
}

func recordCreatedRole(m Migration, c createRole) string {
	return fmt.Sprintf("INSERT INTO %s (role, primary_role) VALUES (%s, %s) ON CONFLICT (role) DO NOTHING",
		m.createdRolesTable(), literal(c.name), literal(c.from))
}

// readCreatedRoles lists the roles setup created on the replica that still exist there, and
// whether there is a record at all.
func readCreatedRoles(ctx context.Context, replica *server, m Migration) ([]string, bool, error) {
	exists, err := replica.exists(ctx, "SELECT to_regclass($1) IS NOT NULL", m.createdRolesTable())
	if err != nil || !exists {
		return nil, false, err
	}
	roles, err := replica.queryStrings(ctx, "SELECT c.role FROM "+m.createdRolesTable()+" c JOIN pg_roles r ON r.rolname = c.role ORDER BY 1")
	if err != nil {
		return nil, true, fmt.Errorf("replica: read the roles setup created: %w", err)
	}
	return roles, true, nil
}
