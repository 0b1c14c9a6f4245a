package bot

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/pghandoff/pghandoff/internal/pgcluster"
	"github.com/pghandoff/pghandoff/internal/pgtest"
)

// slackMigration is the migration "orders" run from Slack on real PostgreSQL: a database on
// the primary, the replica and the proxy, the primary's tables made by tables, and a bot
// configured for it (its entry ends with migExtra, the config with extra), set up and caught
// up.
type slackMigration struct {
	h                             *harness
	pair                          pgtest.Pair
	proxy                         *pgtest.Cluster
	primaryDB, replicaDB, proxyDB string
}

func newSlackMigration(t *testing.T, tables, migExtra, extra string) *slackMigration {
	t.Helper()
	m := &slackMigration{pair: pgtest.Pairs(t)[0], proxy: pgtest.Server(t, "proxy15", 15)}
	m.primaryDB, m.replicaDB, m.proxyDB = pgtest.Database(t, m.pair.Primary), pgtest.Database(t, m.pair.Replica), pgtest.Database(t, m.proxy)
	if err := m.pair.Primary.Exec(context.Background(), m.primaryDB, tables); err != nil {
		t.Fatal(err)
	}
	bin, err := pgcluster.ClientBinDir(15)
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"STATE_DSN": stateDB(t), "P": m.pair.Primary.DSN(m.primaryDB), "R": m.pair.Replica.DSN(m.replicaDB), "X": m.proxy.DSN(m.proxyDB)}
	migs := "  orders:\n    name: " + m.primaryDB + "\n    primary: {env: P}\n    replica: {env: R}\n    proxy: {env: X}\n" + migExtra
	m.h = startBot(t, harnessOpts{config: testConfig(migs, "pg_dump: "+filepath.Join(bin, "pg_dump")+"\n"+extra), env: env})
	m.h.command("U0OPER", "setup orders")
	m.h.slack.waitFor(t, 2*time.Minute, "chat.update", ":white_check_mark:", "`setup orders`")
	m.h.command("U0OPER", "wait orders 2m")
	m.h.slack.waitFor(t, 3*time.Minute, "chat.update", ":white_check_mark:", "`wait orders 2m`")
	return m
}
