package action

import (
	"context"
	"slices"
	"sort"
	"strings"
)

// command is one migration step the Action can run.
type command struct {
	name   string
	needs  []string // the inputs it requires: connection strings, and role for fence
	inputs []string // the other inputs it reads (command and name always)
	// needsSwitch: it requires the proxy or PgBouncer, what the application goes through.
	needsSwitch bool
	// run calls core and renders its result. nil: the operation is not in this build yet,
	// and the Action refuses the command rather than pretend.
	run func(ctx context.Context, j *job) (*outcome, error)
}

func (c *command) uses(input string) bool {
	return input == inCommand || input == inName || input == inConnections || slices.Contains(c.needs, input) || slices.Contains(c.inputs, input)
}

var selection = []string{inSchemas, inExcludeTables, inReplicaIdentityFull}

// roleInputs say what setup does with the roles and privileges (preflight reports it).
var roleInputs = []string{inMapRole, inCreateRoles, inOwners, inNoPrivileges}

// switching are the inputs of a switch of traffic: cutover and rollback.
var switching = []string{inMaxLag, inMaxPause, inPauseLockTimeout, inMargin, inReplicaForPrimary}

// trafficSwitch are the inputs that say what the application goes through: the proxy, or
// PgBouncer.
var trafficSwitch = []string{inProxy, inPgBouncer, inPgBouncerConfig, inPgBouncerDatabase}

// execution are the inputs of every command that changes a server.
var execution = []string{inDryRun, inLockTimeout, inStatementTimeout}

func with(lists ...[]string) []string { return slices.Concat(lists...) }

// commands are every command of the Action, as the CLI names them.
var commands = map[string]*command{
	"preflight": {name: "preflight", needs: []string{inPrimary, inReplica},
		inputs: with(selection, roleInputs, []string{inPrimaryForReplica, inReplicaForPrimary, inIndexesFirst, inJobs, inCopyByWorkers}), run: runPreflight},
	"setup": {name: "setup", needs: []string{inPrimary, inReplica},
		inputs: with(execution, selection, roleInputs, []string{inPrimaryForReplica, inIndexesFirst, inSyncWorkers, inCopyByWorkers}), run: runSetup},
	"status": {name: "status", needs: []string{inPrimary, inReplica},
		inputs: []string{inMaxLag}, run: runStatus},
	"wait": {name: "wait", needs: []string{inPrimary, inReplica},
		inputs: []string{inMaxLag, inTimeout, inInterval, inJobs}, run: runWait},
	"teardown": {name: "teardown", needs: []string{inPrimary, inReplica},
		inputs: with(execution, []string{inDrop, inYes}), run: runTeardown},
	"proxy-create": {name: "proxy-create", needs: []string{inPrimary}, needsSwitch: true,
		inputs: with(execution, trafficSwitch, []string{inMapRole, inReplica}), run: runProxyCreate},
	"cutover": {name: "cutover", needs: []string{inPrimary, inReplica}, needsSwitch: true,
		inputs: with(execution, switching, trafficSwitch, []string{inFailsafe}), run: runCutover},
	"rollback": {name: "rollback", needs: []string{inPrimary, inReplica}, needsSwitch: true,
		inputs: with(execution, switching, trafficSwitch), run: runRollback},
	"sequences": {name: "sequences", needs: []string{inPrimary, inReplica},
		inputs: with(execution, []string{inSkip, inWindow}), run: runSequences},
	"fence": {name: "fence", needs: []string{inPrimary, inRole},
		inputs: with(execution, []string{inReplica, inUndo, inForce}), run: runFence},
	"proxy-remove": {name: "proxy-remove", needs: []string{inPrimary}, needsSwitch: true,
		inputs: with(execution, trafficSwitch, []string{inReplica}), run: runProxyRemove},
	"verify": {name: "verify", needs: []string{inPrimary, inReplica},
		inputs: []string{inSchemas, inExcludeTables}, run: runVerify},
	"schema-diff": {name: "schema-diff", needs: []string{inPrimary, inReplica},
		inputs: []string{inProxy}, run: runSchemaDiff},
	"schema-sync": {name: "schema-sync", needs: []string{inPrimary, inReplica},
		inputs: with(execution, []string{inProxy, inReplicaIdentityFull}), run: runSchemaSync},
	"ddl": {name: "ddl", needs: []string{inPrimary, inReplica, inSQL},
		inputs: with(execution, []string{inProxy, inYes}), run: runDDL},
}

func commandNames() []string {
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// lookupCommand finds the command the workflow asked for. The CLI's spellings with a space
// ("proxy create") are accepted too.
func lookupCommand(name string) (*command, error) {
	name = strings.Join(strings.Fields(strings.ToLower(name)), "-")
	if name == "" {
		return nil, badInput(inCommand, "no command given: set command to one of %s", strings.Join(commandNames(), ", "))
	}
	cmd, ok := commands[name]
	if !ok {
		return nil, badInput(inCommand, "unknown command %q: use one of %s", name, strings.Join(commandNames(), ", "))
	}
	if cmd.run == nil {
		return nil, badInput(inCommand, "%s is not available in this build of pghandoff yet: use a newer release of the Action", name)
	}
	return cmd, nil
}
