package bot

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"
)

// From Slack on real PostgreSQL: setup, wait, proxy create, then a cutover requested by one
// person and approved by another moves the proxy to the new primary, once.
func TestCutoverFromSlackMovesTheProxy(t *testing.T) {
	m := newSlackMigration(t, `CREATE TABLE "Order" (id bigserial PRIMARY KEY, note text);
		INSERT INTO "Order" (note) SELECT 'row ' || g FROM generate_series(1, 100) g`, "    cutover: {max_pause: 5s}\n", "")
	h, pair, proxy, replicaDB, proxyDB := m.h, m.pair, m.proxy, m.replicaDB, m.proxyDB
	ctx := context.Background()
	_, resp := h.command("U0ANY", "status orders")
	h.slack.waitResponse(t, resp, "orders")
	checkReplicationMetrics(t, h, "orders", 2) // "Order" and the sentinel table
	h.command("U0OPER", "proxy create orders")
	h.slack.waitFor(t, 2*time.Minute, "chat.update", ":white_check_mark:", "`proxy create orders`", "tables through the proxy")
	if err := proxy.Exec(ctx, proxyDB, `INSERT INTO "Order" (note) VALUES ('through the proxy, before')`); err != nil {
		t.Fatalf("write through the proxy: %v", err)
	}

	h.command("U0BOSS", "cutover orders")
	ts, id := confirmation(t, h, "cutover orders")
	h.click("U0APPR", actionApprove, id, ts)
	h.slack.waitFor(t, 2*time.Minute, "chat.update", ":white_check_mark:", "`cutover orders` by <@U0BOSS>, approved by <@U0APPR>", "switched, pause")
	h.slack.waitFor(t, 10*time.Second, "chat.postMessage", "switched: the proxy now points at the new primary", "Pause:")
	checkCutoverMetrics(t, h, "orders")

	// The proxy now writes to the new primary.
	if err := proxy.Exec(ctx, proxyDB, `INSERT INTO "Order" (note) VALUES ('through the proxy, after')`); err != nil {
		t.Fatalf("write through the proxy after cutover: %v", err)
	}
	rc, err := pair.Replica.Connect(ctx, replicaDB)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close(ctx)
	var n int
	if err := rc.QueryRow(ctx, `SELECT count(*) FROM "Order" WHERE note LIKE 'through the proxy%'`).Scan(&n); err != nil || n != 2 {
		t.Fatalf("the new primary has %d of the proxy's writes (%v)", n, err)
	}
	pc, err := proxy.Connect(ctx, proxyDB)
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close(ctx)
	var opts string
	if err := pc.QueryRow(ctx, `SELECT array_to_string(srvoptions, ' ') FROM pg_foreign_server`).Scan(&opts); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(opts, "port="+strconv.Itoa(pair.Replica.Port)) {
		t.Fatalf("the foreign server points at %s, not the replica's port %d", opts, pair.Replica.Port)
	}
	// A replayed approval runs nothing again.
	r := h.click("U0APPR", actionApprove, id, ts)
	h.slack.waitResponse(t, r, "already approved")
}
