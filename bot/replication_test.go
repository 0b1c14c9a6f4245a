package bot

import (
	"context"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pghandoff/pghandoff/internal/pgcluster"
	"github.com/pghandoff/pghandoff/internal/pgtest"
)

// From Slack, on real PostgreSQL 15 → 17: setup, wait, a status that reports the real lag of
// a stopped subscription, and teardown --drop through its confirmation button.
func TestReplicationFromSlack(t *testing.T) {
	pair := pgtest.Pairs(t)[1]
	ctx := context.Background()
	primaryDB, replicaDB := pgtest.Database(t, pair.Primary), pgtest.Database(t, pair.Replica)
	exec := func(c *pgtest.Cluster, db, sql string) {
		t.Helper()
		if err := c.Exec(ctx, db, sql); err != nil {
			t.Fatalf("%v\n%s", err, sql)
		}
	}
	exec(pair.Primary, primaryDB, `CREATE SCHEMA "Billing"; CREATE TABLE "Billing"."Order" (id bigserial PRIMARY KEY, note text);
		INSERT INTO "Billing"."Order" (note) SELECT 'row ' || g FROM generate_series(1, 500) g`)
	bin, err := pgcluster.ClientBinDir(15)
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"STATE_DSN": stateDB(t), "P": pair.Primary.DSN(primaryDB), "R": pair.Replica.DSN(replicaDB)}
	migs := "  orders:\n    name: " + primaryDB + "\n    primary: {env: P}\n    replica: {env: R}\n"
	h := startBot(t, harnessOpts{config: testConfig(migs, "pg_dump: "+filepath.Join(bin, "pg_dump")+"\n"), env: env})

	h.command("U0OPER", "setup orders")
	h.slack.waitFor(t, 2*time.Minute, "chat.update", ":white_check_mark:", "`setup orders` by <@U0OPER>", "tables replicating")
	if len(h.slack.matching("chat.postMessage", "creat")) == 0 {
		t.Errorf("no step of setup reached the thread:\n%s", h.slack.dump())
	}
	h.command("U0OPER", "wait orders 2m")
	h.slack.waitFor(t, 3*time.Minute, "chat.update", ":white_check_mark:", "`wait orders 2m`", "ready")

	// Stop applying, write on the primary: the lag grows, and status shows it.
	exec(pair.Replica, replicaDB, `ALTER SUBSCRIPTION `+primaryDB+` DISABLE`)
	exec(pair.Primary, primaryDB, `INSERT INTO "Billing"."Order" (note) SELECT repeat('x', 200) FROM generate_series(1, 5000)`)
	_, resp := h.command("U0RANDOM", "status orders")
	got := h.slack.waitResponse(t, resp, "*orders*", "broken", "disabled")
	m := regexp.MustCompile(`\((\d+) bytes\)`).FindStringSubmatch(got)
	if m == nil {
		t.Fatalf("no lag in the status: %s", got)
	}
	shown, _ := strconv.ParseInt(m[1], 10, 64)
	conn, err := pair.Primary.Connect(ctx, primaryDB)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var actual int64
	if err := conn.QueryRow(ctx, `SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::bigint
		FROM pg_replication_slots WHERE slot_name = $1`, primaryDB).Scan(&actual); err != nil {
		t.Fatal(err)
	}
	if shown < 100_000 || shown > actual {
		t.Fatalf("status shows a lag of %d bytes; the slot is %d bytes behind after 5000 writes", shown, actual)
	}

	// teardown --drop: a confirmation, the requester's click, the tables gone from the replica.
	h.command("U0BOSS", "teardown orders --drop")
	ts, id := confirmation(t, h, "teardown orders --drop")
	h.click("U0BOSS", actionApprove, id, ts)
	h.slack.waitFor(t, 2*time.Minute, "chat.update", ":white_check_mark:", "objects removed")
	rc, err := pair.Replica.Connect(ctx, replicaDB)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close(ctx)
	var left int
	if err := rc.QueryRow(ctx, `SELECT count(*) FROM pg_class WHERE relname = 'Order'`).Scan(&left); err != nil || left != 0 {
		t.Fatalf("the replica still has the table (%d, %v)", left, err)
	}
	// Statements, steps and errors went to Slack and the log: no password with them.
	for _, secret := range []string{pair.Primary.Password, pair.Replica.Password, testToken, testSecret} {
		for _, call := range h.slack.all() {
			if strings.Contains(call.Text(), secret) { // the Web API's own token field aside
				t.Fatalf("a secret reached Slack in %s: %s", call.Method, call.Text())
			}
		}
		if strings.Contains(h.logs.String(), secret) {
			t.Fatal("a secret reached the log")
		}
	}
}
