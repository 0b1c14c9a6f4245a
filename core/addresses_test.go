package core_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pghandoff/pghandoff/core"
	"github.com/pghandoff/pghandoff/internal/faultnet"
	"github.com/pghandoff/pghandoff/internal/pgtest"
	"github.com/pghandoff/pghandoff/internal/workload"
)

// When pghandoff reaches the servers at other addresses than they reach each other at (a
// bastion for the operator, a private network between the servers), the subscription uses
// the primary's address for the replica, and the failsafe the replica's for the primary;
// preflight says whether those reach the same databases.
func TestAddressesTheServersUse(t *testing.T) {
	e := newProxyEnv(t, pgtest.Pairs(t)[0])
	// pghandoff goes through forwarders; the servers use the direct addresses.
	viaPrimary, viaReplica := forward(t, e.pair.Primary.Port), forward(t, e.pair.Replica.Port)
	direct := e.m
	e.m.Primary = core.MustParseDSN(onPort(e.pair.Primary.DSN(e.primaryDB), e.pair.Primary.Port, viaPrimary.Port()))
	e.m.Replica = core.MustParseDSN(onPort(e.pair.Replica.DSN(e.replicaDB), e.pair.Replica.Port, viaReplica.Port()))
	e.m.PrimaryForReplica, e.m.ReplicaForPrimary = direct.Primary, direct.Replica

	pre, err := core.Preflight(ctxFor(t, time.Minute), core.PreflightOptions{Migration: e.m, PgDump: e.pgDump})
	if err != nil || !passed(pre, "primary for the replica") || !passed(pre, "replica for the primary") {
		t.Fatalf("preflight: %v, %+v", err, pre)
	}
	wrong := e.m
	wrong.PrimaryForReplica = direct.Replica
	if pre, err := core.Preflight(ctxFor(t, time.Minute), core.PreflightOptions{Migration: wrong, PgDump: e.pgDump}); err != nil || pre.OK {
		t.Fatalf("preflight with an address of another server: %v, ok %t", err, pre.OK)
	}

	e.setUp(workload.Schema)
	var conninfo string
	e.scan(true, `SELECT subconninfo FROM pg_subscription WHERE subname = '`+e.m.Name+`'`, &conninfo)
	if !strings.Contains(conninfo, "port='"+strconv.Itoa(e.pair.Primary.Port)+"'") {
		t.Fatalf("the subscription connects to %s, not to the primary's direct address", conninfo)
	}
	opts := e.cutoverOptions()
	opts.Failsafe = true
	if _, err := core.Cutover(ctxFor(t, time.Minute), opts); err != nil {
		t.Fatalf("cutover --failsafe: %v (%s)", err, core.Hint(err))
	}
	e.scan(false, `SELECT subconninfo FROM pg_subscription WHERE subname = '`+e.m.Name+`_failsafe'`, &conninfo)
	if !strings.Contains(conninfo, "port='"+strconv.Itoa(e.pair.Replica.Port)+"'") {
		t.Fatalf("the failsafe connects to %s, not to the replica's direct address", conninfo)
	}
}

func forward(t *testing.T, port int) *faultnet.Forwarder {
	t.Helper()
	f, err := faultnet.Listen(fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	return f
}

// onPort is dsn with its port replaced.
func onPort(dsn string, from, to int) string {
	return strings.Replace(dsn, ":"+strconv.Itoa(from)+"/", ":"+strconv.Itoa(to)+"/", 1)
}

func passed(res *core.PreflightResult, name string) bool {
	for _, c := range res.Checks {
		if c.Name == name {
			return c.Status == core.CheckPass
		}
	}
	return false
}
