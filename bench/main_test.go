// Package bench measures pghandoff on real PostgreSQL clusters. Run with `make bench`; the
// figures go to BENCHMARKS.md. Tests never assert on time: these benchmarks are where speed
// is measured.
package bench

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pghandoff/pghandoff/core"
	"github.com/pghandoff/pghandoff/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }

func ctxFor(b testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	b.Cleanup(cancel)
	return ctx
}

func pgDump(b testing.TB) string {
	dir, err := pgtest.ClientBinDir(15)
	if err != nil {
		b.Fatal(err)
	}
	return filepath.Join(dir, "pg_dump")
}

// migration makes a fresh database on each side of pair and names the migration after it.
func migration(b testing.TB, pair pgtest.Pair) (core.Migration, string, string) {
	pdb, rdb := pgtest.Database(b, pair.Primary), pgtest.Database(b, pair.Replica)
	return core.Migration{
		Name:    pdb,
		Primary: core.MustParseDSN(pair.Primary.DSN(pdb)),
		Replica: core.MustParseDSN(pair.Replica.DSN(rdb)),
	}, pdb, rdb
}
