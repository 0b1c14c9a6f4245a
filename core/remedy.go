package core

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Option is an option of pghandoff's operations, as a remedy or an error names it. Core never
// spells it: the CLI says --exclude-tables, the Action says input exclude-tables, the bot
// names the setup.exclude_tables key of its configuration. Each front end has a Speller, and
// a test that it spells every Option.
type Option string

// The options remedies and errors refer to. The value is the option's name in pghandoff's
// vocabulary (the CLI's flag and the Action's input), for plain text and JSON.
const (
	OptName                Option = "name"
	OptPrimary             Option = "primary"
	OptReplica             Option = "replica"
	OptProxy               Option = "proxy"
	OptPrimaryForReplica   Option = "primary-for-replica"
	OptReplicaForPrimary   Option = "replica-for-primary"
	OptSchemas             Option = "schemas"
	OptExcludeTables       Option = "exclude-tables"
	OptReplicaIdentityFull Option = "replica-identity-full"
	OptPgDump              Option = "pg-dump"
	OptDryRun              Option = "dry-run"
	OptDrop                Option = "drop"
	OptYes                 Option = "yes"
	OptUndo                Option = "undo"
	OptFailsafe            Option = "failsafe"
	OptMaxPause            Option = "max-pause"
	OptPauseLockTimeout    Option = "pause-lock-timeout"
	OptMaxLag              Option = "max-lag"
	OptMargin              Option = "margin"
	OptSkip                Option = "skip"
	OptWindow              Option = "window"
	OptTimeout             Option = "timeout"
	OptInterval            Option = "interval"
	OptLockTimeout         Option = "lock-timeout"
	OptStatementTimeout    Option = "statement-timeout"
	OptMapRole             Option = "map-role"
	OptRole                Option = "role"
	OptForce               Option = "force"
	OptConnections         Option = "connections"
	OptCreateRoles         Option = "create-roles"
	OptOwners              Option = "owners"
	OptNoPrivileges        Option = "no-privileges"
	OptPgBouncer           Option = "pgbouncer"
	OptPgBouncerConfig     Option = "pgbouncer-config"
	OptPgBouncerDatabase   Option = "pgbouncer-database"
	OptIndexesFirst        Option = "indexes-first"
	OptJobs                Option = "jobs"
	OptSyncWorkers         Option = "sync-workers"
	OptCopyByWorkers       Option = "copy-by-workers"
)

// Options lists every Option, so that a front end can check it spells each one.
func Options() []Option {
	return []Option{OptName, OptPrimary, OptReplica, OptProxy, OptPrimaryForReplica, OptReplicaForPrimary, OptSchemas, OptExcludeTables,
		OptReplicaIdentityFull, OptPgDump, OptDryRun, OptDrop, OptYes, OptUndo, OptFailsafe,
		OptMaxPause, OptPauseLockTimeout, OptMaxLag, OptMargin, OptSkip, OptWindow, OptTimeout,
		OptInterval, OptLockTimeout, OptStatementTimeout, OptMapRole, OptRole, OptForce, OptConnections,
		OptCreateRoles, OptOwners, OptNoPrivileges, OptPgBouncer, OptPgBouncerConfig, OptPgBouncerDatabase,
		OptIndexesFirst, OptJobs, OptSyncWorkers, OptCopyByWorkers}
}

// Command is an operation a remedy tells the user to run.
type Command string

// The operations remedies name, by their names in every front end.
const (
	CmdPreflight   Command = "preflight"
	CmdSetup       Command = "setup"
	CmdStatus      Command = "status"
	CmdWait        Command = "wait"
	CmdVerify      Command = "verify"
	CmdTeardown    Command = "teardown"
	CmdProxyCreate Command = "proxy create"
	CmdProxyRemove Command = "proxy remove"
	CmdCutover     Command = "cutover"
	CmdSequences   Command = "sequences"
	CmdFence       Command = "fence"
	CmdRollback    Command = "rollback"
	CmdSchemaDiff  Command = "schema diff"
	CmdSchemaSync  Command = "schema sync"
	CmdDDL         Command = "ddl"
)

// Commands lists every Command, so that a front end can check it spells each one.
func Commands() []Command {
	return []Command{CmdPreflight, CmdSetup, CmdStatus, CmdWait, CmdVerify, CmdTeardown,
		CmdProxyCreate, CmdProxyRemove, CmdCutover, CmdSequences, CmdFence, CmdRollback,
		CmdSchemaDiff, CmdSchemaSync, CmdDDL}
}

// Invocation is a command to run with some of its options set: "cutover with failsafe".
type Invocation struct {
	Command Command
	With    []Option
}

// Run names a command to run, with the options to set on it.
func Run(cmd Command, with ...Option) Invocation { return Invocation{Command: cmd, With: with} }

// Speller says options and invocations in a front end's words.
type Speller interface {
	Option(Option) string
	Invocation(Invocation) string
}

// Remedy is what the user should do next: words, with the options and commands it names
// kept as references, so that each front end says them its own way.
type Remedy struct {
	parts []any // string, Option or Invocation
}

// remedy builds a Remedy from text, Options and Invocations, in reading order.
func remedy(parts ...any) Remedy { return Remedy{parts: parts} }

// remedyf is a remedy of text alone.
func remedyf(format string, args ...any) Remedy { return remedy(fmt.Sprintf(format, args...)) }

// IsZero reports whether there is no remedy.
func (r Remedy) IsZero() bool { return len(r.parts) == 0 }

// Render says the remedy in a front end's words.
func (r Remedy) Render(s Speller) string {
	var b strings.Builder
	for _, p := range r.parts {
		switch p := p.(type) {
		case Option:
			b.WriteString(s.Option(p))
		case Invocation:
			b.WriteString(s.Invocation(p))
		case Command:
			b.WriteString(s.Invocation(Run(p)))
		default:
			fmt.Fprint(&b, p)
		}
	}
	return b.String()
}

// String says the remedy in plain words, for logs and JSON.
func (r Remedy) String() string { return r.Render(PlainSpeller{}) }

// MarshalJSON writes the remedy as plain text.
func (r Remedy) MarshalJSON() ([]byte, error) { return json.Marshal(r.String()) }

// UnmarshalJSON reads a remedy written as plain text, for readers of pghandoff's JSON.
func (r *Remedy) UnmarshalJSON(b []byte) error {
	var text string
	if err := json.Unmarshal(b, &text); err != nil {
		return err
	}
	*r = remedy(text)
	return nil
}

// PlainSpeller names options and commands by their names, for text no front end renders
// (logs, JSON).
type PlainSpeller struct{}

// Option is the option's name in quotes: the "failsafe" option.
func (PlainSpeller) Option(o Option) string { return fmt.Sprintf("the %q option", string(o)) }

// Invocation is the command, and the options it sets: cutover (with "failsafe").
func (PlainSpeller) Invocation(inv Invocation) string {
	if len(inv.With) == 0 {
		return string(inv.Command)
	}
	with := make([]string, len(inv.With))
	for i, o := range inv.With {
		with[i] = fmt.Sprintf("%q", string(o))
	}
	return fmt.Sprintf("%s (with %s)", inv.Command, strings.Join(with, ", "))
}
