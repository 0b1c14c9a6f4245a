package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// --version and the version command say which build runs and which pg_dump setup would use.
func TestVersion(t *testing.T) {
	c := &cli{t: t}
	flag, _ := c.expect(exitOK, "--version")
	cmd, _ := c.expect(exitOK, "version")
	for _, out := range []string{flag, cmd} {
		if !strings.HasPrefix(out, "pghandoff ") || !strings.Contains(out, "go1.") || !strings.Contains(out, "pg_dump (PostgreSQL) ") {
			t.Fatalf("version output lacks the version, Go or pg_dump:\n%s", out)
		}
	}
	if flag != cmd {
		t.Errorf("--version and version differ:\n%s\n---\n%s", flag, cmd)
	}
	out, _ := c.expect(exitOK, "version", "--json")
	var rep versionReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil || rep.Version == "" || rep.PgDump == "" || rep.PgDumpVersion == "" {
		t.Fatalf("version --json: %v\n%s", err, out)
	}
	c.expect(exitUsage, "version", "extra")
}

// A misspelt command is a usage error, exit 2, with a suggestion and without the whole help.
func TestUnknownCommand(t *testing.T) {
	c := &cli{t: t}
	_, stderr := c.expect(exitUsage, "stauts")
	if !strings.Contains(stderr, `unknown command "stauts" (did you mean status?)`) || strings.Contains(stderr, "Exit codes") {
		t.Fatalf("unknown command:\n%s", stderr)
	}
	_, stderr = c.expect(exitUsage, "frobnicate", "--primary", "x")
	if !strings.Contains(stderr, "unknown") {
		t.Fatalf("unknown command with a flag:\n%s", stderr)
	}
}

// Shell completion is on: cobra's completion command writes a script for each shell.
func TestCompletion(t *testing.T) {
	c := &cli{t: t}
	for shell, marker := range map[string]string{"bash": "__start_pghandoff", "zsh": "#compdef pghandoff", "fish": "complete -c pghandoff", "powershell": "Register-ArgumentCompleter"} {
		out, _ := c.expect(exitOK, "completion", shell)
		if !strings.Contains(out, marker) {
			t.Errorf("completion %s lacks %q", shell, marker)
		}
	}
	// Completion knows the commands.
	out, _ := c.expect(exitOK, "__complete", "cut")
	if !strings.Contains(out, "cutover") {
		t.Errorf("completing 'cut': %s", out)
	}
}
