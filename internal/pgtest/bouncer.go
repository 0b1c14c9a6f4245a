package pgtest

import (
	"context"
	"testing"
	"time"

	"github.com/pghandoff/pghandoff/internal/pgbouncer"
)

// Bouncer starts a PgBouncer of the test's own (transaction pooling unless opts say
// otherwise) and stops it when the test ends. Missing PgBouncer fails the test with the
// command that installs it: never a skip.
func Bouncer(t testing.TB, opts pgbouncer.Options) *pgbouncer.Bouncer {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	b, err := pgbouncer.Start(ctx, opts)
	if err != nil {
		t.Fatalf("start PgBouncer: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("PgBouncer log:\n%s", b.Log())
		}
		b.Stop()
	})
	return b
}
