package action

import (
	"strings"
	"testing"
)

// A command whose core operation is not in the build is refused, never pretended; the CLI's
// spelling with a space is accepted.
func TestLookupCommand(t *testing.T) {
	commands["later"] = &command{name: "later", needs: []string{inPrimary}}
	defer delete(commands, "later")
	if _, err := lookupCommand("later"); err == nil || !strings.Contains(err.Error(), "not available") {
		t.Errorf("a command without its operation: %v", err)
	}
	if c, err := lookupCommand(" Setup "); err != nil || c.name != "setup" {
		t.Errorf("Setup: %v", err)
	}
	if c, err := lookupCommand("proxy create"); err != nil || c.name != "proxy-create" {
		t.Errorf("proxy create: %v", err)
	}
	for name, c := range commands {
		if c.run == nil && name != "later" {
			t.Errorf("%s has no operation", name)
		}
	}
}
