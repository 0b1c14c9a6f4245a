package bot

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pghandoff/pghandoff/internal/pgbouncer"
	"github.com/pghandoff/pghandoff/internal/pgcluster"
	"github.com/pghandoff/pghandoff/internal/pgtest"
)

// From Slack, a migration through PgBouncer (pgbouncer keys in the config): proxy create
// takes over PgBouncer's entry after its checks, an approved cutover repoints it, and the
// application's next write through PgBouncer lands on the new primary.
func TestCutoverFromSlackThroughPgBouncer(t *testing.T) {
	pair := pgtest.Pairs(t)[0]
	ctx := context.Background()
	role, password := "bot_app_"+pgcluster.RandomHex(4), "bot-app-pw"
	for _, c := range []*pgtest.Cluster{pair.Primary, pair.Replica} {
		if err := c.Exec(ctx, "postgres", `CREATE ROLE `+role+` LOGIN PASSWORD '`+password+`'`); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Exec(ctx, "postgres", `DROP ROLE IF EXISTS `+role) })
	}
	primaryDB, replicaDB := pgtest.Database(t, pair.Primary), pgtest.Database(t, pair.Replica)
	grant := `GRANT ALL ON ALL TABLES IN SCHEMA public TO ` + role + `; GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO ` + role
	if err := pair.Primary.Exec(ctx, primaryDB, `CREATE TABLE public.items (id bigserial PRIMARY KEY, v int); `+grant); err != nil {
		t.Fatal(err)
	}
	b := pgtest.Bouncer(t, pgbouncer.Options{Users: []pgbouncer.User{{Name: role, Password: password}}})
	bin, err := pgcluster.ClientBinDir(15)
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"STATE_DSN": stateDB(t), "P": pair.Primary.DSN(primaryDB), "R": pair.Replica.DSN(replicaDB), "B": b.AdminDSN()}
	migs := "  orders:\n    name: " + primaryDB + "\n    primary: {env: P}\n    replica: {env: R}\n" +
		"    pgbouncer:\n      admin: {env: B}\n      config: " + b.Include + "\n    cutover: {max_pause: 5s, map_roles: [" + role + "]}\n"
	h := startBot(t, harnessOpts{config: testConfig(migs, "pg_dump: "+filepath.Join(bin, "pg_dump")+"\n"), env: env})

	h.command("U0OPER", "setup orders")
	h.slack.waitFor(t, 2*time.Minute, "chat.update", ":white_check_mark:", "`setup orders`")
	h.command("U0OPER", "wait orders 2m")
	h.slack.waitFor(t, 3*time.Minute, "chat.update", ":white_check_mark:", "`wait orders 2m`")
	if err := pair.Replica.Exec(ctx, replicaDB, grant); err != nil {
		t.Fatal(err)
	}
	h.command("U0OPER", "proxy create orders")
	h.slack.waitFor(t, 2*time.Minute, "chat.update", ":white_check_mark:", "`proxy create orders`", "PgBouncer's entry points at the primary")

	h.command("U0BOSS", "cutover orders")
	ts, id := confirmation(t, h, "cutover orders")
	h.click("U0APPR", actionApprove, id, ts)
	h.slack.waitFor(t, 2*time.Minute, "chat.update", ":white_check_mark:", "`cutover orders` by <@U0BOSS>, approved by <@U0APPR>", "switched, pause")
	h.slack.waitFor(t, 10*time.Second, "chat.postMessage", "switched: PgBouncer now points at the new primary", "clients waited")

	conn, err := pgx.Connect(ctx, b.DSN(role, password, primaryDB)+"&default_query_exec_mode=exec")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `INSERT INTO public.items (v) VALUES (1)`); err != nil {
		t.Fatalf("write through PgBouncer after cutover: %v", err)
	}
	rc, err := pair.Replica.Connect(ctx, replicaDB)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close(ctx)
	var n int
	if err := rc.QueryRow(ctx, `SELECT count(*) FROM public.items`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("the new primary has %d rows of the write through PgBouncer (%v)", n, err)
	}
}
