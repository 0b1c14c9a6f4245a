package core

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestParseMapRoles(t *testing.T) {
	app, err := parseMapRoles([]string{"app", " Old = New ", "app", "ro=ro"})
	if err != nil || !slices.Equal(app.names, []string{"app", "Old", "ro"}) || len(app.rm) != 1 || app.rm.onReplica("Old") != "New" || app.rm.onReplica("ro") != "ro" {
		t.Fatalf("parsed %+v, %v", app, err)
	}
	for _, bad := range [][]string{{"=x"}, {"x="}, {"a=b", "a=c"}, {"a", "a=b"}} {
		if _, err := parseMapRoles(bad); !errors.Is(err, ErrInvalidOption) {
			t.Errorf("%q: got %v, want an invalid option", bad, err)
		}
	}
	// A role an earlier setup mapped otherwise is refused; one it recorded is kept.
	merged, err := app.merge([]string{"app", "web"}, map[string]string{"web": "web2"})
	if err != nil || !slices.Equal(merged.names, []string{"app", "Old", "ro", "web"}) || merged.rm.onReplica("web") != "web2" {
		t.Fatalf("merged %+v, %v", merged, err)
	}
	if _, err := app.merge([]string{"Old"}, map[string]string{"Old": "Other"}); !errors.Is(err, ErrRefused) {
		t.Fatalf("a conflicting map: %v, want refused", err)
	}
}

// On a managed service pghandoff's user is no superuser: SUPERUSER, REPLICATION and
// BYPASSRLS are left out and said, not a failed setup; a password that cannot be read, or an
// md5 hash under another name, is said with the statement to set one; none is ever shown.
func TestRoleCreation(t *testing.T) {
	hash := "SCRAM-SHA-256$4096:c2FsdA==$c3RvcmVk:c2VydmVy"
	r := &roleInfo{name: "app", login: true, inherit: true, super: true, replication: true, bypassRLS: true, createDB: true,
		connLimit: 5, password: &hash}
	managed := replicaPowers{user: "admin", createRole: true}
	c := roleCreation(r, "app", managed, true)
	if c.sql != `CREATE ROLE "app" WITH LOGIN INHERIT CONNECTION LIMIT 5 PASSWORD '`+hash+`'` || strings.Contains(c.shown, hash) {
		t.Fatalf("statement %q shown %q", c.sql, c.shown)
	}
	if !slices.Equal(c.withoutAttr, []string{"SUPERUSER", "CREATEDB", "REPLICATION", "BYPASSRLS"}) || len(c.notes) != 1 {
		t.Fatalf("left out %v, notes %v", c.withoutAttr, c.notes)
	}
	if super := roleCreation(r, "app", replicaPowers{super: true}, true); !strings.Contains(super.sql, "SUPERUSER CREATEDB REPLICATION BYPASSRLS") || len(super.notes) != 0 {
		t.Fatalf("as a superuser: %q %v", super.sql, super.notes)
	}
	unread := roleCreation(r, "app", managed, false)
	if !unread.noPassword || strings.Contains(unread.sql, "PASSWORD") || !strings.Contains(strings.Join(unread.notes, " "), `ALTER ROLE "app" PASSWORD`) {
		t.Fatalf("unreadable password: %q %v", unread.sql, unread.notes)
	}
	md5 := "md5" + strings.Repeat("0", 32)
	r.password = &md5
	if renamed := roleCreation(r, "app2", managed, true); !renamed.noPassword || strings.Contains(renamed.sql, md5) {
		t.Fatalf("md5 under another name: %q", renamed.sql)
	}
}

func TestPrivilegeStatements(t *testing.T) {
	want := acl{{"app", "SELECT"}: false, {"app", "INSERT"}: true, {"", "EXECUTE"}: false}
	have := acl{{"app", "SELECT"}: true, {"app", "DELETE"}: false}
	diffs := diffACLs(want, have, false)
	col := &aclObject{kind: "column", name: `"Shop"."T"`, sub: `"qty"`}
	var got []string
	for _, g := range []string{"", "app"} {
		diffs[g].obj = col
		got = append(got, diffs[g].statements()...)
	}
	exp := []string{
		`GRANT EXECUTE ("qty") ON TABLE "Shop"."T" TO PUBLIC`,
		`GRANT INSERT ("qty") ON TABLE "Shop"."T" TO "app" WITH GRANT OPTION`,
		`REVOKE GRANT OPTION FOR SELECT ("qty") ON TABLE "Shop"."T" FROM "app"`,
		`REVOKE DELETE ("qty") ON TABLE "Shop"."T" FROM "app"`,
	}
	if !slices.Equal(got, exp) {
		t.Fatalf("statements:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(exp, "\n"))
	}
	def := &aclDiff{def: &defaultKey{role: "Owner", schema: "Shop", objtype: "r"}, grantee: "ro", grant: []string{"SELECT"}}
	if s := def.statements(); len(s) != 1 || s[0] != `ALTER DEFAULT PRIVILEGES FOR ROLE "Owner" IN SCHEMA "Shop" GRANT SELECT ON TABLES TO "ro"` {
		t.Fatalf("default privileges: %v", s)
	}
	if d := def.difference(); d.String() != `"ro" on default privileges of role "Owner" on tables in schema "Shop": lacks SELECT` {
		t.Fatalf("difference: %s", d)
	}
	// The database's grants are added, never taken away.
	if only := diffACLs(acl{}, acl{{"app", "CREATE"}: false}, true); len(only) != 0 {
		t.Fatalf("database: %+v", only)
	}
}
