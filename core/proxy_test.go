package core_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/pghandoff/pghandoff/core"
)

// insertDefaults inserts through the proxy, as role, one row into every table of the
// scenario, relying on its defaults, and returns the generated keys by table.
func (e *proxyEnv) insertDefaults(role, password string) map[string]int64 {
	e.t.Helper()
	ctx := ctxFor(e.t, time.Minute)
	conn, err := pgx.Connect(ctx, e.proxy.DSNFor(role, password, e.proxyDB))
	if err != nil {
		e.t.Fatal(err)
	}
	defer conn.Close(context.Background())
	keys := map[string]int64{}
	one := func(table, sql string, check func(pgx.Row) error) {
		e.t.Helper()
		if err := check(conn.QueryRow(ctx, sql)); err != nil {
			e.t.Fatalf("insert into %s through the proxy: %v\n%s", table, err, sql)
		}
	}
	var id int64
	one("Customer", `INSERT INTO "Billing"."Customer" ("Name", "user") VALUES ('via proxy', 'it''s me') RETURNING id`, func(r pgx.Row) error {
		err := r.Scan(&id)
		keys["Customer"] = id
		return err
	})
	one("Order", `INSERT INTO "Billing"."Order" (customer_id, "select") VALUES (1, 7) RETURNING id, status::text, token IS NOT NULL AND created_at > now() - interval '1 hour'`, func(r pgx.Row) error {
		var status string
		var ok bool
		if err := r.Scan(&id, &status, &ok); err != nil {
			return err
		}
		if status != "new" || !ok {
			return errors.New("expression defaults not applied: status " + status)
		}
		keys["Order"] = id
		return nil
	})
	one("items", `INSERT INTO inventory.items (sku, price_cents) VALUES ('proxied-' || clock_timestamp(), 250) RETURNING id, price::text`, func(r pgx.Row) error {
		var price string
		if err := r.Scan(&id, &price); err != nil {
			return err
		}
		if !strings.HasPrefix(price, "2.5") {
			return errors.New("generated column: price " + price)
		}
		keys["items"] = id
		return nil
	})
	one("events", `INSERT INTO inventory.events (at, item_id, payload) VALUES ('2026-05-01', 1, '{"proxy": true}') RETURNING id`, func(r pgx.Row) error {
		err := r.Scan(&id)
		keys["events"] = id
		return err
	})
	one("audit_log", `INSERT INTO public.audit_log (message) VALUES ('via proxy') RETURNING (at IS NOT NULL)::int`, func(r pgx.Row) error {
		return r.Scan(&id)
	})
	one("docs", `INSERT INTO public.docs (body) VALUES ('via proxy') RETURNING id`, func(r pgx.Row) error {
		err := r.Scan(&id)
		keys["docs"] = id
		return err
	})
	// An update through the proxy leaves a GENERATED ALWAYS identity alone and lets the
	// server recompute a generated column.
	var price string
	if err := conn.QueryRow(ctx, `UPDATE inventory.items SET price_cents = 300 WHERE id = $1 RETURNING id, price::text`, keys["items"]).Scan(&id, &price); err != nil || id != keys["items"] || !strings.HasPrefix(price, "3") {
		e.t.Fatalf("update through the proxy: id %d price %s: %v", id, price, err)
	}
	return keys
}

