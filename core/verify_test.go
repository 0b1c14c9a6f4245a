package core_test

import (
	"errors"
	"testing"
	"time"

	"github.com/pghandoff/pghandoff/core"
)

// Verify finds a row changed on one side only, and a row missing, naming just those tables.
func TestVerifyFindsDifferences(t *testing.T) {
	forEachPair(t, func(t *testing.T, e *env) {
		e.loadScenario()
		opts := e.setupOptions()
		opts.ReplicaIdentityFull = true
		if _, err := core.Setup(ctxFor(t, time.Minute), opts); err != nil {
			t.Fatal(err)
		}
		e.waitReady()
		e.assertSame()
		// Writes made on the replica directly do not flow back: the two sides now differ.
		e.execReplica(`UPDATE "Billing"."Order" SET total = total + 0.01 WHERE id = 42`)
		e.execReplica(`DELETE FROM inventory.events WHERE id = (SELECT min(id) FROM inventory.events)`)
		res, err := core.Verify(ctxFor(t, time.Minute), core.VerifyOptions{Migration: e.m, Parallel: 3})
		if !errors.Is(err, core.ErrMismatch) || res == nil || res.OK || res.Mismatches != 2 {
			t.Fatalf("verify: %v, result %+v", err, res)
		}
		for _, c := range res.Tables {
			changed := c.TableName == core.TableName{Schema: "Billing", Name: "Order"}
			missing := c.TableName == core.TableName{Schema: "inventory", Name: "events"}
			switch {
			case changed && (c.Match || c.PrimaryRows != c.ReplicaRows || c.PrimaryChecksum == c.ReplicaChecksum):
				t.Errorf("the changed row: %+v", c)
			case missing && (c.Match || c.ReplicaRows != c.PrimaryRows-1):
				t.Errorf("the missing row: %+v", c)
			case !changed && !missing && !c.Match:
				t.Errorf("%s differs: %+v", c.TableName, c)
			}
		}
		// Within the smallest connection budget, the bot's default, it finds the same.
		budget, err := core.NewBudget(core.MinConnections)
		if err != nil {
			t.Fatal(err)
		}
		within := e.m
		within.Client = core.Client{Name: "bot", Budget: budget}
		if res, err := core.Verify(ctxFor(t, time.Minute), core.VerifyOptions{Migration: within}); !errors.Is(err, core.ErrMismatch) || res.Mismatches != 2 {
			t.Fatalf("verify within a budget of %d: %v, result %+v", core.MinConnections, err, res)
		}
	})
}
