//go:build faults

package faults

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pghandoff/pghandoff/internal/workload"
)

// setup killed (SIGKILL) in the middle of its own copy of the small tables, while the
// application writes to the primary: the replica holds no copied row and no subscription
// (the copy and the subscription are one transaction there), the next setup copies again
// from a new snapshot, and the replica ends holding exactly the acknowledged writes, with
// no slot left without a consumer.
func TestSetupKilledDuringItsCopy(t *testing.T) {
	e := newEnv(t)
	var tables strings.Builder
	for i := range 40 {
		fmt.Fprintf(&tables, "CREATE TABLE public.bulk%02d (id int PRIMARY KEY, filler text);\n", i)
		fmt.Fprintf(&tables, "INSERT INTO public.bulk%02d SELECT g, repeat('x', 40) FROM generate_series(1, 20000) g;\n", i)
	}
	e.primary.exec(t, workload.Schema+tables.String())
	w, err := workload.Start(ctxFor(t, time.Minute), e.primary.direct(), appClients)
	if err != nil {
		t.Fatal(err)
	}
	e.app = w
	t.Cleanup(func() { w.StopWithin(10 * time.Second) })
	e.appWrites(50)

	p := e.start("setup")
	copying := func() (bool, error) {
		var n int
		err := e.replica.session(t).QueryRow(ctxFor(t, time.Minute), `SELECT count(*) FROM pg_stat_activity
			WHERE state = 'active' AND query LIKE 'COPY %' AND application_name LIKE 'pghandoff%'`).Scan(&n)
		return n > 0, err
	}
	if err := waitFor(ctxFor(t, 2*time.Minute), copying); err != nil {
		t.Fatalf("setup never reached its copy: %v", err)
	}
	_ = p.Kill()
	<-p.Exited()

	var subscriptions, rows int
	e.replica.scan(t, fmt.Sprintf(`SELECT count(*) FROM pg_subscription WHERE subname = '%s'`, e.name), &subscriptions)
	e.replica.scan(t, `SELECT (SELECT count(*) FROM public.bulk00) + (SELECT count(*) FROM public.ledger)`, &rows)
	if subscriptions != 0 || rows != 0 {
		t.Errorf("SETUP: a setup killed during its copy left %d subscription(s) and %d copied rows on the replica", subscriptions, rows)
	}

	e.must("setup")
	e.must("wait", "--timeout", "2m", "--interval", "200ms")
	e.appWrites(100)
	w.StopWithin(10 * time.Second)
	e.must("verify")
	if r := e.checkWritesOn(e.replica); !r.OK() {
		t.Errorf("WRITES: the replica does not hold exactly the acknowledged writes after setup was killed and run again: %d lost, %d duplicated, %d extra; %s",
			r.Lost, r.Duplicated, r.Extra, firstProblems(r))
	}
	e.checkSlots()
}