// Through the proxy, before and after cutover: inserts in every schema relying on serial,
// bigserial, identity (always and by default) and expression defaults, mixed-case names, a
// partitioned table, a mapped role; keys continue from the primary's sequences on the
// replica; proxy remove and teardown leave nothing on any server; no password in any output.
func TestProxyKeepsDefaultsThroughCutover(t *testing.T) {
	forEachPairWithProxy(t, func(t *testing.T, e *proxyEnv) {
		role := "app_" + e.proxyDB
		e.execProxy(`CREATE ROLE ` + role + ` LOGIN PASSWORD 'app secret'`)
		t.Cleanup(func() { _ = e.proxy.Exec(context.Background(), "postgres", "DROP ROLE IF EXISTS "+role) })
		created := e.setUp("", role)

		wantTables := []core.TableName{{"Billing", "Customer"}, {"Billing", "Order"}, {"inventory", "events"}, {"inventory", "items"}, {"public", "audit_log"}, {"public", "docs"}}
		if !slices.Equal(created.Tables, wantTables) {
			t.Fatalf("tables %v, want %v", created.Tables, wantTables)
		}
		if len(created.Views) != 2 || len(created.Sequences) != 4 || !slices.Equal(created.CreatedTypes, []string{`"Billing".status`}) {
			t.Fatalf("views %v sequences %v types %v", created.Views, created.Sequences, created.CreatedTypes)
		}
		if len(created.Skipped) != 1 || created.Skipped[0].Name != "cache" || !contains(created.Warnings, "ON CONFLICT DO UPDATE") {
			t.Fatalf("skipped %v warnings %v", created.Skipped, created.Warnings)
		}
		// The foreign tables show the primary's columns in the primary's order.
		cols := `SELECT string_agg(attname, ',' ORDER BY attnum) FROM pg_attribute WHERE attrelid = '"Billing"."Order"'::regclass AND attnum > 0 AND NOT attisdropped`
		var onPrimary, onProxy string
		e.scan(false, cols, &onPrimary)
		e.scanProxy(cols, &onProxy)
		if onPrimary != onProxy {
			t.Fatalf("columns on the proxy %s, on the primary %s", onProxy, onPrimary)
		}

		again, err := core.ProxyCreate(ctxFor(t, time.Minute), core.ProxyCreateOptions{Migration: e.m, MapRoles: []string{role}})
		if err != nil || again.Changed {
			t.Fatalf("second proxy create: %v, changed %v: %s", err, again.Changed, statementsText(again.Statements))
		}

		before := e.insertDefaults(role, "app secret")
		want := map[string]int64{"Customer": 201, "Order": 2001, "items": 301, "events": 2001, "docs": 21}
		for table, id := range want {
			if before[table] != id {
				t.Errorf("%s: key %d through the proxy, want %d from the primary's sequence", table, before[table], id)
			}
		}
		if n := e.queryInt(false, `SELECT count(*) FROM "Billing"."Customer" WHERE "Name" = 'via proxy' AND id = 201`); n != 1 {
			t.Fatal("the insert through the proxy did not reach the primary")
		}

		e.waitReady()
		res, err := core.Cutover(ctxFor(t, time.Minute), e.cutoverOptions())
		if err != nil || !res.Switched {
			t.Fatalf("cutover: %v (%s): %s", err, core.Hint(err), statementsText(res))
		}
		after := e.insertDefaults(role, "app secret")
		for table, id := range after {
			if id <= before[table] {
				t.Errorf("%s: key %d after cutover, not above %d", table, id, before[table])
			}
			if n := e.queryInt(true, `SELECT count(*) FROM `+map[string]string{"Customer": `"Billing"."Customer"`, "Order": `"Billing"."Order"`,
				"items": "inventory.items", "events": "inventory.events", "docs": "public.docs"}[table]+` WHERE id = $1`, id); n != 1 {
				t.Errorf("%s: row %d inserted after cutover is not on the replica", table, id)
			}
		}
		if n := e.queryInt(false, `SELECT count(*) FROM inventory.items WHERE id = $1`, after["items"]); n != 0 {
			t.Error("a write after cutover reached the old primary")
		}

		dryRemove, err := core.ProxyRemove(ctxFor(t, time.Minute), core.ProxyRemoveOptions{Migration: e.m, Execution: core.Execution{DryRun: true}})
		if err != nil || len(dryRemove.Removed) == 0 || e.queryProxy(`SELECT count(*) FROM pg_foreign_table`) == 0 {
			t.Fatalf("dry run of proxy remove: %v, or it removed something: %s", err, statementsText(dryRemove))
		}
		removed, err := core.ProxyRemove(ctxFor(t, time.Minute), core.ProxyRemoveOptions{Migration: e.m, Execution: core.Execution{Observer: e.observer()}})
		if err != nil {
			t.Fatalf("proxy remove: %v", err)
		}
		if _, err := core.Teardown(ctxFor(t, time.Minute), core.TeardownOptions{Migration: e.m}); err != nil {
			t.Fatalf("teardown: %v", err)
		}
		if left := append(e.proxyLeftovers(), e.leftovers()...); len(left) > 0 {
			t.Fatalf("left after proxy remove and teardown: %v (removed %v)", left, removed.Removed)
		}
		assertNoSecrets(t, e.m, statementsText(created), statementsText(res), statementsText(removed), e.events.text())
	})
}

