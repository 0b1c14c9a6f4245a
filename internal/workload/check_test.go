package workload

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/pghandoff/pghandoff/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }

// Check finds every acknowledged write on a server that took them directly, and then each
// kind of damage done behind the workload's back.
func TestCheckFindsLossDuplicatesAndExtras(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := pgtest.Server(t, "primary15", 15)
	db := pgtest.Database(t, c)
	if err := c.Exec(ctx, db, Schema); err != nil {
		t.Fatal(err)
	}
	w, err := Start(ctx, c.DSN(db), 3)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WaitAcked(ctx, 100); err != nil {
		t.Fatal(err)
	}
	w.StopWithin(time.Minute)
	conn, err := c.Connect(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	r, err := w.Check(ctx, conn, time.Time{})
	if err != nil || !r.OK() || r.LongestStallMS <= 0 || len(w.Writes()) < r.Inserts {
		t.Fatalf("check of an intact server: %v, %+v", err, r)
	}
	first := w.Inserts()[0]
	damage := fmt.Sprintf(`UPDATE public.counters SET hits = hits + 2 WHERE id = 1;
		UPDATE public.counters SET hits = hits - 1 WHERE id = 2;
		DELETE FROM public.ledger WHERE client = %d AND n = %d;
		INSERT INTO public.ledger (client, n) VALUES (-1, 1)`, first.Client, first.N)
	if _, err := conn.Exec(ctx, damage); err != nil {
		t.Fatal(err)
	}
	r, err = w.Check(ctx, conn, time.Time{})
	if err != nil || r.OK() || r.Duplicated != 2 || r.Lost != 2 || r.Extra != 1 {
		t.Fatalf("check of a damaged server: %v, %+v", err, r)
	}
}
