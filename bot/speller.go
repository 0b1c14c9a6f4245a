package bot

import (
	"fmt"

	"github.com/pghandoff/pghandoff/core"
)

// botSpeller says core's remedies in a Slack user's words: most options are keys of the
// migration's entry in the bot's configuration (which only its operators edit), a few are
// words of the slash command; a command is the slash command to type. TestSpellerCoversCore
// checks that it spells every option and command core has.
type botSpeller struct {
	migration string // the migration's key in the config, as typed in Slack
}

var _ core.Speller = botSpeller{}

// optionWords are the options Slack users give as words of the command itself.
var optionWords = map[core.Option]string{
	core.OptDryRun: "--dry-run", core.OptDrop: "--drop", core.OptUndo: "--undo", core.OptForce: "--force",
}

// configKeys are the options set in the migration's entry of the config, by their key below
// `migrations.<key>`; global ones start with a dot.
var configKeys = map[core.Option]string{
	core.OptName: "name", core.OptPrimary: "primary", core.OptReplica: "replica", core.OptProxy: "proxy",
	core.OptPrimaryForReplica: "primary_for_replica", core.OptReplicaForPrimary: "replica_for_primary",
	core.OptSchemas: "setup.schemas", core.OptExcludeTables: "setup.exclude_tables",
	core.OptReplicaIdentityFull: "setup.replica_identity_full", core.OptFailsafe: "cutover.failsafe",
	core.OptMaxPause: "cutover.max_pause", core.OptMargin: "cutover.margin", core.OptMapRole: "cutover.map_roles",
	core.OptRole: "cutover.fence_roles", core.OptMaxLag: "max_lag_bytes", core.OptPgDump: ".pg_dump",
	core.OptConnections: "connections", core.OptSyncWorkers: "setup.sync_workers",
	core.OptCreateRoles: "setup.create_roles", core.OptOwners: "setup.owners", core.OptNoPrivileges: "setup.no_privileges",
	core.OptPgBouncer: "pgbouncer.admin", core.OptPgBouncerConfig: "pgbouncer.config", core.OptPgBouncerDatabase: "pgbouncer.database",
	core.OptJobs: "jobs", core.OptIndexesFirst: "setup.indexes_first",
	core.OptCopyByWorkers: "setup.copy_by_workers",
}

// boolKeys are the config keys that are switches.
var boolKeys = map[core.Option]bool{core.OptReplicaIdentityFull: true, core.OptFailsafe: true,
	core.OptCreateRoles: true, core.OptOwners: true, core.OptNoPrivileges: true, core.OptIndexesFirst: true,
	core.OptCopyByWorkers: true}

// fixedOptions are the options the bot does not let anyone set: it uses core's defaults.
var fixedOptions = map[core.Option]string{
	core.OptYes:              "the confirmation button",
	core.OptTimeout:          "the timeout word of `wait` (e.g. `wait <migration> 2h`)",
	core.OptPauseLockTimeout: "the pause's lock timeout (the bot uses the default; the CLI can set it)",
	core.OptInterval:         "the time between checks (the bot uses its own)",
	core.OptLockTimeout:      "the DDL lock timeout (the bot uses the default; the CLI can set it)",
	core.OptStatementTimeout: "the statement timeout (the bot uses the default; the CLI can set it)",
	core.OptSkip:             "the sequences skip (the bot uses the default; the CLI can set it)",
	core.OptWindow:           "the sequences window (the bot uses the default; the CLI can set it)",
}

func (s botSpeller) Option(o core.Option) string {
	if w, ok := optionWords[o]; ok {
		return "`" + w + "`"
	}
	if f, ok := fixedOptions[o]; ok {
		return f
	}
	key, ok := configKeys[o]
	if !ok {
		return string(o)
	}
	if key[0] == '.' {
		key = key[1:]
	} else {
		key = "migrations." + s.migrationKey() + "." + key
	}
	if boolKeys[o] {
		return fmt.Sprintf("`%s: true` in the bot's config", key)
	}
	return fmt.Sprintf("`%s` in the bot's config", key)
}

func (s botSpeller) Invocation(inv core.Invocation) string {
	cmd := "`/pghandoff " + string(inv.Command) + " " + s.migrationKey()
	var settings []string
	for _, o := range inv.With {
		if w, ok := optionWords[o]; ok {
			cmd += " " + w
		} else if _, fixed := fixedOptions[o]; !fixed {
			settings = append(settings, s.Option(o))
		}
	}
	cmd += "`"
	for i, set := range settings {
		if i == 0 {
			cmd += " with "
		} else {
			cmd += " and "
		}
		cmd += set
	}
	return cmd
}

func (s botSpeller) migrationKey() string {
	if s.migration == "" {
		return "<migration>"
	}
	return s.migration
}

// hint is err's remedy in a Slack user's words, for the migration the command named.
func hint(c command, err error) string {
	return core.Hint(err).Render(botSpeller{migration: c.Migration})
}
