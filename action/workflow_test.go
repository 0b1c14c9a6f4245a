package action

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pghandoff/pghandoff/internal/redact"
)

// A value holding go-githubactions' fixed delimiter, or lines that look like outputs, cannot
// forge another output: each value gets a delimiter of its own.
func TestOutputCannotForgeOthers(t *testing.T) {
	path := filepath.Join(t.TempDir(), "output")
	w := newWorkflow(func(k string) string {
		if k == "GITHUB_OUTPUT" {
			return path
		}
		return ""
	}, &bytes.Buffer{}, redact.New("***"))
	hostile := "x\n_GitHubActionsFileCommandDelimeter_\nready<<EOF\ntrue\nEOF\nstate=ready"
	w.setOutput("report", hostile)
	w.setOutput("ready", "false")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	got := readOutputs(t, string(b))
	if len(got) != 2 || got["report"] != hostile || got["ready"] != "false" {
		t.Fatalf("outputs %q from file:\n%s", got, b)
	}
}

// readOutputs reads heredoc outputs the way the runner does.
func readOutputs(t *testing.T, s string) map[string]string {
	out := map[string]string{}
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	for i := 0; i < len(lines); i++ {
		name, delim, ok := strings.Cut(lines[i], "<<")
		if !ok {
			t.Fatalf("line %q is not a heredoc", lines[i])
		}
		var v []string
		for i++; lines[i] != delim; i++ {
			v = append(v, lines[i])
		}
		out[name] = strings.Join(v, "\n")
	}
	return out
}

// No line the Action prints can start a workflow command, whatever a database put in it.
func TestSafeLine(t *testing.T) {
	for _, s := range []string{"::error::x", "  ::add-mask::y", "a\n::set-output name=x::1", "b\r\n  ::warning::z"} {
		got := safeLine(s)
		for _, line := range strings.Split(got, "\n") {
			if strings.HasPrefix(strings.TrimLeft(line, " \t"), "::") {
				t.Errorf("safeLine(%q) = %q starts a command", s, got)
			}
		}
		if strings.ContainsAny(got, "\r\n") {
			t.Errorf("safeLine(%q) = %q spans lines", s, got)
		}
	}
}

// Secrets are redacted from everything the Action writes itself, the longest first.
func TestRedactor(t *testing.T) {
	r := redact.New("***")
	r.Add("pass", "postgres://u:pass@h/db")
	if got := r.Redact("dsn postgres://u:pass@h/db and pass"); got != "dsn *** and ***" {
		t.Fatalf("got %q", got)
	}
}
