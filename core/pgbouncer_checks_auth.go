package core

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
)

// The checks that the application can still log in once PgBouncer points at the new
// primary. Without a forced user, PgBouncer logs each client in to the server as itself,
// with the secret it has for the role: from auth_file, or from auth_query run on the
// entry's server, which after the switch is the new primary.

// checkRoles finds the application's roles (given, or the users of the entry's pools) on the
// new primary, able to log in, with the privileges they have on the old one: setup copies
// no roles and no privileges (pg_dump --no-owner --no-privileges), and through PgBouncer
// the application reaches the new primary as itself.
func (c *bouncerChecker) checkRoles(ctx context.Context) error {
	roles := c.opts.AppRoles
	if len(roles) == 0 {
		clients, err := c.b.poolUsers(ctx, c.opts.Database)
		if err != nil {
			return err
		}
		roles = clients
	}
	if c.opts.ForceUser {
		// Every client reaches the server as the replica's user, the owner of what setup
		// imported: whether it can log in is proved by pghandoff's own connection.
		c.res.Roles = []string{c.opts.Replica.User()}
		c.add("application roles", CheckPass, fmt.Sprintf("every client reaches the new primary as %s", c.opts.Replica.User()), Remedy{})
		return nil
	}
	c.res.Roles = roles
	if len(roles) == 0 {
		c.add("application roles", CheckWarn, fmt.Sprintf("no client uses %s through PgBouncer now, and no role was named: the roles the application logs in as were not checked on the new primary", c.opts.Database),
			remedy("name the application's roles with the ", OptMapRole))
		return nil
	}
	known, err := c.replica.queryStrings(ctx, "SELECT rolname::text FROM pg_roles WHERE rolcanlogin AND rolname = ANY ($1)", roles)
	if err != nil {
		return fmt.Errorf("replica: read roles: %w", err)
	}
	var missing []string
	for _, r := range roles {
		if !slices.Contains(known, r) {
			missing = append(missing, r)
		}
	}
	if len(missing) > 0 {
		c.add("application roles", CheckFail, fmt.Sprintf("the new primary has no role %s that can log in: once PgBouncer points there, those clients cannot log in", joinList(missing, 10)),
			remedy("create the roles on the new primary with LOGIN and the same passwords as on the old one"))
		return nil
	}
	return c.checkPrivileges(ctx, roles)
}

// privilegesQuery lists, for one role, the privileges it has on the tables, views and
// sequences of the non-system schemas, one text per privilege: "public.orders INSERT";
// pghandoff's sentinel table ($2.$3) and helper schema ($4) aside.
const privilegesQuery = `SELECT format('%I.%I %s', n.nspname, c.relname, p.priv)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
CROSS JOIN unnest(CASE WHEN c.relkind = 'S' THEN '{USAGE,UPDATE}'::text[] ELSE '{SELECT,INSERT,UPDATE,DELETE}'::text[] END) p(priv)
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema', $4) AND n.nspname NOT LIKE 'pg\_%'
  AND NOT (n.nspname = $2 AND c.relname = $3)
  AND CASE WHEN c.relkind = 'S' THEN has_sequence_privilege($1, c.oid, p.priv) ELSE has_table_privilege($1, c.oid, p.priv) END
ORDER BY 1`

// checkPrivileges finds privileges the roles have on the old primary and lack on the new one.
func (c *bouncerChecker) checkPrivileges(ctx context.Context, roles []string) error {
	var lacking []string
	for _, role := range roles {
		args := []any{role, c.opts.sentinel().Schema, c.opts.sentinel().Name, c.opts.helperSchema()}
		have, err := c.primary.queryStrings(ctx, privilegesQuery, args...)
		if err != nil {
			return fmt.Errorf("primary: read the privileges of %s: %w", ident(role), err)
		}
		got, err := c.replica.queryStrings(ctx, privilegesQuery, args...)
		if err != nil {
			return fmt.Errorf("replica: read the privileges of %s: %w", ident(role), err)
		}
		for _, p := range have {
			if !slices.Contains(got, p) {
				lacking = append(lacking, ident(role)+" on "+p)
			}
		}
	}
	if len(lacking) > 0 {
		c.add("application roles", CheckFail, fmt.Sprintf("%d privilege(s) the application's roles have on the old primary are missing on the new one (setup copies none): %s", len(lacking), joinList(lacking, 10)),
			remedy("grant them on the new primary as on the old one (pg_dump --schema-only shows the GRANTs), then check again"))
		return nil
	}
	c.add("application roles", CheckPass, fmt.Sprintf("%s can log in to the new primary, with the privileges they have on the old one", joinList(roles, 10)), Remedy{})
	return nil
}

// poolUsers are the users of the entry's pools.
func (b *Bouncer) poolUsers(ctx context.Context, name string) ([]string, error) {
	pools, err := b.Pools(ctx)
	if err != nil {
		return nil, err
	}
	var users []string
	for _, p := range pools {
		if p.Database == name && !slices.Contains(users, p.User) {
			users = append(users, p.User)
		}
	}
	return users, nil
}

