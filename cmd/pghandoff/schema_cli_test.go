package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/pghandoff/pghandoff/core"
	"github.com/pghandoff/pghandoff/internal/pgtest"
)

// Schema changes during the move from the command line: status and schema diff name a
// column added on the primary (exit 3) and say to run schema sync, which repairs it (its dry
// run changing nothing); ddl prints its plan and runs nothing without --yes, then runs it.
func TestCommandLineSchemaChanges(t *testing.T) {
	pair := pgtest.Pairs(t)[1]
	proxy := pgtest.Server(t, "proxy15", 15)
	pdb, rdb, xdb := pgtest.Database(t, pair.Primary), pgtest.Database(t, pair.Replica), pgtest.Database(t, proxy)
	if err := pair.Primary.Exec(context.Background(), pdb, `CREATE TABLE public.items (id bigserial PRIMARY KEY, sku text NOT NULL);
		INSERT INTO public.items (sku) SELECT 's' || g FROM generate_series(1, 100) g`); err != nil {
		t.Fatal(err)
	}
	c := &cli{t: t, env: map[string]string{"PGHANDOFF_PRIMARY": pair.Primary.DSN(pdb), "PGHANDOFF_REPLICA": pair.Replica.DSN(rdb), "PGHANDOFF_PROXY": proxy.DSN(xdb)}}
	name := []string{"--name", pdb}
	c.expect(exitOK, append([]string{"setup"}, name...)...)
	c.expect(exitOK, append([]string{"wait", "--timeout", "2m", "--interval", "200ms"}, name...)...)
	c.expect(exitOK, append([]string{"proxy", "create"}, name...)...)
	c.expect(exitOK, append([]string{"schema", "diff"}, name...)...)

	if err := pair.Primary.Exec(context.Background(), pdb, `ALTER TABLE public.items ADD COLUMN price numeric DEFAULT 0;
		UPDATE public.items SET price = 1 WHERE id = 1`); err != nil {
		t.Fatal(err)
	}
	stdout, _ := c.expect(exitNotReady, append([]string{"status"}, name...)...)
	if !strings.Contains(stdout, `column "public"."items"."price" exists on the primary, not on the replica`) || !strings.Contains(stdout, "pghandoff schema diff lists them") {
		t.Fatalf("status does not name the new column:\n%s", stdout)
	}
	stdout, _ = c.expect(exitNotReady, append([]string{"schema", "diff"}, name...)...)
	if !strings.Contains(stdout, "STOPS") || !strings.Contains(stdout, "Try: run pghandoff schema sync") || !strings.Contains(stdout, "not on the proxy") {
		t.Fatalf("schema diff:\n%s", stdout)
	}
	stdout, _ = c.expect(exitNotReady, append([]string{"schema", "diff", "--json"}, name...)...)
	var diff core.SchemaDiffResult
	if err := json.Unmarshal([]byte(stdout), &diff); err != nil || !diff.Differs || len(diff.Changes) != 2 {
		t.Fatalf("schema diff --json %v:\n%s", err, stdout)
	}
	stdout, _ = c.expect(exitOK, append([]string{"schema", "sync", "--dry-run"}, name...)...)
	if !strings.Contains(stdout, `ADD COLUMN "price" numeric DEFAULT 0`) {
		t.Fatalf("schema sync --dry-run:\n%s", stdout)
	}
	c.expect(exitNotReady, append([]string{"schema", "diff"}, name...)...)
	stdout, _ = c.expect(exitOK, append([]string{"schema", "sync"}, name...)...)
	if !strings.Contains(stdout, "2 difference(s) brought in line") {
		t.Fatalf("schema sync:\n%s", stdout)
	}
	c.expect(exitOK, append([]string{"schema", "diff"}, name...)...)

	add := `ALTER TABLE public.items ADD COLUMN note text`
	stdout, stderr := c.expect(exitFailed, append([]string{"ddl", add}, name...)...)
	if !strings.Contains(stdout, "Plan (nothing ran)") || !strings.Contains(stdout, "replica → primary → proxy") || !strings.Contains(stderr, "--yes") {
		t.Fatalf("ddl without --yes:\nstdout:\n%s\nstderr:\n%s", stdout, stderr)
	}
	stdout, _ = c.expect(exitOK, append([]string{"ddl", add, "--yes"}, name...)...)
	if !strings.Contains(stdout, "Done on every server") {
		t.Fatalf("ddl --yes:\n%s", stdout)
	}
	c.expect(exitOK, append([]string{"wait", "--timeout", "2m", "--interval", "200ms"}, name...)...)
	c.expect(exitOK, append([]string{"schema", "diff"}, name...)...)
	c.expect(exitUsage, "ddl", "--name", pdb)
	c.expect(exitUsage, "schema")
	for _, secret := range []string{pair.Primary.Password, pair.Replica.Password, proxy.Password} {
		if strings.Contains(c.all.String(), secret) {
			t.Fatal("a password appeared in the output")
		}
	}
}
