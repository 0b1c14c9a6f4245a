package core_test

import (
	"testing"
	"time"

	"github.com/pghandoff/pghandoff/core"
)

// After setup and proxy create, the replica and the proxy hold the primary's definitions
// exactly: the comparison finds nothing, on every version pair, for every hard case of the
// scenario (mixed case, partitions, identity and generated columns, enums, foreign keys).
func TestSchemaDiffFindsNothingAfterSetup(t *testing.T) {
	forEachPairWithProxy(t, func(t *testing.T, e *proxyEnv) {
		e.setUp("")
		res, err := core.SchemaDiff(ctxFor(t, time.Minute), core.SchemaDiffOptions{Migration: e.m})
		if err != nil {
			t.Fatalf("schema diff: %v (%s)", err, core.Hint(err))
		}
		if res.Differs || len(res.Changes) != 0 || !res.ProxyChecked || res.Tables < 8 || res.TablesDiffering != 0 {
			t.Fatalf("differences right after setup: %s", statementsText(res))
		}
	})
}
