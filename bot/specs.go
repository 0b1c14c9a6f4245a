package bot

import (
	"fmt"
	"strings"

	"github.com/pghandoff/pghandoff/internal/version"
)

// migArg says whether a command names a migration.
type migArg int

const (
	migNone     migArg = iota
	migOptional        // all migrations when omitted
	migRequired        // the only one when just one is configured
)

// spec describes a command: its class, arguments, and how it runs.
type spec struct {
	name      string
	usage     string
	help      string
	class     class
	migration migArg
	maxArgs   int
	flags     []string
	// long commands post a parent message, steps in its thread, the result broadcast;
	// the others answer the requester (or the channel, for state changes).
	long bool
}

// classOf is the class a particular invocation needs.
func (s *spec) classOf(c command) class {
	switch {
	case s.destructive(c):
		return classDestroy
	case c.DryRun && s.class > classOperate:
		return classOperate
	case c.Name == "unlock" && c.Force:
		return classDestroy
	case c.Name == "report" && len(c.Args) == 1 && c.Args[0] == "now":
		return classRead
	}
	return s.class
}

// destructive commands need a button confirmation, and cutover maybe a second person.
func (s *spec) destructive(c command) bool {
	if c.DryRun {
		return false
	}
	return c.Name == "cutover" || c.Name == "rollback" || c.Name == "fence" || (c.Name == "teardown" && c.Drop)
}

// confirms reports whether the command waits for a button click: the destructive ones, and
// a schema change, which runs what a person typed on three servers.
func (s *spec) confirms(c command) bool {
	return s.destructive(c) || (c.Name == "ddl" && !c.DryRun)
}

// changes reports whether the command changes a database or the bot's shared state, so that
// another person's `lock` refuses it.
func (s *spec) changes(c command) bool { return s.class >= classOperate && !c.DryRun && s.long }

var specList = []*spec{
	{name: "help", usage: "`help`", help: "this message", class: classRead},
	{name: "status", usage: "`status [migration]`", help: "replication state, lag, tables, slot safety (every migration when omitted)",
		class: classRead, migration: migOptional},
	{name: "preflight", usage: "`preflight <migration>`", help: "check both servers before setup", class: classRead, migration: migRequired, long: true},
	{name: "setup", usage: "`setup <migration> [--dry-run]`", help: "start replicating the primary into the replica",
		class: classOperate, migration: migRequired, flags: []string{"--dry-run"}, long: true},
	{name: "wait", usage: "`wait <migration> [timeout, e.g. 30m]`", help: "wait until replication has caught up",
		class: classOperate, migration: migRequired, maxArgs: 1, long: true},
	{name: "proxy create", usage: "`proxy create <migration> [--dry-run]`", help: "create the postgres_fdw proxy in front of the primary",
		class: classOperate, migration: migRequired, flags: []string{"--dry-run"}, long: true},
	{name: "cutover", usage: "`cutover <migration> [--dry-run]`", help: "pause writes, let the replica catch up, switch the proxy to it (confirmation; maybe a second approver)",
		class: classDestroy, migration: migRequired, flags: []string{"--dry-run"}, long: true},
	{name: "rollback", usage: "`rollback <migration> [--dry-run]`", help: "after a cutover with the failsafe: pause writes, let the old primary catch up, switch the proxy back to it (confirmation; maybe a second approver)",
		class: classDestroy, migration: migRequired, flags: []string{"--dry-run"}, long: true},
	{name: "sequences", usage: "`sequences <migration> [--dry-run]`", help: "move the replica's sequences past the primary's",
		class: classOperate, migration: migRequired, flags: []string{"--dry-run"}, long: true},
	{name: "fence", usage: "`fence <migration> [--undo] [--force] [--dry-run]`", help: "make the application's roles read-only on the old primary (confirmation)",
		class: classDestroy, migration: migRequired, flags: []string{"--undo", "--force", "--dry-run"}, long: true},
	{name: "verify", usage: "`verify <migration>`", help: "compare every table on both servers (counts and checksums)",
		class: classOperate, migration: migRequired, long: true},
	{name: "teardown", usage: "`teardown <migration> [--drop] [--dry-run]`", help: "remove replication; --drop also drops the replicated tables on the replica (confirmation)",
		class: classOperate, migration: migRequired, flags: []string{"--drop", "--dry-run"}, long: true},
	{name: "proxy remove", usage: "`proxy remove <migration> [--dry-run]`", help: "remove the proxy's helper objects",
		class: classOperate, migration: migRequired, flags: []string{"--dry-run"}, long: true},
	{name: "schema diff", usage: "`schema diff <migration>`", help: "every difference between the primary's schema and the replica's and the proxy's, with what to do",
		class: classRead, migration: migRequired, long: true},
	{name: "schema sync", usage: "`schema sync <migration> [--dry-run]`", help: "apply to the replica, then the proxy, the columns, tables, indexes and enum values the primary gained",
		class: classOperate, migration: migRequired, flags: []string{"--dry-run"}, long: true},
	{name: "ddl", usage: "`ddl <migration> [--dry-run] <SQL>`", help: "run a schema change on the replica, the primary and the proxy in the order it needs (confirmation)",
		class: classOperate, migration: migRequired, maxArgs: 1, flags: []string{"--dry-run"}, long: true},
	{name: "report", usage: "`report <migration> <cron>|off|now`", help: "schedule lag reports in this channel (e.g. `report orders 0 9 * * 1-5`), stop them, or post one now",
		class: classOperate, migration: migRequired, maxArgs: 7},
	{name: "lock", usage: "`lock <migration> [duration] [reason]`", help: "reserve a migration: others' changing commands are refused until unlock or expiry",
		class: classOperate, migration: migRequired, maxArgs: 30},
	{name: "unlock", usage: "`unlock <migration> [--force]`", help: "release your lock (--force: anyone's, destroy class, audited)",
		class: classOperate, migration: migRequired, flags: []string{"--force"}},
	{name: "who", usage: "`who [migration]`", help: "who holds the Slack lock and the operation lock, since when", class: classRead, migration: migOptional},
	{name: "audit", usage: "`audit [migration]`", help: "the last commands: who, what, when, result, link", class: classRead, migration: migOptional},
}

var specs = func() map[string]*spec {
	m := map[string]*spec{}
	for _, s := range specList {
		m[s.name] = s
	}
	return m
}()

// helpText lists every command.
func helpText(prefix string) string {
	var b strings.Builder
	if prefix != "" {
		b.WriteString(prefix + "\n\n")
	}
	b.WriteString("*pghandoff* moves a live PostgreSQL database with logical replication. Commands:\n")
	for _, s := range specList {
		fmt.Fprintf(&b, "• %s: %s\n", s.usage, s.help)
	}
	b.WriteString(defaultsText() + "\n")
	// Which build answers: what to quote in a bug report, and how to tell replicas apart.
	fmt.Fprintf(&b, "_pghandoff %s_\n", version.Get())
	return b.String()
}
