package bot

import (
	"strings"
	"testing"

	"github.com/pghandoff/pghandoff/core"
)

func TestParseCommands(t *testing.T) {
	keys := []string{"billing", "orders"}
	cases := []struct {
		text    string
		want    string // command.String(), or the error's start
		class   class
		destroy bool
	}{
		{"status", "status", classRead, false},
		{"status orders", "status orders", classRead, false},
		{"Setup orders --dry-run", "setup orders --dry-run", classOperate, false},
		{"proxy create orders", "proxy create orders", classOperate, false},
		{"cutover orders", "cutover orders", classDestroy, true},
		{"cutover orders --dry-run", "cutover orders --dry-run", classOperate, false},
		{"teardown orders", "teardown orders", classOperate, false},
		{"teardown orders --drop", "teardown orders --drop", classDestroy, true},
		{"fence orders --undo", "fence orders --undo", classDestroy, true},
		{"report orders */15 * * * *", "report orders */15 * * * *", classOperate, false},
		{"report orders now", "report orders now", classRead, false},
		{"unlock orders --force", "unlock orders --force", classDestroy, false},
		{"setup", "which migration?", 0, false},
		{"setup nope", `no migration "nope"`, 0, false},
		{"setup orders --drop", "`setup` takes no --drop flag", 0, false},
		{"proxy", "say `proxy create`", 0, false},
		{"drop table users", `unknown command "drop"`, 0, false},
		{"status orders; DROP TABLE x", `no migration "orders;"`, 0, false},
		{"status orders DROP TABLE x", "too many arguments", 0, false},
	}
	for _, c := range cases {
		cmd, pos, err := parseCommand(c.text)
		if err == nil {
			err = cmd.resolveMigration(specs[cmd.Name], pos, keys)
		}
		if err != nil {
			if !strings.HasPrefix(err.Error(), c.want) {
				t.Errorf("%q: error %q, want %q", c.text, err, c.want)
			}
			continue
		}
		sp := specs[cmd.Name]
		if cmd.String() != c.want || sp.classOf(cmd) != c.class || sp.destructive(cmd) != c.destroy {
			t.Errorf("%q: got %q class %s destructive %v", c.text, cmd, sp.classOf(cmd), sp.destructive(cmd))
		}
	}
	// With one migration configured, it is the default.
	cmd, pos, _ := parseCommand("wait 10m")
	if err := cmd.resolveMigration(specs["wait"], pos, []string{"orders"}); err != nil || cmd.Migration != "orders" || cmd.Args[0] != "10m" {
		t.Fatalf("default migration: %+v %v", cmd, err)
	}
}

func TestRendering(t *testing.T) {
	if got := sparkline([]sample{{LagBytes: ptr(int64(0))}, {LagBytes: ptr(int64(50))}, {LagBytes: ptr(int64(100))}}); got != "▁▅█" {
		t.Errorf("sparkline %q", got)
	}
	if got := core.FormatBytes(5 << 20); got != "5.0 MiB" {
		t.Errorf("humanBytes %q", got)
	}
}

func ptr[T any](v T) *T { return &v }
