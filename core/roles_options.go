package core

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// RoleOptions say what setup does with the primary's roles and privileges, and what
// preflight reports it would do.
type RoleOptions struct {
	// MapRoles names the application's roles, each "OLD" or "OLD=NEW": OLD as the primary
	// (and the proxy standing in for it) names the role, NEW as the replica does (OLD when
	// left out). Setup carries OLD's privileges to NEW and records the map; cutover, fence
	// and sequences check that every application role can log in to the replica and holds
	// there what it holds on the primary. ProxyCreate takes the same entries and maps OLD.
	MapRoles []string
	// CreateRoles creates the roles the replica lacks, with the attributes the primary
	// shows (and the password, where the primary lets it be read).
	CreateRoles bool
	// Owners gives each object the owner it has on the primary (mapped) where that role
	// exists on the replica. Off: the replica's user owns everything, and the primary's
	// owners get their privileges as grants.
	Owners bool
	// NoPrivileges carries nothing: no role, grant, default privilege or owner.
	NoPrivileges bool
}

// roleMap names the primary's roles on the replica: a role it does not list keeps its name.
type roleMap map[string]string

// onReplica is the replica's name for the primary's role.
func (rm roleMap) onReplica(role string) string {
	if n, ok := rm[role]; ok {
		return n
	}
	return role
}

// applicationRoles are the roles named with MapRoles: their names on the primary, and the map.
type applicationRoles struct {
	names []string // on the primary, in the order given
	rm    roleMap  // only the renamed ones
}

// parseMapRoles reads MapRoles entries. A role listed twice with two names is refused.
func parseMapRoles(entries []string) (applicationRoles, error) {
	app := applicationRoles{rm: roleMap{}}
	given := map[string]string{}
	for _, e := range entries {
		old, repl, renamed := strings.Cut(strings.TrimSpace(e), "=")
		old, repl = strings.TrimSpace(old), strings.TrimSpace(repl)
		if !renamed {
			repl = old
		}
		if old == "" || repl == "" {
			return app, &InvalidOptionError{Option: OptMapRole, Reason: fmt.Sprintf("%q: write a role as ROLE, or OLD=NEW when it has another name on the replica", e)}
		}
		if prev, seen := given[old]; seen && prev != repl {
			return app, &InvalidOptionError{Option: OptMapRole, Reason: fmt.Sprintf("role %s is given two names on the replica, %s and %s", old, prev, repl)}
		} else if !seen {
			app.names = append(app.names, old)
		}
		given[old] = repl
		if repl != old {
			app.rm[old] = repl
		}
	}
	return app, nil
}

// merge adds the roles an earlier setup recorded; a role it named otherwise is refused, so
// that privileges carried to one name are not carried to another behind the operator's back.
func (a applicationRoles) merge(names []string, recorded map[string]string) (applicationRoles, error) {
	out := applicationRoles{names: slices.Clone(a.names), rm: maps.Clone(a.rm)}
	for _, old := range names {
		repl := roleMap(recorded).onReplica(old)
		if slices.Contains(a.names, old) && a.rm.onReplica(old) != repl {
			return out, refused(remedy("give ", OptMapRole, " the name the earlier setup recorded, or ", CmdTeardown, " and set up again"),
				"role %s was mapped to %s on the replica by an earlier setup, not to %s", ident(old), ident(repl), ident(a.rm.onReplica(old)))
		}
		if !slices.Contains(out.names, old) {
			out.names = append(out.names, old)
		}
		if repl != old {
			out.rm[old] = repl
		}
	}
	return out, nil
}

// pairs are the application's roles as (primary, replica) names.
func (a applicationRoles) pairs() [][2]string {
	out := make([][2]string, len(a.names))
	for i, n := range a.names {
		out[i] = [2]string{n, a.rm.onReplica(n)}
	}
	return out
}
