package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/pghandoff/pghandoff/core"
)

// roleFlags say what setup does with the primary's roles and privileges (preflight takes
// them too, to say what setup would do).
type roleFlags struct {
	mapRoles                          string
	createRoles, owners, noPrivileges bool
}

// mapRoleHelp is --map-role's meaning, the same for setup, preflight and proxy create.
const mapRoleHelp = "the application's roles, comma-separated: ROLE, or OLD=NEW when the new primary names it NEW " +
	"(setup carries OLD's privileges to NEW; proxy create maps OLD; cutover checks each can log in to the new primary)"

func (f *roleFlags) addFlags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.mapRoles, "map-role", "", mapRoleHelp)
	cmd.Flags().BoolVar(&f.createRoles, "create-roles", false, "create the roles the replica lacks, with the primary's attributes and, where the primary lets it be read, password")
	cmd.Flags().BoolVar(&f.owners, "owners", false, "give the replica's objects the owners they have on the primary, where those roles exist")
	cmd.Flags().BoolVar(&f.noPrivileges, "no-privileges", false, "carry no privileges, owners or roles: the replica's objects belong to its user and grant nothing")
}

func (f *roleFlags) options() core.RoleOptions {
	return core.RoleOptions{MapRoles: splitList(f.mapRoles), CreateRoles: f.createRoles, Owners: f.owners, NoPrivileges: f.noPrivileges}
}

// renderRoles lists the roles setup or preflight found, and what became of them.
func renderRoles(w io.Writer, roles []core.MigratedRole) {
	lines := make([]string, len(roles))
	for i, r := range roles {
		lines[i] = r.String()
	}
	printList(w, "Roles", lines)
}

// renderPrivileges says how the objects' privileges compare, for verify.
func renderPrivileges(w io.Writer, p *core.PrivilegeCheck) {
	if p == nil {
		fmt.Fprintln(w, "Privileges: not compared (setup did not carry them)")
		return
	}
	if len(p.Differences) == 0 {
		fmt.Fprintf(w, "Privileges: the same on both servers, %d object(s) compared.\n", p.Objects)
	} else {
		lines := make([]string, len(p.Differences))
		for i, d := range p.Differences {
			lines[i] = d.String()
		}
		printList(w, fmt.Sprintf("PRIVILEGES DIFFER on the replica (%d of %d objects compared)", len(p.Differences), p.Objects), lines)
	}
	printList(w, "Roles the replica lacks (their privileges not compared)", p.NotCompared)
}
