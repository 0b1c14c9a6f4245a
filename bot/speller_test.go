package bot

import (
	"errors"
	"strings"
	"testing"

	"github.com/pghandoff/pghandoff/core"
)

// The bot spells every option and command core's remedies can name, and never as a CLI flag
// unless it is a word of the slash command itself.
func TestSpellerCoversCore(t *testing.T) {
	s := botSpeller{migration: "orders"}
	for _, o := range core.Options() {
		_, word := optionWords[o]
		_, fixed := fixedOptions[o]
		_, key := configKeys[o]
		if !word && !fixed && !key {
			t.Errorf("core option %q has no spelling in the bot", o)
		}
		if spelled := s.Option(o); strings.Contains(spelled, "--") && !word {
			t.Errorf("core option %q spelled %q: a CLI flag", o, spelled)
		}
	}
	for _, c := range core.Commands() {
		if specs[string(c)] == nil {
			t.Errorf("core command %q is not a command of the bot", c)
		}
	}
	if got := s.Option(core.OptName); got != "`migrations.orders.name` in the bot's config" {
		t.Errorf("name spelled %q", got)
	}
	if got := s.Invocation(core.Run(core.CmdCutover, core.OptFailsafe)); got != "`/pghandoff cutover orders` with `migrations.orders.cutover.failsafe: true` in the bot's config" {
		t.Errorf("cutover --failsafe spelled %q", got)
	}
	if got := hint(command{Migration: "orders"}, errors.New("no remedy")); got != "" {
		t.Errorf("an error without a remedy has hint %q", got)
	}
}
