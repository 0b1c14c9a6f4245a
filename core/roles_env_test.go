package core_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/pghandoff/pghandoff/internal/pgtest"
)

// appRoles are the roles of an application on the primary, named for one test: roles are
// shared by every database of a cluster, and tests share clusters.
type appRoles struct {
	owner, app, ro string // a third role owning a table (mixed case), the application, a read-only one
}

const appPassword, roPassword = "app pw 'quoted'", "ro-pw"

func newAppRoles(e *env) appRoles {
	return appRoles{owner: "Owner_" + e.primaryDB, app: "app_" + e.primaryDB, ro: "ro_" + e.primaryDB}
}

// rolesSchema is an application's schema with its privileges: the application may read and
// write some tables, use sequences and a mixed-case schema, and run a function PUBLIC may
// not; a read-only role may read, and reference a column; a third role owns a table and
// gives both roles default privileges on its future tables.
const rolesSchema = `
CREATE ROLE %[1]q NOLOGIN;
CREATE ROLE %[2]q LOGIN PASSWORD %[4]s;
CREATE ROLE %[3]q LOGIN PASSWORD %[5]s;
CREATE SCHEMA "Shop";
CREATE TABLE "Shop"."Orders" (id bigserial PRIMARY KEY, item text NOT NULL, qty int NOT NULL DEFAULT 1);
CREATE SEQUENCE "Shop"."Ticket";
CREATE TABLE public.notes (id serial PRIMARY KEY, body text);
CREATE TABLE "Shop".ledger (id int PRIMARY KEY, amount int);
ALTER TABLE "Shop".ledger OWNER TO %[1]q;
GRANT USAGE, CREATE ON SCHEMA "Shop" TO %[1]q;
GRANT USAGE ON SCHEMA "Shop" TO %[2]q, %[3]q;
GRANT SELECT, INSERT, UPDATE, DELETE ON "Shop"."Orders", public.notes TO %[2]q;
GRANT USAGE ON SEQUENCE "Shop"."Orders_id_seq", "Shop"."Ticket", public.notes_id_seq TO %[2]q;
GRANT SELECT, INSERT ON "Shop".ledger TO %[2]q;
GRANT SELECT ON "Shop"."Orders", "Shop".ledger, public.notes TO %[3]q;
GRANT REFERENCES (id) ON "Shop"."Orders" TO %[3]q;
CREATE FUNCTION "Shop".qty_of(o bigint) RETURNS int LANGUAGE sql STABLE AS 'SELECT qty FROM "Shop"."Orders" WHERE id = o';
REVOKE EXECUTE ON FUNCTION "Shop".qty_of(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION "Shop".qty_of(bigint) TO %[2]q;
ALTER DEFAULT PRIVILEGES FOR ROLE %[1]q IN SCHEMA "Shop" GRANT SELECT ON TABLES TO %[3]q;
ALTER DEFAULT PRIVILEGES FOR ROLE %[1]q IN SCHEMA "Shop" GRANT SELECT, INSERT ON TABLES TO %[2]q;
INSERT INTO "Shop"."Orders" (item) SELECT 'item ' || g FROM generate_series(1, 50) g;
INSERT INTO public.notes (body) SELECT 'note ' || g FROM generate_series(1, 20) g;
INSERT INTO "Shop".ledger SELECT g, g * 10 FROM generate_series(1, 10) g;`

// load creates the roles and the schema on the primary; the roles go when the test ends.
func (r appRoles) load(e *env) {
	e.t.Helper()
	dropRolesAtEnd(e.t, e.pair.Primary, e.primaryDB, r.owner, r.app, r.ro)
	e.execPrimary(fmt.Sprintf(rolesSchema, r.owner, r.app, r.ro, quoteLiteral(appPassword), quoteLiteral(roPassword)))
}

func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// dropRolesAtEnd drops roles from cluster c when the test ends, with what they own or hold
// in db (the test's database, dropped after).
func dropRolesAtEnd(t *testing.T, c *pgtest.Cluster, db string, roles ...string) {
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		for _, role := range roles {
			q := pgx.Identifier{role}.Sanitize()
			_ = c.Exec(ctx, db, "DROP OWNED BY "+q) // fails when the role is gone already
			_ = c.Exec(ctx, "postgres", "DROP ROLE IF EXISTS "+q)
		}
	})
}

// appStatements are what the application does: each must work wherever it has its privileges.
var appStatements = []string{
	`INSERT INTO "Shop"."Orders" (item) VALUES ('app')`,
	`UPDATE "Shop"."Orders" SET qty = qty + 1 WHERE id = 1`,
	`SELECT count(*) FROM "Shop"."Orders"`,
	`DELETE FROM "Shop"."Orders" WHERE item = 'app'`,
	`SELECT nextval('"Shop"."Ticket"')`,
	`INSERT INTO public.notes (body) VALUES ('app')`,
	`SELECT count(*) FROM public.notes`,
	`INSERT INTO "Shop".ledger SELECT max(id) + 1, 1 FROM "Shop".ledger`,
	`SELECT sum(amount) FROM "Shop".ledger`,
	`SELECT "Shop".qty_of(1)`,
}

// runAs connects to cluster c's database db as role and runs each statement, failing the
// test at the first that fails.
func runAs(t *testing.T, c *pgtest.Cluster, db, role, password string, stmts ...string) {
	t.Helper()
	for _, stmt := range stmts {
		if err := tryAs(t, c, db, role, password, stmt); err != nil {
			t.Fatalf("as %s on %s: %s: %v", role, c.Name, stmt, err)
		}
	}
}

// tryAs runs one statement as role and returns its error.
func tryAs(t *testing.T, c *pgtest.Cluster, db, role, password, stmt string) error {
	t.Helper()
	ctx := ctxFor(t, time.Minute)
	conn, err := pgx.Connect(ctx, c.DSNFor(role, password, db))
	if err != nil {
		return fmt.Errorf("log in: %w", err)
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, stmt)
	return err
}

// permissionDenied reports whether err is PostgreSQL's "permission denied".
func permissionDenied(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "42501"
}
