package core

import (
	"fmt"
	"strings"
)

// grantTargets name each kind of object as GRANT does.
var grantTargets = map[string]string{
	"database": "DATABASE", "schema": "SCHEMA", "table": "TABLE", "view": "TABLE", "materialized view": "TABLE",
	"foreign table": "TABLE", "column": "TABLE", "sequence": "SEQUENCE", "function": "ROUTINE", "procedure": "ROUTINE",
	"aggregate": "ROUTINE", "type": "TYPE", "domain": "DOMAIN",
}

// ownerTargets name each kind of object as ALTER ... OWNER TO does; the kinds it lacks keep
// their owner (a column's is its table's).
var ownerTargets = map[string]string{
	"schema": "SCHEMA", "table": "TABLE", "view": "VIEW", "materialized view": "MATERIALIZED VIEW",
	"foreign table": "FOREIGN TABLE", "sequence": "SEQUENCE", "function": "ROUTINE", "procedure": "ROUTINE",
	"aggregate": "ROUTINE", "type": "TYPE", "domain": "DOMAIN",
}

// granteeSQL is a grantee as GRANT writes it.
func granteeSQL(g string) string {
	if g == "" {
		return "PUBLIC"
	}
	return ident(g)
}

// statements are the GRANT and REVOKE statements that give the replica what d says it lacks
// and take away what it has too much of.
func (d *aclDiff) statements() []string {
	var prefix, target string
	privs := func(list []string) string { return strings.Join(list, ", ") }
	if d.def != nil {
		prefix = "ALTER DEFAULT PRIVILEGES FOR ROLE " + ident(d.def.role) + " "
		if d.def.schema != "" {
			prefix += "IN SCHEMA " + ident(d.def.schema) + " "
		}
		target = defaultObjects[d.def.objtype]
	} else {
		target = grantTargets[d.obj.kind] + " " + d.obj.name
		if d.obj.sub != "" {
			privs = func(list []string) string { return strings.Join(list, " ("+d.obj.sub+"), ") + " (" + d.obj.sub + ")" }
		}
	}
	g := granteeSQL(d.grantee)
	var out []string
	add := func(list []string, format string) {
		if len(list) > 0 {
			out = append(out, prefix+fmt.Sprintf(format, privs(list), target, g))
		}
	}
	add(d.grant, "GRANT %s ON %s TO %s")
	add(d.grantOption, "GRANT %s ON %s TO %s WITH GRANT OPTION")
	add(d.revokeOption, "REVOKE GRANT OPTION FOR %s ON %s FROM %s")
	add(d.revoke, "REVOKE %s ON %s FROM %s")
	return out
}

// ownerStatement gives the replica's object the owner role.
func ownerStatement(o *aclObject, role string) string {
	return fmt.Sprintf("ALTER %s %s OWNER TO %s", ownerTargets[o.kind], o.name, ident(role))
}

// PrivilegeDifference is what one grantee lacks, or has that the primary does not grant, on
// one object of the replica (or in one role's default privileges there).
type PrivilegeDifference struct {
	Object  string   `json:"object"`            // table "Shop"."Orders"; default privileges of role "app" in schema "Shop" on tables
	Grantee string   `json:"grantee"`           // the replica's name for the role, or PUBLIC
	Missing []string `json:"missing,omitempty"` // granted on the primary, not on the replica
	Extra   []string `json:"extra,omitempty"`   // granted on the replica, not on the primary
}

// difference is d as people read it.
func (d *aclDiff) difference() PrivilegeDifference {
	out := PrivilegeDifference{Grantee: granteeSQL(d.grantee)}
	if d.def != nil {
		out.Object = fmt.Sprintf("default privileges of role %s on %s", ident(d.def.role), strings.ToLower(defaultObjects[d.def.objtype]))
		if d.def.schema != "" {
			out.Object += " in schema " + ident(d.def.schema)
		}
	} else {
		out.Object = d.obj.String()
	}
	withOption := func(list []string) []string {
		out := make([]string, len(list))
		for i, p := range list {
			out[i] = p + " WITH GRANT OPTION"
		}
		return out
	}
	out.Missing = append(append(out.Missing, d.grant...), withOption(d.grantOption)...)
	out.Extra = append(append(out.Extra, d.revoke...), withOption(d.revokeOption)...)
	return out
}

// String is the difference in one line.
func (p PrivilegeDifference) String() string {
	var parts []string
	if len(p.Missing) > 0 {
		parts = append(parts, "lacks "+strings.Join(p.Missing, ", "))
	}
	if len(p.Extra) > 0 {
		parts = append(parts, "has "+strings.Join(p.Extra, ", ")+" that the primary does not grant")
	}
	return fmt.Sprintf("%s on %s: %s", p.Grantee, p.Object, strings.Join(parts, "; "))
}