// A type the proxy lacks and pghandoff cannot make stops proxy create before anything
// changes, naming the type and the remedy; once it exists, a run completes.
func TestProxyCreateRefusesMissingType(t *testing.T) {
	forEachPairWithProxy(t, func(t *testing.T, e *proxyEnv) {
		schema := `CREATE DOMAIN public."Money" AS numeric(12, 2) CHECK (VALUE >= 0);
			CREATE TYPE public.mood AS ENUM ('ok', 'meh');
			CREATE TABLE public.wallet (id serial PRIMARY KEY, balance public."Money", mood public.mood DEFAULT 'ok')`
		e.execPrimary(schema)
		// A user's schema named like the migration is the user's: proxied, not taken for pghandoff's.
		e.execPrimary(`CREATE SCHEMA ` + e.m.Name + `; CREATE TABLE ` + e.m.Name + `.t (id int PRIMARY KEY)`)
		_, err := core.ProxyCreate(ctxFor(t, time.Minute), core.ProxyCreateOptions{Migration: e.m, Execution: core.Execution{Observer: e.observer()}})
		if !errors.Is(err, core.ErrRefused) || !strings.Contains(err.Error(), `public."Money"`) || core.Hint(err).IsZero() {
			t.Fatalf("proxy create: got %v (hint %q), want a refusal naming the domain", err, core.Hint(err))
		}
		if left := e.proxyLeftovers(); len(left) > 0 {
			t.Fatalf("a refused proxy create left %v", left)
		}
		e.execProxy(`CREATE DOMAIN public."Money" AS numeric(12, 2)`)
		dry, err := core.ProxyCreate(ctxFor(t, time.Minute), core.ProxyCreateOptions{Migration: e.m, Execution: core.Execution{DryRun: true}})
		if err != nil || !dry.Changed || len(dry.Statements) == 0 {
			t.Fatalf("dry run: %v %s", err, statementsText(dry))
		}
		if left := e.proxyLeftovers(); len(left) > 0 {
			t.Fatalf("a dry run made %v", left)
		}
		res, err := core.ProxyCreate(ctxFor(t, time.Minute), core.ProxyCreateOptions{Migration: e.m, Execution: core.Execution{Observer: e.observer()}})
		if err != nil {
			t.Fatalf("proxy create once the domain exists: %v (%s)", err, core.Hint(err))
		}
		if !slices.Equal(res.CreatedTypes, []string{"public.mood"}) {
			t.Fatalf("created types %v, want the enum", res.CreatedTypes)
		}
		if n := e.queryProxy(`WITH w AS (INSERT INTO public.wallet (balance) VALUES (1.5) RETURNING id, mood) SELECT id FROM w WHERE mood = 'ok'`); n != 1 {
			t.Fatalf("insert through the proxy got id %d", n)
		}
		if n := e.queryProxy(`WITH w AS (INSERT INTO ` + e.m.Name + `.t VALUES (7) RETURNING id) SELECT id FROM w`); n != 7 {
			t.Fatalf("the user's schema named like the migration is not proxied")
		}
		// A table created later: a second run adds its foreign table and nothing else.
		e.execPrimary(`CREATE TABLE public."Later" (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY)`)
		later, err := core.ProxyCreate(ctxFor(t, time.Minute), core.ProxyCreateOptions{Migration: e.m})
		if err != nil {
			t.Fatalf("proxy create after a new table: %v", err)
		}
		for _, s := range later.Statements {
			if strings.HasPrefix(s.SQL, "CREATE") && !strings.Contains(s.SQL, "Later") {
				t.Fatalf("the second run made more than the new table's objects: %s", s.SQL)
			}
		}
		if n := e.queryProxy(`WITH w AS (INSERT INTO public."Later" DEFAULT VALUES RETURNING id) SELECT id FROM w`); n != 1 {
			t.Fatalf("the new table's identity through the proxy gave %d", n)
		}
	})
}
