package action

import (
	"os"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/pghandoff/pghandoff/core"
)

// action.yml shows pghandoff's own defaults: each input's default is the one core applies,
// written as inputDefaults writes it, and parses back to core's value.
func TestActionDefaultsAreCore(t *testing.T) {
	b, err := os.ReadFile("../action.yml")
	if err != nil {
		t.Fatal(err)
	}
	var meta struct {
		Inputs map[string]struct {
			Default *string `yaml:"default"`
		} `yaml:"inputs"`
	}
	if err := yaml.Unmarshal(b, &meta); err != nil {
		t.Fatal(err)
	}
	for name, in := range meta.Inputs {
		want, hasDefault := inputDefaults[name]
		switch {
		case in.Default == nil && hasDefault:
			t.Errorf("input %s: action.yml shows no default; core's is %s", name, want)
		case in.Default != nil && !hasDefault:
			t.Errorf("input %s: action.yml shows default %q, which core does not have", name, *in.Default)
		case in.Default != nil && *in.Default != want:
			t.Errorf("input %s: action.yml shows default %q, core's is %q", name, *in.Default, want)
		}
	}
	// And each default, read as the Action reads the input, is core's value.
	p := &params{}
	for name, v := range inputDefaults {
		if name == inName {
			continue
		}
		if err := p.set(name, v); err != nil {
			t.Errorf("default of %s: %v", name, err)
		}
	}
	for _, c := range []struct {
		name      string
		got, want any
	}{
		{inMaxLag, p.maxLag, core.DefaultMaxLag},
		{inTimeout, p.timeout, core.DefaultWaitTimeout},
		{inInterval, p.interval, core.DefaultWaitInterval},
		{inMaxPause, p.maxPause, core.DefaultMaxPause},
		{inPauseLockTimeout, p.pauseLockTimeout, core.DefaultPauseLockTimeout},
		{inMargin, p.margin, core.DefaultMargin},
		{inSkip, p.skip, core.DefaultSkip},
		{inWindow, p.window, core.DefaultWindow},
		{inLockTimeout, p.timeouts.Lock, core.DefaultLockTimeout},
		{inStatementTimeout, p.timeouts.Statement, core.DefaultStatementTimeout},
	} {
		if c.got != c.want {
			t.Errorf("default of %s reads as %v, core's is %v", c.name, c.got, c.want)
		}
	}
	if inputDefaults[inName] != core.DefaultName {
		t.Errorf("default name %q, core's %q", inputDefaults[inName], core.DefaultName)
	}
}
