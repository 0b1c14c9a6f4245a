package core

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Before the application moves (cutover's pause, fence, sequences), pghandoff checks that
// each of its roles can log in to the replica and may do there everything it may do on the
// primary: the day it connects to the new primary as itself is the worst day to find a
// missing GRANT. It compares what each role may do (has_table_privilege and the like, which
// count ownership, memberships and PUBLIC), not ACL entries: the question is whether the
// application's statements will run.

// effectiveSelect lists the objects (privilege_objects.sql), each with the privileges role
// $3 holds on it.
const effectiveSelect = `
SELECT o.kind, o.name, coalesce(array_agg(p) FILTER (WHERE CASE o.acltype
      WHEN 'n' THEN has_schema_privilege($3, o.oid, p) WHEN 'r' THEN has_table_privilege($3, o.oid, p)
      WHEN 's' THEN has_sequence_privilege($3, o.oid, p) WHEN 'f' THEN has_function_privilege($3, o.oid, p)
      WHEN 'T' THEN has_type_privilege($3, o.oid, p) ELSE has_database_privilege($3, o.oid, p) END), '{}')
  FROM objects o,
  LATERAL unnest(CASE o.acltype WHEN 'n' THEN ARRAY['USAGE', 'CREATE']
      WHEN 'r' THEN ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER']
      WHEN 's' THEN ARRAY['USAGE', 'SELECT', 'UPDATE'] WHEN 'f' THEN ARRAY['EXECUTE'] WHEN 'T' THEN ARRAY['USAGE']
      ELSE ARRAY['CONNECT', 'TEMPORARY', 'CREATE'] END) AS p
 WHERE o.kind <> 'column'
 GROUP BY o.kind, o.name`

// held is what a role may do: every object (kind and name) → the privileges it holds.
type held map[string][]string

func readHeld(ctx context.Context, s *server, schemas []string, m Migration, role string) (held, error) {
	out := held{}
	err := withQualifiedNames(ctx, s, func() error {
		rows, err := s.conn.Query(ctx, privilegeObjectsSQL+effectiveSelect, schemas, m.sentinel().String(), role)
		if err != nil {
			return err
		}
		return forEachRow(rows, func(row pgx.CollectableRow) error {
			var kind, name string
			var privileges []string
			if err := row.Scan(&kind, &name, &privileges); err != nil {
				return err
			}
			if kind == "database" {
				name = "" // its name may differ between the servers
			}
			out[strings.TrimSpace(kind+" "+name)] = privileges
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("%s: read the privileges of %s: %w", s.role, role, err)
	}
	return out, nil
}

// roleCheck checks the application's roles of a migration on its primary and replica.
type roleCheck struct {
	primary, replica *server
	m                Migration
	meta             publicationMeta
	schemas          []string
	problems         []string
	warnings         []string
}

// checkApplicationRoles checks the roles setup recorded (map-role) and the roles given
// (the proxy's mapped roles, the fenced ones), by their names on the primary. It refuses,
// naming every gap, before what (the command) changes anything; a role given that neither
// server knows is only warned about: pghandoff cannot tell which role it becomes.
func checkApplicationRoles(ctx context.Context, primary, replica *server, m Migration, given []string, what Command) ([]string, error) {
	pst, err := readPrimaryState(ctx, primary, m)
	if err != nil {
		return nil, err
	}
	c := &roleCheck{primary: primary, replica: replica, m: m, meta: pst.meta}
	if c.schemas, err = migratedSchemas(ctx, primary, m, Selection{Schemas: pst.meta.Schemas}); err != nil {
		return nil, err
	}
	names := dedupe(append(slices.Clone(pst.meta.ApplicationRoles), given...))
	for _, role := range names {
		if err := c.check(ctx, role, !slices.Contains(pst.meta.ApplicationRoles, role)); err != nil {
			return nil, err
		}
	}
	if len(c.problems) > 0 {
		return c.warnings, refused(remedy("nothing was changed. Run ", Run(CmdSetup, OptCreateRoles), " (with ", OptMapRole,
			" for a role named otherwise on the replica) to create the roles and carry their privileges, or grant them on the replica; then run ", what, " again"),
			"the application's roles could not do on the replica what they do on the primary: %s", joinList(c.problems, 10))
	}
	return c.warnings, nil
}

// check checks one role, by its name on the primary.
func (c *roleCheck) check(ctx context.Context, role string, onlyGiven bool) error {
	repl := roleMap(c.meta.RoleMap).onReplica(role)
	onPrimary, err := readRoles(ctx, c.primary, []string{role})
	if err != nil {
		return err
	}
	onReplica, err := readRoles(ctx, c.replica, []string{repl})
	if err != nil {
		return err
	}
	p, r := onPrimary[role], onReplica[repl]
	name := ident(role)
	if repl != role {
		name += " (" + ident(repl) + " on the replica)"
	}
	switch {
	case p == nil && r == nil && onlyGiven:
		c.warnings = append(c.warnings, fmt.Sprintf("role %s is a role of neither the primary nor the replica: pghandoff cannot tell which role it becomes on the new primary; name it with %s at setup",
			ident(role), remedy(OptMapRole).String()))
		return nil
	case r == nil:
		c.problems = append(c.problems, fmt.Sprintf("role %s does not exist on the replica", name))
		return nil
	case (p == nil || p.login) && r.loginProblem(time.Now()) != "":
		c.problems = append(c.problems, fmt.Sprintf("role %s %s on the replica", name, r.loginProblem(time.Now())))
	}
	if p == nil {
		return nil
	}
	return c.compare(ctx, role, repl, name)
}

// compare lists what the role may do on the primary and not on the replica, on the objects
// both have.
func (c *roleCheck) compare(ctx context.Context, role, repl, name string) error {
	before, err := readHeld(ctx, c.primary, c.schemas, c.m, role)
	if err != nil {
		return err
	}
	after, err := readHeld(ctx, c.replica, c.schemas, c.m, repl)
	if err != nil {
		return err
	}
	for _, obj := range slices.Sorted(maps.Keys(before)) {
		have, exists := after[obj]
		if !exists {
			continue // not on the replica: not migrated (status says so)
		}
		var lacks []string
		for _, p := range before[obj] {
			if !slices.Contains(have, p) {
				lacks = append(lacks, p)
			}
		}
		if len(lacks) > 0 {
			c.problems = append(c.problems, fmt.Sprintf("role %s lacks %s on %s", name, strings.Join(lacks, ", "), obj))
		}
	}
	return nil
}
