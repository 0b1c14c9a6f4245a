package action_test

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rhysd/actionlint"
)

// ownAction is how the examples refer to this Action, ready to copy; the lint points the
// reference at the repository root so that actionlint checks every step against action.yml.
var ownAction = regexp.MustCompile(`(?m)^(\s*(?:-\s+)?uses:\s*)pghandoff/pghandoff@\S+`)

// lint runs actionlint on one workflow as a library, with the repository as its project.
func lint(t *testing.T, path string, content []byte) []*actionlint.Error {
	t.Helper()
	root := repoRoot(t)
	project, err := actionlint.NewProject(root)
	if err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	linter, err := actionlint.NewLinter(&log, &actionlint.LinterOptions{WorkingDir: root, Oneline: true, Shellcheck: shellcheck(t)})
	if err != nil {
		t.Fatal(err)
	}
	local := ownAction.ReplaceAll(content, []byte("${1}./"))
	errs, err := linter.Lint(path, local, project)
	if err != nil {
		t.Fatalf("lint %s: %v", path, err)
	}
	return errs
}

// Every example workflow passes actionlint, its pghandoff steps checked against action.yml:
// no unknown input, no missing required input, no undefined output.
func TestExamplesLint(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join(repoRoot(t), "examples", "*.y*ml"))
	if err != nil {
		t.Fatal(err)
	}
	linted := 0
	for _, path := range paths {
		content, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !regexp.MustCompile(`(?m)^jobs:`).Match(content) {
			continue // not a workflow (the bot's configuration, say)
		}
		linted++
		if !ownAction.Match(content) {
			t.Errorf("%s uses no pghandoff step", path)
		}
		for _, e := range lint(t, path, content) {
			t.Errorf("%s", e)
		}
	}
	if linted < 4 {
		t.Fatalf("linted %d example workflows, want setup, status, cutover and teardown", linted)
	}
}

// The lint does catch what it is for: a misspelt input, a missing required input, an
// output action.yml does not declare, and (through shellcheck) an unquoted variable.
func TestExamplesLintCatchesMistakes(t *testing.T) {
	bad := []byte(`on: push
jobs:
  j:
    runs-on: ubuntu-latest
    steps:
      - id: s
        uses: pghandoff/pghandoff@v1
        with:
          max_lag: 1MB
      - run: echo "${{ steps.s.outputs.lag_bytes }}"
      - run: cp $SRC dst
`)
	var msgs []string
	for _, e := range lint(t, "bad.yml", bad) {
		msgs = append(msgs, e.Message)
	}
	all := strings.Join(msgs, "\n")
	for _, want := range []string{`"max_lag" is not defined`, `missing input "command"`, `property "lag_bytes" is not defined`, "SC2086"} {
		if !strings.Contains(all, want) {
			t.Errorf("actionlint did not report %s; it said:\n%s", want, all)
		}
	}
}
