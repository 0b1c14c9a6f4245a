package core

import (
	"context"
	_ "embed"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Reading privileges from the catalogs (aclexplode) rather than from pg_dump's GRANT
// statements: the entries come as data, per object, on both servers alike, so that setup,
// verify and cutover compare them entry by entry, rename roles without parsing SQL, and
// give owners' privileges to roles that do not own the replica's objects.

//go:embed sql/privilege_objects.sql
var privilegeObjectsSQL string

// aclSelect reads each object once per entry of its ACL (a NULL ACL is the kind's
// default); an object whose ACL is empty comes once, with no grantee. PUBLIC is ”.
const aclSelect = `
SELECT o.kind, o.name, o.sub, o.schema, pg_get_userbyid(o.owner)::text, o.linked,
       CASE WHEN e.grantee IS NULL THEN NULL WHEN e.grantee = 0 THEN '' ELSE pg_get_userbyid(e.grantee)::text END,
       coalesce(e.privilege_type, ''), coalesce(e.is_grantable, false)
  FROM objects o LEFT JOIN LATERAL aclexplode(coalesce(o.acl, acldefault(o.acltype, o.owner))) e ON true
 ORDER BY 1, 2, 3`

// aclKey is one privilege granted to one grantee ("" for PUBLIC).
type aclKey struct{ grantee, privilege string }

// acl is an object's privileges: each granted one, and whether with grant option.
type acl map[aclKey]bool

// aclObject is one migrated object and its privileges on one server.
type aclObject struct {
	kind   string // database, schema, table, view, materialized view, foreign table, sequence, column, function, procedure, aggregate, type, domain
	name   string // quoted, qualified: "Shop"."Orders", "Shop".f(integer)
	sub    string // the quoted column name, for a column
	schema string
	owner  string
	linked bool // a sequence that belongs to a column: its owner is its table's
	acl    acl
}

// key names the object alike on both servers: the database by its kind, since its name
// may differ.
func (o *aclObject) key() string {
	if o.kind == "database" {
		return o.kind
	}
	return o.kind + " " + o.name + " " + o.sub
}

// String is the object as people read it: table "Shop"."Orders", column "Shop"."Orders" ("qty").
func (o *aclObject) String() string {
	if o.sub != "" {
		return fmt.Sprintf("%s %s (%s)", o.kind, o.name, o.sub)
	}
	return o.kind + " " + o.name
}

// aclCatalog is every migrated object of one server, by key, in catalog order.
type aclCatalog struct {
	objects map[string]*aclObject
	order   []string
}

// readACLs reads the privileges of the objects in schemas on s.
func readACLs(ctx context.Context, s *server, schemas []string, sentinel TableName) (*aclCatalog, error) {
	cat := &aclCatalog{objects: map[string]*aclObject{}}
	err := withQualifiedNames(ctx, s, func() error {
		rows, err := s.conn.Query(ctx, privilegeObjectsSQL+aclSelect, schemas, sentinel.String())
		if err != nil {
			return err
		}
		return forEachRow(rows, func(row pgx.CollectableRow) error {
			var o aclObject
			var grantee *string
			var privilege string
			var grantable bool
			if err := row.Scan(&o.kind, &o.name, &o.sub, &o.schema, &o.owner, &o.linked, &grantee, &privilege, &grantable); err != nil {
				return err
			}
			cat.add(&o).grant(grantee, privilege, grantable)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("%s: read privileges: %w", s.role, err)
	}
	return cat, nil
}

// add returns the catalog's object of o's key, adding o when it has none.
func (c *aclCatalog) add(o *aclObject) *aclObject {
	if have, ok := c.objects[o.key()]; ok {
		return have
	}
	o.acl = acl{}
	c.objects[o.key()] = o
	c.order = append(c.order, o.key())
	return o
}

func (o *aclObject) grant(grantee *string, privilege string, grantable bool) {
	if grantee != nil && privilege != "" {
		o.acl[aclKey{*grantee, privilege}] = grantable
	}
}

// defaultKey names default privileges: those of a role's new objects of a type (r tables,
// S sequences, f functions, T types, n schemas) in a schema ("" for every schema).
type defaultKey struct{ role, schema, objtype string }

// readDefaultACLs reads the default privileges of every role, for schemas and globally.
func readDefaultACLs(ctx context.Context, s *server, schemas []string) (map[defaultKey]acl, error) {
	rows, err := s.conn.Query(ctx, `SELECT pg_get_userbyid(d.defaclrole)::text, coalesce(n.nspname::text, ''), d.defaclobjtype::text,
		CASE WHEN e.grantee IS NULL THEN NULL WHEN e.grantee = 0 THEN '' ELSE pg_get_userbyid(e.grantee)::text END,
		coalesce(e.privilege_type, ''), coalesce(e.is_grantable, false)
		FROM pg_default_acl d LEFT JOIN pg_namespace n ON n.oid = d.defaclnamespace
		LEFT JOIN LATERAL aclexplode(d.defaclacl) e ON true
		WHERE d.defaclnamespace = 0 OR n.nspname = ANY ($1)`, schemas)
	if err != nil {
		return nil, fmt.Errorf("%s: read default privileges: %w", s.role, err)
	}
	out := map[defaultKey]acl{}
	err = forEachRow(rows, func(row pgx.CollectableRow) error {
		var k defaultKey
		var grantee *string
		var privilege string
		var grantable bool
		if err := row.Scan(&k.role, &k.schema, &k.objtype, &grantee, &privilege, &grantable); err != nil {
			return err
		}
		if out[k] == nil {
			out[k] = acl{}
		}
		if grantee != nil && privilege != "" && *grantee != k.role {
			out[k][aclKey{*grantee, privilege}] = grantable
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%s: read default privileges: %w", s.role, err)
	}
	return out, nil
}

// builtinDefault is what a role's new objects of objtype grant others when it set no global
// default privileges: functions are executable and types usable by PUBLIC.
func builtinDefault(objtype string) acl {
	switch objtype {
	case "f":
		return acl{{"", "EXECUTE"}: false}
	case "T":
		return acl{{"", "USAGE"}: false}
	}
	return acl{}
}

// migratedSchemas are the schemas whose objects carry their privileges: those selected, or
// every schema but the system ones and pghandoff's own.
func migratedSchemas(ctx context.Context, s *server, m Migration, sel Selection) ([]string, error) {
	if len(sel.Schemas) > 0 {
		return sel.Schemas, nil
	}
	schemas, err := s.queryStrings(ctx, `SELECT nspname::text FROM pg_namespace WHERE nspname NOT IN ('pg_catalog', 'information_schema')
		AND nspname !~ '^pg_(toast|temp_)' AND nspname <> $1 ORDER BY 1`, m.helperSchema())
	if err != nil {
		return nil, fmt.Errorf("%s: list schemas: %w", s.role, err)
	}
	return schemas, nil
}
