package core

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// roleInfo is a role as one server's pg_roles shows it.
type roleInfo struct {
	name                                 string
	super, inherit, createRole, createDB bool
	login, replication, bypassRLS        bool
	connLimit                            int
	validUntil                           *time.Time
	connect                              bool    // may connect to the migration's database
	password                             *string // its stored hash (SCRAM or md5), when the server lets it be read
	predefined                           bool    // pg_read_all_data and the like: every server has them
	memberOf                             []membership
}

// membership is the role's membership of a group role.
type membership struct {
	group string
	admin bool
}

// loginProblem says why the role cannot log in to this database, or "" when it can.
func (r *roleInfo) loginProblem(now time.Time) string {
	switch {
	case !r.login:
		return "has NOLOGIN"
	case r.validUntil != nil && r.validUntil.Before(now):
		return "has a password that expired at " + r.validUntil.Format(time.RFC3339)
	case !r.connect:
		return "has no CONNECT privilege on the database"
	}
	return ""
}

// readRoles reads the roles of names that exist on s, by name.
func readRoles(ctx context.Context, s *server, names []string) (map[string]*roleInfo, error) {
	rows, err := s.conn.Query(ctx, `SELECT r.rolname::text, r.rolsuper, r.rolinherit, r.rolcreaterole, r.rolcreatedb, r.rolcanlogin,
		r.rolreplication, r.rolbypassrls, r.rolconnlimit, r.rolvaliduntil,
		has_database_privilege(r.oid, current_database(), 'CONNECT'), r.oid < 16384 AND r.rolname ~ '^pg_'
		FROM pg_roles r WHERE r.rolname = ANY ($1)`, names)
	if err != nil {
		return nil, fmt.Errorf("%s: read roles: %w", s.role, err)
	}
	out := map[string]*roleInfo{}
	err = forEachRow(rows, func(row pgx.CollectableRow) error {
		var r roleInfo
		if err := row.Scan(&r.name, &r.super, &r.inherit, &r.createRole, &r.createDB, &r.login, &r.replication, &r.bypassRLS,
			&r.connLimit, &r.validUntil, &r.connect, &r.predefined); err != nil {
			return err
		}
		out[r.name] = &r
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%s: read roles: %w", s.role, err)
	}
	return out, readMemberships(ctx, s, out)
}

// readMemberships fills in the groups each of roles belongs to.
func readMemberships(ctx context.Context, s *server, roles map[string]*roleInfo) error {
	names := make([]string, 0, len(roles))
	for n := range roles {
		names = append(names, n)
	}
	rows, err := s.conn.Query(ctx, `SELECT m.rolname::text, g.rolname::text, am.admin_option FROM pg_auth_members am
		JOIN pg_roles g ON g.oid = am.roleid JOIN pg_roles m ON m.oid = am.member
		WHERE m.rolname = ANY ($1) ORDER BY 1, 2`, names)
	if err != nil {
		return fmt.Errorf("%s: read role memberships: %w", s.role, err)
	}
	return forEachRow(rows, func(row pgx.CollectableRow) error {
		var member string
		var g membership
		if err := row.Scan(&member, &g.group, &g.admin); err != nil {
			return err
		}
		roles[member].memberOf = append(roles[member].memberOf, g)
		return nil
	})
}

// readPasswords fills in the stored password of each role, where s lets pg_authid be read
// (a superuser may; on a managed service nobody may). It reports whether it could.
func readPasswords(ctx context.Context, s *server, roles map[string]*roleInfo) (bool, error) {
	readable, err := s.exists(ctx, "SELECT has_table_privilege('pg_catalog.pg_authid', 'SELECT')")
	if err != nil || !readable {
		return false, err
	}
	names := make([]string, 0, len(roles))
	for n := range roles {
		names = append(names, n)
	}
	rows, err := s.conn.Query(ctx, `SELECT rolname::text, rolpassword FROM pg_authid WHERE rolname = ANY ($1)`, names)
	if err != nil {
		return false, fmt.Errorf("%s: read passwords: %w", s.role, err)
	}
	return true, forEachRow(rows, func(row pgx.CollectableRow) error {
		var name string
		var password *string
		if err := row.Scan(&name, &password); err != nil {
			return err
		}
		roles[name].password = password
		return nil
	})
}

// replicaPowers is what the role pghandoff connects to the replica as may do with roles.
type replicaPowers struct {
	user                                             string
	super, createRole, createDB, replication, bypass bool
	memberOf                                         map[string]bool // roles it may act as (ALTER OWNER, ALTER DEFAULT PRIVILEGES FOR ROLE)
}

func readReplicaPowers(ctx context.Context, s *server, roles []string) (replicaPowers, error) {
	p := replicaPowers{memberOf: map[string]bool{}}
	err := s.conn.QueryRow(ctx, `SELECT rolname::text, rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls
		FROM pg_roles WHERE rolname = current_user`).Scan(&p.user, &p.super, &p.createRole, &p.createDB, &p.replication, &p.bypass)
	if err != nil {
		return p, fmt.Errorf("%s: read the connecting role: %w", s.role, err)
	}
	members, err := s.queryStrings(ctx, `SELECT x FROM unnest($1::text[]) AS x
		WHERE CASE WHEN EXISTS (SELECT 1 FROM pg_roles WHERE rolname = x) THEN pg_has_role(x, 'MEMBER') END`, roles)
	if err != nil {
		return p, fmt.Errorf("%s: read role memberships: %w", s.role, err)
	}
	for _, m := range members {
		p.memberOf[m] = true
	}
	return p, nil
}

// actsAs reports whether the replica's user may act as role.
func (p replicaPowers) actsAs(role string) bool { return p.super || p.memberOf[role] }