// checkServerAuth checks that PgBouncer will be able to log the roles in to the new
// primary: through auth_query run there, or with the secrets of auth_file (when pghandoff
// can read it), which must be passwords in clear, or MD5 or SCRAM secrets the new primary
// has too (a SCRAM secret works only with the same salt and iterations, not merely the
// same password: PgBouncer replays the client's proof).
func (c *bouncerChecker) checkServerAuth(ctx context.Context) error {
	if c.opts.ForceUser {
		c.add("server auth", CheckPass, fmt.Sprintf("every client reaches the new primary as %s, with the password of the replica's connection string", c.opts.Replica.User()), Remedy{})
		return nil
	}
	if len(c.res.Roles) == 0 {
		return nil
	}
	secrets, fileErr := readAuthFile(c.cfg["auth_file"])
	var problems, unknown []string
	var err error
	for _, role := range c.res.Roles {
		secret, inFile := secrets[role]
		var problem string
		switch {
		case inFile:
			problem, err = c.fileSecretWorks(ctx, role, secret)
		case c.cfg["auth_query"] != "" && c.cfg["auth_user"] != "":
			problem, err = c.authQueryWorks(ctx, role)
		case fileErr != nil:
			unknown = append(unknown, role)
		default:
			problem = fmt.Sprintf("%s is in neither auth_file nor reachable through auth_query", ident(role))
		}
		if err != nil {
			return err
		}
		if problem != "" {
			problems = append(problems, problem)
		}
	}
	switch {
	case len(problems) > 0:
		c.add("server auth", CheckFail, "PgBouncer could not log the application in to the new primary: "+strings.Join(problems, "; "),
			remedy("give the roles on the new primary the same secrets as on the old one: copy pg_authid.rolpassword and set it with ALTER ROLE ... PASSWORD '<that secret>', or put the passwords in clear in auth_file"))
	case len(unknown) > 0:
		c.add("server auth", CheckWarn, fmt.Sprintf("could not read PgBouncer's auth_file (%v): check that PgBouncer can log %s in to the new primary", fileErr, joinList(unknown, 10)),
			remedy("auth_file must hold passwords in clear, or the very secrets the new primary has (SCRAM secrets differ by salt even for the same password)"))
	default:
		c.add("server auth", CheckPass, fmt.Sprintf("PgBouncer can log %s in to the new primary", joinList(c.res.Roles, 10)), Remedy{})
	}
	return nil
}

// fileSecretWorks checks one auth_file secret against the new primary: a password in clear
// by logging in with it, a hashed secret by comparing it with the new primary's.
func (c *bouncerChecker) fileSecretWorks(ctx context.Context, role, secret string) (string, error) {
	if !strings.HasPrefix(secret, "SCRAM-SHA-256$") && !(strings.HasPrefix(secret, "md5") && len(secret) == 35) {
		l := leaseOf(ctx)
		if err := l.take(roleReplica); err != nil {
			return "", err
		}
		defer l.give(roleReplica)
		config := c.opts.Replica.connConfig()
		config.User, config.Password = role, secret
		config.RuntimeParams["application_name"] = l.applicationName("proxy create (a login of " + role + ")")
		conn, err := pgx.ConnectConfig(ctx, config)
		if err != nil {
			return fmt.Sprintf("%s cannot log in to the new primary with its auth_file password (%s)", ident(role), unwrapConnect(err)), nil
		}
		conn.Close(ctx)
		return "", nil
	}
	var stored *string
	err := c.replica.conn.QueryRow(ctx, "SELECT rolpassword FROM pg_authid WHERE rolname = $1", role).Scan(&stored)
	if err != nil && sqlState(err) == codeInsufficientPriv {
		return "", nil // a managed server hides secrets: nothing to compare, the role check stands
	}
	if err != nil && !errors.Is(err, errNoRows) {
		return "", fmt.Errorf("replica: read the secret of %s: %w", ident(role), err)
	}
	if stored == nil || *stored != secret {
		return fmt.Sprintf("%s has another secret on the new primary than in PgBouncer's auth_file", ident(role)), nil
	}
	return "", nil
}

// authQueryWorks runs PgBouncer's auth_query on the new primary as its auth_user, the way
// PgBouncer will once the entry points there.
func (c *bouncerChecker) authQueryWorks(ctx context.Context, role string) (string, error) {
	tx, err := c.replica.conn.Begin(ctx)
	if err != nil {
		return "", err
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "SET LOCAL ROLE "+ident(c.cfg["auth_user"])); err != nil {
		return fmt.Sprintf("auth_user %s cannot be used on the new primary (%v)", ident(c.cfg["auth_user"]), err), nil
	}
	var name string
	var secret *string
	if err := tx.QueryRow(ctx, c.cfg["auth_query"], role).Scan(&name, &secret); err != nil {
		return fmt.Sprintf("PgBouncer's auth_query finds no secret for %s on the new primary (%v)", ident(role), err), nil
	}
	if secret == nil {
		return fmt.Sprintf("PgBouncer's auth_query gives no secret for %s on the new primary", ident(role)), nil
	}
	return "", nil
}
