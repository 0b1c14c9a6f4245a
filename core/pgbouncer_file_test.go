package core_test

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pghandoff/pghandoff/core"
	"github.com/pghandoff/pghandoff/internal/pgbouncer"
)

// A password with every character PgBouncer's connection-string parser treats specially
// (quote, space, equals) and one libpq treats specially but PgBouncer does not (backslash).
const trickyPassword = `it's a \ pass=word`

// The entry pghandoff writes is what PgBouncer reads: with a forced user whose password has
// quotes, spaces and backslashes, clients through PgBouncer log in to the server as that
// user; and the file reads back the same entry.
func TestBouncerEntryQuotingReachesTheServer(t *testing.T) {
	t.Parallel()
	e := newBouncerEnv(t, pgbouncer.Options{})
	ctx := ctxFor(t, time.Minute)
	role := "forced_" + e.db
	if err := e.cluster.Exec(ctx, e.db, `CREATE ROLE `+role+` LOGIN PASSWORD '`+strings.ReplaceAll(trickyPassword, "'", "''")+`'`); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.cluster.Exec(ctxFor(t, time.Minute), "postgres", `DROP ROLE IF EXISTS `+role) })
	forced := e.entry
	forced.User, forced.Password = role, trickyPassword
	if err := core.WriteBouncerEntry(e.b.Include, forced); err != nil {
		t.Fatal(err)
	}
	if _, err := e.bouncer().ReloadAndConfirm(ctx, forced); err != nil {
		t.Fatalf("%v\n%s", err, e.b.Log())
	}
	var user string
	if err := e.client().QueryRow(ctx, `SELECT current_user`).Scan(&user); err != nil || user != role {
		t.Fatalf("logged in to the server as %q (%v), want %q\n%s", user, err, role, e.b.Log())
	}
	entries, err := core.ReadBouncerFile(e.b.Include)
	if err != nil || len(entries) != 1 || entries[0].Password != trickyPassword || entries[0].User != role || entries[0].Port != e.cluster.Port {
		t.Fatalf("read back %+v (%v)", entries, err)
	}
	// PgBouncer cannot drop a forced user on RELOAD ("losing forced user not supported"):
	// the confirmation sees it and says so.
	if err := core.WriteBouncerEntry(e.b.Include, e.entry); err != nil {
		t.Fatal(err)
	}
	if db, err := e.bouncer().ReloadAndConfirm(ctx, e.entry); err == nil || db.ForceUser != role {
		t.Fatalf("dropping the forced user: %v, loaded %+v", err, db)
	}
}

// Rewriting an entry keeps the file's other lines and the entry's other keywords, writes a
// file readable by its owner alone, and keeps the old file's owner.
func TestWriteBouncerEntryKeepsTheRest(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "pghandoff.ini")
	before := "[databases]\n; the operator's note\nother = host=elsewhere dbname=x\napp = host=old port=5433 dbname=app pool_size=7\n"
	if err := os.WriteFile(path, []byte(before), 0o644); err != nil {
		t.Fatal(err)
	}
	// The owner is only for root to give; as another user the file stays the user's own.
	uid, gid := os.Geteuid(), os.Getegid()
	if uid == 0 {
		uid, gid = 4242, 4343
	}
	if err := os.Chown(path, uid, gid); err != nil {
		t.Fatal(err)
	}
	e := core.BouncerEntry{Name: "app", Host: "new.example.com", Port: 5432, DBName: "app"}
	if err := core.WriteBouncerEntry(path, e); err != nil {
		t.Fatal(err)
	}
	want := "[databases]\n; the operator's note\nother = host=elsewhere dbname=x\napp = host='new.example.com' port='5432' dbname='app' pool_size='7'\n"
	if got := readFile(t, path); got != want {
		t.Fatalf("file:\n%s\nwant:\n%s", got, want)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	if fi.Mode().Perm() != 0o640 || int(st.Uid) != uid || int(st.Gid) != gid {
		t.Fatalf("mode %v owner %d:%d, want -rw-r----- %d:%d", fi.Mode().Perm(), st.Uid, st.Gid, uid, gid)
	}
	leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".*tmp*"))
	if len(leftovers) > 0 {
		t.Fatalf("temporary files left: %v", leftovers)
	}
}

// A new file is created with mode 0600 and its own [databases] header; an entry PgBouncer
// would reject (and log whole, password included) is refused before writing, with an error
// that does not show the password.
func TestWriteBouncerEntryNewFileAndRefusals(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "new.ini")
	e := core.BouncerEntry{Name: "app", Host: "h", Port: 5432, DBName: "app", User: "u", Password: "p"}
	if err := core.WriteBouncerEntry(path, e); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v (%v), want 0600", fi.Mode().Perm(), err)
	}
	if got := readFile(t, path); !strings.Contains(got, "[databases]\napp = host='h' port='5432' dbname='app' user='u' password='p'\n") {
		t.Fatalf("file:\n%s", got)
	}
	secret := "line\nbreak-secret"
	for name, bad := range map[string]core.BouncerEntry{
		"newline in the password": {Name: "app", Host: "h", Port: 5432, DBName: "app", User: "u", Password: secret},
		"a libpq keyword":         {Name: "app", Host: "h", Port: 5432, DBName: "app", Extra: map[string]string{"sslmode": "require"}},
		"quote in the name":       {Name: "a'b", Host: "h", Port: 5432, DBName: "app"},
		"the admin console":       {Name: "pgbouncer", Host: "h", Port: 5432, DBName: "app"},
	} {
		err := core.WriteBouncerEntry(path, bad)
		if err == nil || strings.Contains(err.Error(), "secret") {
			t.Errorf("%s: %v", name, err)
		}
	}
	if entries, err := core.ReadBouncerFile(path); err != nil || len(entries) != 1 || entries[0].Password != "p" {
		t.Fatalf("after the refusals: %+v %v", entries, err)
	}
}

// An entry made from a DSN carries host, port and database, and the user and password only
// when forced; a DSN with several hosts is refused (PgBouncer would take turns between them).
func TestBouncerEntryFor(t *testing.T) {
	t.Parallel()
	dsn := core.MustParseDSN("postgres://app:pw@db.example.com:6543/orders?sslmode=require")
	e, err := core.BouncerEntryFor("orders", dsn, false)
	if err != nil || e.Host != "db.example.com" || e.Port != 6543 || e.DBName != "orders" || e.User != "" || e.Password != "" {
		t.Fatalf("%+v %v", e, err)
	}
	if e, err = core.BouncerEntryFor("orders", dsn, true); err != nil || e.User != "app" || e.Password != "pw" {
		t.Fatalf("forced: %+v %v", e, err)
	}
	if strings.Contains(e.String(), "pw") {
		t.Fatalf("String shows the password: %s", e)
	}
	if _, err := core.BouncerEntryFor("orders", core.MustParseDSN("host=a,b dbname=orders user=app"), false); err == nil {
		t.Fatal("a multi-host DSN was accepted")
	}
}
