package main

import (
	"strings"

	"github.com/pghandoff/pghandoff/core"
)

// cliSpeller says core's remedies in this CLI's words: an option is the flag of that name,
// a command is the command line to type. Core names its options as these flags name them;
// TestSpellerFlagsExist holds the two together.
type cliSpeller struct{}

var _ core.Speller = cliSpeller{}

func (cliSpeller) Option(o core.Option) string { return "--" + string(o) }

func (s cliSpeller) Invocation(inv core.Invocation) string {
	words := []string{"pghandoff", string(inv.Command)}
	for _, o := range inv.With {
		words = append(words, s.Option(o))
	}
	return strings.Join(words, " ")
}

// hint is err's remedy in this CLI's words, or "".
func hint(err error) string { return core.Hint(err).Render(cliSpeller{}) }
