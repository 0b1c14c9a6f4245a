package action

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/pghandoff/pghandoff/core"
)

// Every option core's remedies can name is an input of the Action (pg_dump aside: the image
// brings its own), and remedies name inputs, never the CLI's flags.
func TestSpellerCoversCore(t *testing.T) {
	for _, o := range core.Options() {
		spelled := (actionSpeller{}).Option(o)
		if o != core.OptPgDump && !slices.Contains(allInputs, string(o)) {
			t.Errorf("core option %q is not an input of the Action", o)
		}
		if strings.Contains(spelled, "--") {
			t.Errorf("core option %q spelled %q, a CLI flag", o, spelled)
		}
	}
	for _, c := range core.Commands() {
		name := strings.ReplaceAll(string(c), " ", "-")
		if commands[name] == nil {
			t.Errorf("core command %q is not a command of the Action", c)
		}
	}
	err := &core.HintError{Err: errors.New("x"), Hint: core.Hint(nil)}
	if hint(err) != "" {
		t.Errorf("an empty remedy renders as %q", hint(err))
	}
	inv := (actionSpeller{}).Invocation(core.Run(core.CmdCutover, core.OptFailsafe))
	if inv != "a step with `command: cutover` and `failsafe: true`" {
		t.Errorf("invocation spelled %q", inv)
	}
}
