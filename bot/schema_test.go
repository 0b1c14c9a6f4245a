package bot

import (
	"context"
	"strings"
	"testing"
	"time"
)

// From Slack on real PostgreSQL: a column the primary gained raises one alert naming it and
// the command that repairs it; status says so; schema sync (operate) repairs the replica and
// the proxy, and the alert clears; ddl waits for its confirmation (an operator's, a statement
// typed in Slack with its escapes and quotes), then runs in its order.
func TestSchemaChangesFromSlack(t *testing.T) {
	m := newSlackMigration(t, `CREATE TABLE items (id bigserial PRIMARY KEY, qty int NOT NULL DEFAULT 1);
		INSERT INTO items (qty) SELECT g FROM generate_series(1, 100) g`, "", "alerts:\n  every: \"@every 1h\"\n  channel: C0ALERTS\n")
	h, pair, proxy, primaryDB, replicaDB, proxyDB := m.h, m.pair, m.proxy, m.primaryDB, m.replicaDB, m.proxyDB
	ctx := context.Background()
	h.command("U0OPER", "proxy create orders")
	h.slack.waitFor(t, 2*time.Minute, "chat.update", ":white_check_mark:", "`proxy create orders`")

	if err := pair.Primary.Exec(ctx, primaryDB, `ALTER TABLE items ADD COLUMN price numeric DEFAULT 0`); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		h.bot.checkAlerts(ctx)
	}
	alerts := h.slack.matching("chat.postMessage", ":rotating_light:", `column "public"."items"."price" exists on the primary, not on the replica`)
	if len(alerts) != 1 || !strings.Contains(alerts[0].Text(), "`/pghandoff schema sync orders`") {
		t.Fatalf("%d schema alerts:\n%s", len(alerts), h.slack.dump())
	}
	_, resp := h.command("U0ANY", "status orders")
	h.slack.waitResponse(t, resp, "Schema: 1 difference(s)")
	if reply, _ := h.command("U0ANY", "schema sync orders"); !strings.Contains(reply, "may not run") {
		t.Fatalf("schema sync by anyone: %q", reply)
	}
	h.command("U0OPER", "schema sync orders")
	h.slack.waitFor(t, 2*time.Minute, "chat.update", ":white_check_mark:", "`schema sync orders`", "2 applied, 0 left")
	h.bot.checkAlerts(ctx)
	h.slack.waitFor(t, 10*time.Second, "chat.postMessage", ":white_check_mark:", "cleared after")

	// Slack sends the text HTML-escaped, and a client may curl the quotes.
	_, resp = h.command("U0OPER", "ddl orders ALTER TABLE items ADD CONSTRAINT qty_positive CHECK (qty &gt; 0), ADD COLUMN note text DEFAULT ‘none’")
	h.slack.waitResponse(t, resp, "CHECK (qty > 0)", "both adds and removes or tightens") // two orders: refused before any button
	h.command("U0OPER", "ddl orders ALTER TABLE items ADD COLUMN note text DEFAULT ‘none’")
	ts, id := confirmation(t, h, "ddl orders ALTER TABLE items ADD COLUMN note text DEFAULT 'none'")
	h.slack.waitFor(t, time.Second, "chat.postMessage", "order: replica → primary → proxy")
	h.click("U0OPER", actionApprove, id, ts)
	h.slack.waitFor(t, 2*time.Minute, "chat.update", ":white_check_mark:", "by <@U0OPER>: it adds column")
	h.slack.waitFor(t, 10*time.Second, "chat.postMessage", "done on every server", "*proxy*: done")
	if err := proxy.Exec(ctx, proxyDB, `INSERT INTO items (qty, price) VALUES (5, 2.5)`); err != nil {
		t.Fatalf("write of the new columns through the proxy: %v", err)
	}
	h.command("U0OPER", "wait orders 3m")
	h.slack.waitFor(t, 3*time.Minute, "chat.update", ":white_check_mark:", "`wait orders 3m`")
	rc, err := pair.Replica.Connect(ctx, replicaDB)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close(ctx)
	var n int
	if err := rc.QueryRow(ctx, `SELECT count(*) FROM items WHERE price = 2.5 AND note = 'none'`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("the proxy's write of the new columns on the replica: %d (%v)\n%s", n, err, h.slack.dump())
	}
}
