package main

import (
	"io"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/pghandoff/pghandoff/core"
)

// Every option core's remedies can name is a flag of some command, and every command they can
// name is a command of this CLI: a remedy never sends a user to a flag that does not exist.
func TestSpellerFlagsExist(t *testing.T) {
	a := &app{stdout: io.Discard, stderr: io.Discard, getenv: func(string) string { return "" }}
	root := a.rootCommand()
	flags := map[string]bool{}
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		c.Flags().VisitAll(func(f *pflag.Flag) { flags["--"+f.Name] = true })
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	for _, o := range core.Options() {
		if spelled := (cliSpeller{}).Option(o); !flags[spelled] {
			t.Errorf("core option %q is spelled %s, which no command has", o, spelled)
		}
	}
	for _, c := range core.Commands() {
		words := strings.Fields(string(c))
		if found, _, err := root.Find(words); err != nil || found.Name() != words[len(words)-1] {
			t.Errorf("core command %q is not a command of the CLI", c)
		}
	}
}

func TestSpellerInvocation(t *testing.T) {
	got := core.Run(core.CmdProxyRemove, core.OptPrimary, core.OptReplica)
	if s := (cliSpeller{}).Invocation(got); s != "pghandoff proxy remove --primary --replica" {
		t.Fatalf("invocation spelled %q", s)
	}
}
