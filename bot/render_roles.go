package bot

import (
	"fmt"
	"strings"

	"github.com/pghandoff/pghandoff/core"
)

// writeRoles lists, after setup, the roles of the old primary and what became of each.
func writeRoles(b *strings.Builder, roles []core.MigratedRole, created []string) {
	for _, r := range roles {
		b.WriteString("\n• role " + r.String())
	}
	if len(created) > 0 {
		fmt.Fprintf(b, "\nCreated on the new primary: %s", strings.Join(created, ", "))
	}
}

// writePrivileges says, after verify, how the objects' privileges compare.
func writePrivileges(b *strings.Builder, p *core.PrivilegeCheck) {
	if p == nil {
		return
	}
	if len(p.Differences) == 0 {
		fmt.Fprintf(b, "\nPrivileges: the same on both servers (%d objects).", p.Objects)
	}
	for i, d := range p.Differences {
		if i == 20 {
			fmt.Fprintf(b, "\n… and %d more", len(p.Differences)-i)
			break
		}
		b.WriteString("\n• " + d.String())
	}
	if len(p.NotCompared) > 0 {
		fmt.Fprintf(b, "\nNot compared (the new primary lacks these roles): %s", strings.Join(p.NotCompared, ", "))
	}
}
