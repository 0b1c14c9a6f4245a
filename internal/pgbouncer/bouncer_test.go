package pgbouncer_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/pghandoff/pghandoff/internal/pgbouncer"
	"github.com/pghandoff/pghandoff/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }

// A started PgBouncer answers on its admin console, has loaded its configuration, and is gone
// with its directory after Stop.
func TestStartStop(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	b, err := pgbouncer.Start(ctx, pgbouncer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	conn, err := b.Admin(ctx)
	if err != nil {
		b.Stop()
		t.Fatal(err)
	}
	var mode string
	rows, err := conn.Query(ctx, "SHOW CONFIG")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		vals := rows.RawValues()
		if string(vals[0]) == "pool_mode" {
			mode = string(vals[1])
		}
	}
	rows.Close()
	conn.Close(ctx)
	b.Stop()
	if mode != "transaction" {
		t.Fatalf("pool_mode %q, want transaction", mode)
	}
	if _, err := os.Stat(b.Dir); !os.IsNotExist(err) {
		t.Fatalf("directory %s left behind: %v", b.Dir, err)
	}
	if err := b.AdminExec(ctx, "SHOW VERSION"); err == nil {
		t.Fatal("the admin console still answers after Stop")
	}
}
