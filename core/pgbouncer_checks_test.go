package core_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pghandoff/pghandoff/core"
	"github.com/pghandoff/pghandoff/internal/pgbouncer"
	"github.com/pghandoff/pghandoff/internal/pgcluster"
	"github.com/pghandoff/pghandoff/internal/pgtest"
)

// appEnv is a primary and a replica database of the test's own, with an application role
// of the same password on both clusters, and a table the role may write on the primary.
type appEnv struct {
	*env
	role, password string
}

// bouncerAppPassword has a double quote, which the auth_file doubles, and a space.
const bouncerAppPassword = `app "pw"`

func newAppEnv(t *testing.T, grantOnReplica bool) *appEnv {
	t.Helper()
	pair := pgtest.Pairs(t)[0]
	role := newAppRole(t, pair)
	e := &appEnv{env: newEnv(t, pair), role: role, password: bouncerAppPassword}
	table := `CREATE TABLE public.items (id serial PRIMARY KEY, v int);`
	grant := `GRANT SELECT, INSERT, UPDATE ON public.items TO ` + role + `; GRANT USAGE ON SEQUENCE public.items_id_seq TO ` + role
	e.execPrimary(table + grant)
	if grantOnReplica {
		e.execReplica(table + grant)
	} else {
		e.execReplica(table)
	}
	return e
}

// newAppRole creates an application role with bouncerAppPassword on both clusters of pair, dropped
// when the test ends. Call it before making the test's databases, so that it is dropped after.
func newAppRole(t *testing.T, pair pgtest.Pair) string {
	t.Helper()
	role := "app_" + pgcluster.RandomHex(4)
	for _, c := range []*pgtest.Cluster{pair.Primary, pair.Replica} {
		if err := c.Exec(ctxFor(t, time.Minute), "postgres", `CREATE ROLE `+role+` LOGIN PASSWORD '`+bouncerAppPassword+`'`); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Exec(ctxFor(t, time.Minute), "postgres", `DROP ROLE IF EXISTS `+role) })
	}
	return role
}

// bouncer starts a PgBouncer that knows the application role's password in clear.
func (e *appEnv) bouncer(opts pgbouncer.Options) *pgbouncer.Bouncer {
	opts.Users = append(opts.Users, pgbouncer.User{Name: e.role, Password: e.password})
	return pgtest.Bouncer(e.t, opts)
}

// checkOptions are proxy create's options with PgBouncer b, naming the application's role.
func (e *appEnv) checkOptions(b *pgbouncer.Bouncer) core.ProxyCreateOptions {
	m := e.m
	m.PgBouncer = core.PgBouncer{Admin: core.MustParseDSN(b.AdminDSN()), Config: b.Include}
	return core.ProxyCreateOptions{Migration: m, MapRoles: []string{e.role}}
}

// checkBouncer runs proxy create with PgBouncer and returns what its checks found.
func checkBouncer(t *testing.T, o core.ProxyCreateOptions) (*core.BouncerCheckResult, error) {
	t.Helper()
	res, err := core.ProxyCreate(ctxFor(t, time.Minute), o)
	if res == nil || res.PgBouncer == nil {
		return nil, err
	}
	return res.PgBouncer, err
}

// checkStatus is the status of the named check in a result.
func checkStatus(res *core.BouncerCheckResult, name string) string {
	for _, c := range res.Checks {
		if c.Name == name {
			return c.Status
		}
	}
	return "(missing)"
}

// With a transaction-pooling PgBouncer, the application's role and privileges on the new
// primary, and secrets PgBouncer can log in with there, every check passes and the entry
// is written, reloaded and confirmed; the client then reaches the primary through it.
func TestCheckBouncerPasses(t *testing.T) {
	t.Parallel()
	e := newAppEnv(t, true)
	b := e.bouncer(pgbouncer.Options{})
	res, err := checkBouncer(t, e.checkOptions(b))
	if err != nil || !res.OK || res.Loaded == nil {
		t.Fatalf("%v (%s): %+v\n%s", err, core.Hint(err), res, b.Log())
	}
	for _, c := range res.Checks {
		if c.Status != core.CheckPass {
			t.Errorf("%s: %s: %s", c.Name, c.Status, c.Detail)
		}
	}
	conn := connectThrough(t, b, e.role, e.password, e.primaryDB)
	if _, err := conn.Exec(ctxFor(t, time.Minute), `INSERT INTO public.items (v) VALUES (1)`); err != nil {
		t.Fatal(err)
	}
	again, err := checkBouncer(t, e.checkOptions(b))
	if err != nil || !again.OK {
		t.Fatalf("checked again with the entry in place: %v %+v", err, again)
	}
}

