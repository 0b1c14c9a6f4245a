package core_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pghandoff/pghandoff/core"
	"github.com/pghandoff/pghandoff/internal/pgtest"
)

// A migration run as a new user would, ending with the application connected straight to
// the new primary under its own role, with no GRANT made by hand: setup creates the roles
// the replica lacks (with their passwords) and carries every privilege, the owner of a table,
// and the default privileges; a table created later gets its privileges at the next setup;
// verify and cutover catch a GRANT missing on the replica; after cutover and proxy remove
// the application's role does everything it did on the old primary, the read-only role
// still cannot write, and the default privileges work for new tables; teardown --drop
// drops the roles setup created and no other.
func TestRolesAndPrivilegesThroughCutover(t *testing.T) {
	for _, pair := range pgtest.Pairs(t)[:2] { // 15 → 15 and 15 → 17
		t.Run(pair.Name, func(t *testing.T) {
			t.Parallel()
			e := newProxyEnv(t, pair)
			roles := newAppRoles(e.env)
			roles.load(e.env)
			dropRolesAtEnd(t, e.pair.Replica, e.replicaDB, roles.owner, roles.app, roles.ro)
			dropRolesAtEnd(t, e.proxy, e.proxyDB, roles.app)
			// The read-only role exists on the replica already: it is not setup's to drop.
			e.execReplica(`CREATE ROLE ` + ident(roles.ro) + ` LOGIN PASSWORD ` + quoteLiteral(roPassword))
			runAs(t, e.pair.Primary, e.primaryDB, roles.app, appPassword, appStatements...)

			opts := e.setupOptions()
			opts.RoleOptions = core.RoleOptions{MapRoles: []string{roles.app}, CreateRoles: true, Owners: true}
			e.checkPreflight(roles, opts.RoleOptions)
			res, err := core.Setup(ctxFor(t, 2*time.Minute), opts)
			if err != nil {
				t.Fatalf("setup: %v (%s)\n%s", err, core.Hint(err), statementsText(res))
			}
			if !slices.Equal(res.CreatedRoles, []string{roles.owner, roles.app}) || res.PrivilegeStatements == 0 || len(res.RolesWithoutPassword) > 0 {
				t.Fatalf("created %v, %d privilege statements, without password %v: %s", res.CreatedRoles, res.PrivilegeStatements, res.RolesWithoutPassword, statementsText(res))
			}
			var hash string
			e.scan(false, `SELECT rolpassword FROM pg_authid WHERE rolname = '`+roles.app+`'`, &hash)
			if text := statementsText(res); strings.Contains(text, hash) || strings.Contains(e.events.text(), hash) {
				t.Fatal("the password's hash appears in setup's output")
			}
			e.waitReady()
			e.checkOwner(`"Shop".ledger`, roles.owner)

			// A table the owner creates later gets its default privileges on the primary, and
			// the next setup carries them to the replica with the table.
			e.execPrimary(`SET ROLE ` + ident(roles.owner) + `; CREATE TABLE "Shop".added (id int PRIMARY KEY, note text); RESET ROLE`)
			if _, err := core.Setup(ctxFor(t, 2*time.Minute), opts); err != nil {
				t.Fatalf("setup again: %v (%s)", err, core.Hint(err))
			}
			e.waitReady()
			if check := e.assertSame(); check.Privileges == nil || check.Privileges.Objects < 8 || len(check.Privileges.Differences) > 0 {
				t.Fatalf("verify compared no privileges: %s", statementsText(check))
			}

			// A GRANT missing on the replica: verify says so, cutover refuses before pausing.
			e.execReplica(`REVOKE INSERT ON "Shop"."Orders" FROM ` + ident(roles.app))
			e.checkRevokeFound(roles)
			e.createProxy(roles)
			if _, err := core.Cutover(ctxFor(t, time.Minute), e.cutoverOptions()); !errors.Is(err, core.ErrRefused) || !strings.Contains(err.Error(), `INSERT on table "Shop"."Orders"`) {
				t.Fatalf("cutover with a GRANT missing: %v, want refused naming it", err)
			}
			if !e.proxyPointsAt(e.pair.Primary.Port, e.primaryDB) {
				t.Fatal("a refused cutover switched the proxy")
			}
			if _, err := core.Setup(ctxFor(t, 2*time.Minute), opts); err != nil {
				t.Fatalf("setup to put the GRANT back: %v", err)
			}
			e.assertSame()

			if res, err := core.Cutover(ctxFor(t, time.Minute), e.cutoverOptions()); err != nil || !res.Switched {
				t.Fatalf("cutover: %v (%s)\n%s", err, core.Hint(err), statementsText(res))
			}
			if _, err := core.ProxyRemove(ctxFor(t, time.Minute), core.ProxyRemoveOptions{Migration: e.m}); err != nil {
				t.Fatalf("proxy remove: %v", err)
			}
			e.checkDirectAccess(roles)
			e.checkTeardownDropsCreatedRoles(roles)
		})
	}
}

func ident(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }

