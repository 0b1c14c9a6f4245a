package bot

import (
	"fmt"
	"slices"
	"strings"
)

// command is what a person typed after /pghandoff, parsed. Nothing in it reaches SQL but
// ddl's statement, which is what ddl is for (the operate class only, after a confirmation):
// the migration is looked up in the config, flags are a closed set, and the other arguments
// are parsed into durations, cron specs or plain text shown back.
type command struct {
	Name      string   `json:"name"` // "status", "proxy create", ...
	Migration string   `json:"migration,omitempty"`
	Args      []string `json:"args,omitempty"` // positional arguments after the migration
	DryRun    bool     `json:"dry_run,omitempty"`
	Drop      bool     `json:"drop,omitempty"`
	Force     bool     `json:"force,omitempty"`
	Undo      bool     `json:"undo,omitempty"`
}

// String is the command as it would be typed.
func (c command) String() string {
	parts := []string{c.Name}
	if c.Migration != "" {
		parts = append(parts, c.Migration)
	}
	parts = append(parts, c.Args...)
	for _, f := range []struct {
		on   bool
		name string
	}{{c.Drop, "--drop"}, {c.Undo, "--undo"}, {c.Force, "--force"}, {c.DryRun, "--dry-run"}} {
		if f.on {
			parts = append(parts, f.name)
		}
	}
	return strings.Join(parts, " ")
}

// subcommands are the commands of two words.
var subcommands = map[string][]string{"proxy": {"create", "remove"}, "schema": {"diff", "sync"}}

// parseCommand splits the text into a command name, flags and positional arguments. The
// migration is resolved later, against the config.
func parseCommand(text string) (command, []string, error) {
	words := strings.Fields(text)
	if len(words) == 0 {
		return command{Name: "help"}, nil, nil
	}
	c := command{Name: strings.ToLower(words[0])}
	words = words[1:]
	if c.Name == "ddl" {
		return parseDDL(c, text)
	}
	for group, subs := range subcommands {
		if c.Name != group {
			continue
		}
		if len(words) == 0 || !slices.Contains(subs, words[0]) {
			return c, nil, fmt.Errorf("say `%s %s` or `%s %s`", group, subs[0], group, subs[1])
		}
		c.Name, words = group+" "+words[0], words[1:]
	}
	sp, ok := specs[c.Name]
	if !ok {
		return c, nil, fmt.Errorf("unknown command %q", c.Name)
	}
	var positional []string
	for _, w := range words {
		if !strings.HasPrefix(w, "--") {
			positional = append(positional, w)
			continue
		}
		if !slices.Contains(sp.flags, w) {
			return c, nil, fmt.Errorf("`%s` takes no %s flag: %s", c.Name, w, sp.usage)
		}
		switch w {
		case "--dry-run":
			c.DryRun = true
		case "--drop":
			c.Drop = true
		case "--force":
			c.Force = true
		case "--undo":
			c.Undo = true
		}
	}
	return c, positional, nil
}

// resolveMigration takes the migration from the first positional argument when it names
// one, or the only configured migration.
func (c *command) resolveMigration(sp *spec, positional []string, keys []string) error {
	if sp.migration == migNone {
		c.Args = positional
		return nil
	}
	if len(positional) > 0 && slices.Contains(keys, positional[0]) {
		c.Migration, c.Args = positional[0], positional[1:]
		if len(c.Args) > sp.maxArgs {
			return fmt.Errorf("too many arguments: %s", sp.usage)
		}
		return nil
	}
	if len(positional) > 0 && sp.maxArgs == 0 {
		return fmt.Errorf("no migration %q: the configured ones are %s", positional[0], strings.Join(keys, ", "))
	}
	switch {
	case len(keys) == 1 && sp.migration != migOptional:
		c.Migration = keys[0]
	case sp.migration == migRequired:
		return fmt.Errorf("which migration? %s (configured: %s)", sp.usage, strings.Join(keys, ", "))
	}
	c.Args = positional
	if len(c.Args) > sp.maxArgs {
		return fmt.Errorf("too many arguments: %s", sp.usage)
	}
	return nil
}