// Each refusal names its check, says why, offers a remedy, and leaves the file and PgBouncer
// as they were.
func TestCheckBouncerRefusals(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, check    string
		grantOnReplica bool
		opts           pgbouncer.Options
		tweak          func(e *appEnv, b *pgbouncer.Bouncer, o *core.ProxyCreateOptions)
	}{
		{name: "session pooling", check: "pool mode", grantOnReplica: true, opts: pgbouncer.Options{PoolMode: "session"}},
		{name: "not an admin", check: "pgbouncer admin", grantOnReplica: true,
			opts: pgbouncer.Options{Users: []pgbouncer.User{{Name: "watcher", Password: "w"}}, Settings: []string{"stats_users = watcher"}},
			tweak: func(e *appEnv, b *pgbouncer.Bouncer, o *core.ProxyCreateOptions) {
				o.PgBouncer.Admin = core.MustParseDSN(b.DSN("watcher", "w", "pgbouncer"))
			}},
		{name: "privileges missing on the new primary", check: "application roles"},
		{name: "role missing on the new primary", check: "application roles", grantOnReplica: true,
			tweak: func(e *appEnv, b *pgbouncer.Bouncer, o *core.ProxyCreateOptions) {
				o.MapRoles = []string{"nobody_" + e.role}
			}},
		{name: "query_wait_timeout under the max pause", check: "query wait timeout", grantOnReplica: true,
			opts: pgbouncer.Options{Settings: []string{"query_wait_timeout = 3"}}},
		{name: "defined in the main configuration too", check: "entry defined once", grantOnReplica: true},
		{name: "loaded entry points elsewhere", check: "include file", grantOnReplica: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := newAppEnv(t, c.grantOnReplica)
			switch c.name {
			case "defined in the main configuration too":
				c.opts.Databases = []string{e.primaryDB + " = host=127.0.0.1 port=" + strconv.Itoa(e.pair.Primary.Port) + " dbname=" + e.primaryDB}
			case "loaded entry points elsewhere":
				// In the file already (as if written by hand), pointing at another database.
				c.opts.Databases = nil
			}
			b := e.bouncer(c.opts)
			o := e.checkOptions(b)
			if c.tweak != nil {
				c.tweak(e, b, &o)
			}
			if c.name == "loaded entry points elsewhere" {
				elsewhere := core.BouncerEntry{Name: e.primaryDB, Host: "127.0.0.1", Port: e.pair.Primary.Port, DBName: "postgres"}
				if err := core.WriteBouncerEntry(b.Include, elsewhere); err != nil {
					t.Fatal(err)
				}
				if err := b.AdminExec(ctxFor(t, time.Minute), "RELOAD"); err != nil {
					t.Fatal(err)
				}
			}
			before := readFile(t, b.Include)
			res, err := checkBouncer(t, o)
			if !errors.Is(err, core.ErrRefused) || core.Hint(err).IsZero() || res == nil || res.OK {
				t.Fatalf("got %v (hint %q), want a refusal with a remedy: %+v", err, core.Hint(err), res)
			}
			if got := checkStatus(res, c.check); got != core.CheckFail {
				t.Fatalf("check %q: %s, want fail; error: %v", c.check, got, err)
			}
			t.Logf("%v\n  Try: %s", err, core.Hint(err))
			if after := readFile(t, b.Include); after != before {
				t.Fatalf("the file changed:\n%s", after)
			}
		})
	}
}

// PgBouncer replays a client's SCRAM proof to the server, which works only if the server has
// the very secret of the auth_file: the same password with another salt fails the check,
// and copying the secret to the new primary makes it pass.
func TestCheckBouncerSCRAMSecrets(t *testing.T) {
	t.Parallel()
	e := newAppEnv(t, true)
	var secret string
	conn, err := e.pair.Primary.Connect(ctxFor(t, time.Minute), e.primaryDB)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctxFor(t, time.Minute))
	if err := conn.QueryRow(ctxFor(t, time.Minute), `SELECT rolpassword FROM pg_authid WHERE rolname = $1`, e.role).Scan(&secret); err != nil {
		t.Fatal(err)
	}
	b := pgtest.Bouncer(t, pgbouncer.Options{Users: []pgbouncer.User{{Name: e.role, Password: secret}}})
	res, err := checkBouncer(t, e.checkOptions(b))
	if !errors.Is(err, core.ErrRefused) || checkStatus(res, "server auth") != core.CheckFail {
		t.Fatalf("with another salt on the new primary: %v %+v", err, res)
	}
	if strings.Contains(err.Error(), secret) || strings.Contains(core.Hint(err).String(), secret) {
		t.Fatal("the error shows the secret")
	}
	e.execReplica(`ALTER ROLE ` + e.role + ` PASSWORD '` + secret + `'`)
	if res, err = checkBouncer(t, e.checkOptions(b)); err != nil || !res.OK {
		t.Fatalf("with the same secret: %v (%s) %+v", err, core.Hint(err), res)
	}
}
