package action_test

import (
	"strings"
	"testing"
)

// Schema changes during the move as workflow steps: status and schema-diff name a column the
// primary gained (schema-diff fails the step, saying to run a schema-sync step), schema-sync
// repairs the replica and the proxy, and ddl shows its plan and fails without `yes: true`,
// then runs it.
func TestSchemaStepsThroughProxy(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.withProxy()
	e.loadSchema()
	e.step(map[string]string{"command": "setup"}).expectOK()
	e.step(map[string]string{"command": "wait", "timeout": "2m"}).expectOK()
	e.step(map[string]string{"command": "proxy-create", "proxy": e.proxyDSN}).expectOK()
	e.exec(e.primary, e.primaryDB, `ALTER TABLE "Billing"."Order" ADD COLUMN price numeric DEFAULT 0`)

	st := e.step(map[string]string{"command": "status"})
	st.expectOK()
	if out := st.outputs(); out["differences"] != "1" || !strings.Contains(st.summary(), "#### Schema differences") {
		t.Fatalf("status outputs %v", out)
	}
	diff := e.step(map[string]string{"command": "schema-diff", "proxy": e.proxyDSN})
	if diff.code == 0 || diff.outputs()["differences"] != "2" || !strings.Contains(annotationText(diff.annotations("error")), "a step with `command: schema-sync`") {
		t.Fatalf("schema-diff: exit %d, outputs %v, errors %v", diff.code, diff.outputs(), diff.annotations("error"))
	}
	dry := e.step(map[string]string{"command": "schema-sync", "proxy": e.proxyDSN, "dry-run": "true"})
	dry.expectOK()
	if !strings.Contains(dry.summary(), "ADD COLUMN") {
		t.Fatalf("schema-sync dry run summary:\n%s", dry.summary())
	}
	sync := e.step(map[string]string{"command": "schema-sync", "proxy": e.proxyDSN})
	sync.expectOK()
	if out := sync.outputs(); out["changed"] != "true" || out["differences"] != "0" {
		t.Fatalf("schema-sync outputs %v", out)
	}
	e.step(map[string]string{"command": "schema-diff", "proxy": e.proxyDSN}).expectOK()
	e.throughProxy(`INSERT INTO "Billing"."Order" ("user", "total|sum", price) VALUES ('priced', 1, 2.5)`)

	add := `ALTER TABLE "Billing"."Order" ADD COLUMN note text`
	plan := e.step(map[string]string{"command": "ddl", "proxy": e.proxyDSN, "sql": add})
	if plan.code == 0 || !strings.Contains(plan.summary(), "plan only: nothing ran") || !strings.Contains(plan.summary(), "yes: true") {
		t.Fatalf("ddl without yes: exit %d\n%s", plan.code, plan.summary())
	}
	run := e.step(map[string]string{"command": "ddl", "proxy": e.proxyDSN, "sql": add, "yes": "true"})
	run.expectOK()
	if !strings.Contains(run.summary(), "done on replica, then primary, then proxy") {
		t.Fatalf("ddl summary:\n%s", run.summary())
	}
	e.throughProxy(`INSERT INTO "Billing"."Order" ("user", "total|sum", note) VALUES ('noted', 1, 'n')`)
	e.step(map[string]string{"command": "wait", "timeout": "2m"}).expectOK()
	if n := e.queryInt(e.replica, e.replicaDB, `SELECT count(*) FROM "Billing"."Order" WHERE price = 2.5 OR note = 'n'`); n != 2 {
		t.Fatalf("%d of the proxy's 2 writes of the new columns on the replica", n)
	}
	bad := e.step(map[string]string{"command": "ddl"})
	if bad.code == 0 || !strings.Contains(annotationText(bad.annotations("error")), "input sql") {
		t.Fatalf("ddl without sql: exit %d, %v", bad.code, bad.annotations("error"))
	}
}

func annotationText(as []annotation) string {
	var b strings.Builder
	for _, a := range as {
		b.WriteString(a.message + "\n")
	}
	return b.String()
}
