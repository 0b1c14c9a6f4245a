package action

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pghandoff/pghandoff/core"
)

// actionSpeller says core's remedies in a workflow author's words: an option is the input of
// that name (a boolean one as `name: true`), a command is a step's `command:`. Core names its
// options as the Action names its inputs; TestSpellerCoversCore holds the two together.
type actionSpeller struct{}

var _ core.Speller = actionSpeller{}

// boolInputs are the inputs that are switches.
var boolInputs = []string{inReplicaIdentityFull, inFailsafe, inDrop, inYes, inDryRun, inUndo, inForce, inCreateRoles, inOwners, inNoPrivileges}

func (actionSpeller) Option(o core.Option) string {
	name := string(o)
	switch {
	case o == core.OptPgDump:
		return "a newer pg_dump (the Action's image brings its own: use a newer release of the Action)"
	case slices.Contains(boolInputs, name):
		return fmt.Sprintf("`%s: true`", name)
	}
	return fmt.Sprintf("input `%s`", name)
}

func (s actionSpeller) Invocation(inv core.Invocation) string {
	step := fmt.Sprintf("a step with `command: %s`", strings.ReplaceAll(string(inv.Command), " ", "-"))
	for i, o := range inv.With {
		if i == 0 {
			step += " and "
		} else {
			step += ", "
		}
		step += s.Option(o)
	}
	return step
}

// hint is err's remedy in the Action's words, or "".
func hint(err error) string { return core.Hint(err).Render(actionSpeller{}) }
