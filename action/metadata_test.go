package action

import (
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"testing"

	"github.com/rhysd/actionlint"
)

// action.yml, read by actionlint's own parser, declares exactly the inputs and outputs this
// package reads and writes, and runs the image with `action`.
func TestActionMetadata(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	project, err := actionlint.NewProject(root)
	if err != nil {
		t.Fatal(err)
	}
	meta, _, err := actionlint.NewLocalActionsCache(project, nil).FindMetadata("./")
	if err != nil || meta == nil {
		t.Fatalf("read action.yml: %v", err)
	}
	var inputs, outputs []string
	for name, in := range meta.Inputs {
		inputs = append(inputs, name)
		if in.Required != (name == inCommand) {
			t.Errorf("input %s: required %t; only command is required (the others depend on the command, and the Action checks them)", name, in.Required)
		}
	}
	for name := range meta.Outputs {
		outputs = append(outputs, name)
	}
	sameSet(t, "inputs", inputs, allInputs)
	sameSet(t, "outputs", outputs, allOutputs)
	// The published image of a release (see scripts/action-image.sh and the release workflow).
	if r := meta.Runs; r.Using != "docker" || !publishedImage.MatchString(r.Image) || fmt.Sprint(r.Args) != "[action]" {
		t.Errorf("runs: %+v, want docker, docker://ghcr.io/pghandoff/pghandoff:vX.Y.Z, args [action]", r)
	}
	if meta.Branding.Icon == "" || meta.Branding.Color == "" || meta.Description == "" {
		t.Errorf("branding or description missing: %+v", meta.Branding)
	}
}

var publishedImage = regexp.MustCompile(`^docker://ghcr\.io/pghandoff/pghandoff:v[0-9]+\.[0-9]+\.[0-9]+$`)

// Every input a command reads is declared, and so is every DSN it needs.
func TestCommandInputsDeclared(t *testing.T) {
	for _, c := range commands {
		for _, in := range append(append([]string{}, c.needs...), c.inputs...) {
			if !slices.Contains(allInputs, in) {
				t.Errorf("%s reads undeclared input %s", c.name, in)
			}
		}
		if len(c.needs) == 0 {
			t.Errorf("%s needs no server", c.name)
		}
	}
}

func sameSet(t *testing.T, what string, got, want []string) {
	t.Helper()
	got, want = append([]string{}, got...), append([]string{}, want...)
	sort.Strings(got)
	sort.Strings(want)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("action.yml %s %v, the package's %v", what, got, want)
	}
}
