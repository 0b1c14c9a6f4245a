//go:build faults

package faults

import (
	"fmt"
	"testing"
	"time"

	"github.com/pghandoff/pghandoff/internal/workload"
)

// setup --schemas naming public and another schema, on a fresh replica (issue 9, item 10;
// examples/bot.yaml lists public): the migration is set up and cuts over like any other.
func TestSetupSchemasWithPublic(t *testing.T) {
	e := newEnv(t)
	e.migrate(workload.Schema+`
		CREATE SCHEMA billing;
		CREATE TABLE billing.invoices (id bigserial PRIMARY KEY, amount int NOT NULL);
		INSERT INTO billing.invoices (amount) SELECT g FROM generate_series(1, 100) g;`,
		"--schemas", "public,billing")
	e.startApp()
	e.must(cutoverArgs(false)...)
	var n int
	e.replica.scan(t, `SELECT count(*) FROM billing.invoices`, &n)
	if n != 100 {
		t.Errorf("SETUP: the replica holds %d of billing.invoices' 100 rows", n)
	}
	e.checkAll()
}

// A materialized view is readable on the new primary after cutover, as it was on the old
// one (issue 9, item 10: it arrived unpopulated), and through the proxy when the proxy
// stands in for it.
func TestMaterializedViewAfterCutover(t *testing.T) {
	e := newEnv(t)
	e.migrate(workload.Schema + `
		CREATE TABLE public.products (id int PRIMARY KEY, price int NOT NULL);
		INSERT INTO public.products SELECT g, g * 10 FROM generate_series(1, 50) g;
		CREATE MATERIALIZED VIEW public.product_stats AS SELECT count(*) AS n, sum(price) AS total FROM public.products;`)
	e.startApp()
	e.must(cutoverArgs(false)...)
	read := `SELECT n FROM public.product_stats`
	for _, n := range []*node{e.replica, e.proxy} {
		if n == e.proxy && !e.proxyHas("product_stats") {
			continue
		}
		var rows int64
		if err := n.session(t).QueryRow(ctxFor(t, time.Minute), read).Scan(&rows); err != nil || rows != 50 {
			t.Errorf("MATVIEW: reading public.product_stats on the %s after cutover: %d products, %v", n.role, rows, err)
		}
	}
	e.checkAll()
}

// cutover --failsafe with a table without a key that setup replicates with
// --replica-identity-full: the way back honours the same choice (issue 9, item 11).
func TestFailsafeWithKeylessTable(t *testing.T) {
	e := newEnv(t)
	e.migrate(workload.Schema+`
		CREATE TABLE public.audit_log (at timestamptz NOT NULL DEFAULT now(), msg text);
		INSERT INTO public.audit_log (msg) SELECT 'boot ' || g FROM generate_series(1, 10) g;`,
		"--replica-identity-full")
	e.startApp()
	o := e.run(cutoverArgs(true)...)
	if o.res.Code != 0 {
		t.Errorf("KEYLESS: %s with public.audit_log replicated with --replica-identity-full\n%s", o, tail(o.res.Stderr, 4))
		e.recoverWith(cutoverArgs(false))
	}
	e.checkAll()
}

func (e *env) proxyHas(relation string) bool {
	var n int
	e.proxy.scan(e.t, fmt.Sprintf(`SELECT count(*) FROM pg_class WHERE relname = '%s'`, relation), &n)
	return n > 0
}
