package action

import (
	"fmt"
	"strconv"

	"github.com/pghandoff/pghandoff/core"
)

// roleSetup says what setup does about a role, as the summary's table shows it.
var roleSetup = map[string]string{
	core.RoleCarry:     iconOK + " privileges carried",
	core.RoleCreate:    iconOK + " created, privileges carried",
	core.RoleSkip:      iconNotice + " missing: privileges not carried",
	core.RoleSuperuser: "superuser: needs no grant",
	core.RoleNone:      iconNotice + " nothing carried (no-privileges)",
}

// rolesTable lists the roles preflight or setup found on the old primary, and what became
// of each on the new one.
func rolesTable(roles []core.MigratedRole) string {
	rows := make([][]string, len(roles))
	for i, r := range roles {
		name := code(r.Role)
		if r.OnReplica != r.Role {
			name += " → " + code(r.OnReplica)
		}
		if r.Application {
			name += " (application)"
		}
		login := "missing"
		if r.Exists {
			login = boolText(r.CanLogin)
		}
		rows[i] = []string{name, strconv.Itoa(r.Owns), strconv.Itoa(r.Privileges), login, roleSetup[r.Setup]}
	}
	return table([]string{"Role", "Owns", "Privileges on", "Logs in to the new primary", "Setup"}, rows)
}

// privilegesSection adds verify's comparison of privileges to the summary.
func privilegesSection(out *outcome, p *core.PrivilegeCheck) {
	if p == nil {
		out.fact("Privileges", "not compared (setup did not carry them)")
		return
	}
	out.fact("Privileges compared", fmt.Sprintf("%d objects, %d differ", p.Objects, len(p.Differences)))
	if len(p.Differences) > 0 {
		lines := make([]string, len(p.Differences))
		for i, d := range p.Differences {
			lines[i] = d.String()
		}
		out.problems = append(out.problems, lines...)
		out.section("Privileges that differ on the new primary", bullets(lines))
	}
	if len(p.NotCompared) > 0 {
		out.fact("Roles the new primary lacks (not compared)", codes(p.NotCompared))
	}
}