// checkPreflight checks that preflight lists the three roles and what setup will do.
func (e *proxyEnv) checkPreflight(roles appRoles, ro core.RoleOptions) {
	e.t.Helper()
	res, err := core.Preflight(ctxFor(e.t, time.Minute), core.PreflightOptions{Migration: e.m, RoleOptions: ro, PgDump: e.pgDump})
	if err != nil {
		e.t.Fatal(err)
	}
	want := map[string]string{roles.owner: core.RoleCreate, roles.app: core.RoleCreate, roles.ro: core.RoleCarry}
	got := map[string]string{}
	for _, r := range res.Roles {
		got[r.Role] = r.Setup
		if r.Role == roles.app && (!r.Application || r.Privileges < 5 || !r.Login) {
			e.t.Errorf("the application's role as preflight reports it: %+v", r)
		}
		if r.Role == roles.ro && (!r.Exists || !r.CanLogin) {
			e.t.Errorf("the read-only role as preflight reports it: %+v", r)
		}
	}
	for role, setup := range want {
		if got[role] != setup {
			e.t.Errorf("preflight: role %s: setup would %q, want %q (%s)", role, got[role], setup, statementsText(res.Checks))
		}
	}
}

func (e *proxyEnv) checkOwner(table, owner string) {
	e.t.Helper()
	var got string
	e.scan(true, `SELECT pg_get_userbyid(relowner)::text FROM pg_class WHERE oid = '`+table+`'::regclass`, &got)
	if got != owner {
		e.t.Fatalf("%s is owned by %s on the replica, want %s", table, got, owner)
	}
}

// checkRevokeFound checks that verify reports the GRANT revoked on the replica.
func (e *proxyEnv) checkRevokeFound(roles appRoles) {
	e.t.Helper()
	res, err := core.Verify(ctxFor(e.t, time.Minute), core.VerifyOptions{Migration: e.m})
	if !errors.Is(err, core.ErrMismatch) || res == nil || res.Privileges == nil || res.OK {
		e.t.Fatalf("verify after a REVOKE on the replica: %v, want a mismatch: %s", err, statementsText(res))
	}
	want := core.PrivilegeDifference{Object: `table "Shop"."Orders"`, Grantee: ident(roles.app), Missing: []string{"INSERT"}}
	if d := res.Privileges.Differences; len(d) != 1 || d[0].Object != want.Object || d[0].Grantee != want.Grantee || !slices.Equal(d[0].Missing, want.Missing) {
		e.t.Fatalf("verify found %+v, want %+v", d, want)
	}
}

func (e *proxyEnv) createProxy(roles appRoles) {
	e.t.Helper()
	e.execProxy(`CREATE ROLE ` + ident(roles.app) + ` LOGIN PASSWORD ` + quoteLiteral(appPassword))
	res, err := core.ProxyCreate(ctxFor(e.t, time.Minute), core.ProxyCreateOptions{Migration: e.m, MapRoles: []string{roles.app}})
	if err != nil {
		e.t.Fatalf("proxy create: %v (%s)\n%s", err, core.Hint(err), statementsText(res))
	}
}

// checkDirectAccess connects to the new primary as the application's roles.
func (e *proxyEnv) checkDirectAccess(roles appRoles) {
	e.t.Helper()
	replica, db := e.pair.Replica, e.replicaDB
	runAs(e.t, replica, db, roles.app, appPassword, appStatements...)
	runAs(e.t, replica, db, roles.ro, roPassword, `SELECT count(*) FROM "Shop"."Orders"`, `SELECT count(*) FROM public.notes`, `SELECT count(*) FROM "Shop".added`)
	if err := tryAs(e.t, replica, db, roles.ro, roPassword, `INSERT INTO public.notes (body) VALUES ('ro')`); !permissionDenied(err) {
		e.t.Fatalf("the read-only role wrote on the new primary: %v", err)
	}
	if err := tryAs(e.t, replica, db, roles.ro, roPassword, `SELECT "Shop".qty_of(1)`); !permissionDenied(err) {
		e.t.Fatalf("the read-only role ran a function PUBLIC may not run on the old primary: %v", err)
	}
	runAs(e.t, replica, db, roles.app, appPassword, `INSERT INTO "Shop".added VALUES (1, 'app')`)
	// The owner's default privileges hold on the new primary for tables it makes there.
	e.execReplica(`SET ROLE ` + ident(roles.owner) + `; CREATE TABLE "Shop".later (id int PRIMARY KEY); RESET ROLE`)
	runAs(e.t, replica, db, roles.app, appPassword, `INSERT INTO "Shop".later VALUES (1)`)
	runAs(e.t, replica, db, roles.ro, roPassword, `SELECT count(*) FROM "Shop".later`)
}

// checkTeardownDropsCreatedRoles checks that teardown --drop drops the roles setup created,
// says which, and leaves the one the replica had.
func (e *proxyEnv) checkTeardownDropsCreatedRoles(roles appRoles) {
	e.t.Helper()
	res, err := core.Teardown(ctxFor(e.t, time.Minute), core.TeardownOptions{Migration: e.m, Drop: true, Confirm: true, PgDump: e.pgDump})
	if err != nil {
		e.t.Fatalf("teardown --drop: %v (%s)\n%s", err, core.Hint(err), statementsText(res))
	}
	if !slices.Equal(res.DroppedRoles, []string{roles.owner, roles.app}) {
		e.t.Fatalf("teardown dropped roles %v, want the two setup created", res.DroppedRoles)
	}
	if n := e.queryInt(true, `SELECT count(*) FROM pg_roles WHERE rolname = $1`, roles.ro); n != 1 {
		e.t.Fatal("teardown dropped a role setup did not create")
	}
	if left := append(e.proxyLeftovers(), e.leftovers()...); len(left) > 0 {
		e.t.Fatalf("left after proxy remove and teardown: %v", left)
	}
}

// Without a proxy: a setup without privileges carries none (and verify compares none); fence
// refuses a role the replica lacks; a later setup maps the application's role to another
// name there (map-role OLD=NEW), creating it with the old one's password; fence and
// sequences then go through, sequences refusing while a GRANT is missing; the application
// logs in to the new primary under its new name; teardown leaves the roles, the
// application's now, and nothing of pghandoff.
func TestRolesMappedWithoutProxy(t *testing.T) {
	forPairs(t, pgtest.Pairs(t)[:2], func(t *testing.T, e *env) {
		roles := newAppRoles(e)
		roles.load(e)
		renamed := "new_" + e.primaryDB
		dropRolesAtEnd(t, e.pair.Replica, e.replicaDB, roles.owner, renamed, roles.ro)
		opts := e.setupOptions()
		opts.NoPrivileges = true
		if res, err := core.Setup(ctxFor(t, 2*time.Minute), opts); err != nil || res.PrivilegeStatements != 0 || len(res.CreatedRoles) != 0 {
			t.Fatalf("setup without privileges: %v: %s", err, statementsText(res))
		}
		e.waitReady()
		if check := e.assertSame(); check.Privileges != nil {
			t.Fatalf("verify compared privileges setup did not carry: %s", statementsText(check.Privileges))
		}
		fence := core.FenceOptions{Migration: e.m, Roles: []string{roles.app}}
		if _, err := core.Fence(ctxFor(t, time.Minute), fence); !errors.Is(err, core.ErrRefused) || !strings.Contains(err.Error(), "does not exist on the replica") {
			t.Fatalf("fence of a role the replica lacks: %v, want refused", err)
		}

		opts.RoleOptions = core.RoleOptions{MapRoles: []string{roles.app + "=" + renamed}, CreateRoles: true}
		res, err := core.Setup(ctxFor(t, 2*time.Minute), opts)
		if err != nil || !slices.Equal(res.CreatedRoles, []string{roles.owner, renamed, roles.ro}) {
			t.Fatalf("setup with a mapped role: %v (%s): %s", err, core.Hint(err), statementsText(res))
		}
		if _, err := core.Fence(ctxFor(t, time.Minute), fence); err != nil {
			t.Fatalf("fence: %v (%s)", err, core.Hint(err))
		}
		e.waitReady()
		e.execReplica(`REVOKE USAGE ON SEQUENCE "Shop"."Ticket" FROM ` + ident(renamed))
		seq := core.SequencesOptions{Migration: e.m, Window: 100 * time.Millisecond}
		if _, err := core.Sequences(ctxFor(t, time.Minute), seq); !errors.Is(err, core.ErrRefused) || !strings.Contains(err.Error(), `USAGE on sequence "Shop"."Ticket"`) {
			t.Fatalf("sequences with a GRANT missing: %v, want refused naming it", err)
		}
		e.execReplica(`GRANT USAGE ON SEQUENCE "Shop"."Ticket" TO ` + ident(renamed))
		if _, err := core.Sequences(ctxFor(t, time.Minute), seq); err != nil {
			t.Fatalf("sequences: %v (%s)", err, core.Hint(err))
		}
		runAs(t, e.pair.Replica, e.replicaDB, renamed, appPassword, appStatements...)

		fence.Undo = true
		if _, err := core.Fence(ctxFor(t, time.Minute), fence); err != nil {
			t.Fatalf("fence --undo: %v", err)
		}
		down, err := core.Teardown(ctxFor(t, time.Minute), core.TeardownOptions{Migration: e.m})
		if err != nil || len(down.DroppedRoles) > 0 || !contains(down.Warnings, renamed) {
			t.Fatalf("teardown: %v: %s", err, statementsText(down))
		}
		if n := e.queryInt(true, `SELECT count(*) FROM pg_namespace WHERE nspname = 'pghandoff_' || $1::text`, e.m.Name); n != 0 || len(e.leftovers()) > 0 {
			t.Fatalf("left after teardown: helper schema %d, %v", n, e.leftovers())
		}
		runAs(t, e.pair.Replica, e.replicaDB, renamed, appPassword, `SELECT count(*) FROM "Shop"."Orders"`)
	})
}
