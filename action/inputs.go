package action

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pghandoff/pghandoff/core"
)

// Input names, as in action.yml and as the CLI names its flags.
const (
	inCommand             = "command"
	inPrimary             = "primary"
	inReplica             = "replica"
	inProxy               = "proxy"
	inName                = "name"
	inMaxLag              = "max-lag"
	inTimeout             = "timeout"
	inMaxPause            = "max-pause"
	inMargin              = "margin"
	inSkip                = "skip"
	inWindow              = "window"
	inSchemas             = "schemas"
	inExcludeTables       = "exclude-tables"
	inReplicaIdentityFull = "replica-identity-full"
	inFailsafe            = "failsafe"
	inDrop                = "drop"
	inYes                 = "yes"
	inDryRun              = "dry-run"
	inRole                = "role"
	inUndo                = "undo"
	inMapRole             = "map-role"
	inPauseLockTimeout    = "pause-lock-timeout"
	inLockTimeout         = "lock-timeout"
	inStatementTimeout    = "statement-timeout"
	inInterval            = "interval"
	inForce               = "force"
	inPrimaryForReplica   = "primary-for-replica"
	inReplicaForPrimary   = "replica-for-primary"
	inConnections         = "connections"
	inCreateRoles         = "create-roles"
	inOwners              = "owners"
	inNoPrivileges        = "no-privileges"
	inPgBouncer           = "pgbouncer"
	inPgBouncerConfig     = "pgbouncer-config"
	inPgBouncerDatabase   = "pgbouncer-database"
	inSyncWorkers         = "sync-workers"
	inSQL                 = "sql"
	inIndexesFirst        = "indexes-first"
	inJobs                = "jobs"
	inCopyByWorkers       = "copy-by-workers"
)

// allInputs is every input action.yml declares (a test holds the two together).
var allInputs = []string{inCommand, inPrimary, inReplica, inProxy, inName, inMaxLag, inTimeout,
	inMaxPause, inMargin, inSkip, inWindow, inSchemas, inExcludeTables, inReplicaIdentityFull,
	inFailsafe, inDrop, inYes, inDryRun, inRole, inUndo, inMapRole, inPauseLockTimeout, inLockTimeout,
	inStatementTimeout, inInterval, inForce, inPrimaryForReplica, inReplicaForPrimary, inConnections,
	inCreateRoles, inOwners, inNoPrivileges, inPgBouncer, inPgBouncerConfig, inPgBouncerDatabase, inSQL,
	inIndexesFirst, inJobs, inSyncWorkers, inCopyByWorkers}

// dsnInputs are the connection strings: secrets, masked before anything is printed.
var dsnInputs = []string{inPrimary, inReplica, inProxy, inPrimaryForReplica, inReplicaForPrimary, inPgBouncer}

// bouncerSettings are PgBouncer's other inputs, which core takes with the connection
// strings; they are not secret.
var bouncerSettings = []string{inPgBouncerConfig, inPgBouncerDatabase}

// params are the inputs, parsed and checked. A value left at zero means core's default
// (core/defaults.go), which action.yml shows as the input's default.
type params struct {
	command             string
	m                   core.Migration
	maxLag              int64
	timeout, interval   time.Duration
	maxPause, window    time.Duration
	pauseLockTimeout    time.Duration
	timeouts            core.Timeouts
	margin, skip        int64
	schemas             []string
	excludeTables       []core.TableName
	replicaIdentityFull bool
	failsafe, drop, yes bool
	dryRun, undo, force bool
	roles, mapRoles     []string
	connections         int
	createRoles, owners bool
	noPrivileges        bool
	sql                 string
	indexesFirst        bool
	copyByWorkers       bool
	jobs                int
	syncWorkers         int // setup: tables the replica copies at once; 0 leaves its settings
}

// inputError is an input that cannot be used; it names the input.
type inputError struct {
	input string
	msg   string
}

func (e *inputError) Error() string { return fmt.Sprintf("input %s: %s", e.input, e.msg) }

func badInput(input, format string, args ...any) error {
	return &inputError{input: input, msg: fmt.Sprintf(format, args...)}
}

// readConnections reads and masks every connection string, whatever the command, before
// anything else is printed: a malformed one is masked whole, and so is what looks like its
// password.
func readConnections(w *workflow) map[core.Option]string {
	conns := map[core.Option]string{}
	for _, name := range dsnInputs {
		if raw := w.input(name); raw != "" {
			w.mask(core.ConnectionSecrets(raw)...)
			conns[core.Option(name)] = raw
		}
	}
	for _, name := range bouncerSettings {
		if v := w.input(name); v != "" {
			conns[core.Option(name)] = v
		}
	}
	return conns
}

// parseInputs checks every input the command uses and builds its parameters; it returns
// every problem at once, so a workflow author fixes them in one go.
func parseInputs(w *workflow, cmd *command, conns map[core.Option]string) (*params, []error) {
	p := &params{command: cmd.name}
	var errs []error
	fail := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	for _, name := range cmd.needs {
		switch {
		case w.input(name) != "":
		case slices.Contains(dsnInputs, name):
			fail(badInput(name, "%s needs the %s's connection string: set it from a secret, e.g. %s: ${{ secrets.PGHANDOFF_%s }}", cmd.name, name, name, strings.ToUpper(name)))
		default:
			fail(badInput(name, "%s needs input %s", cmd.name, name))
		}
	}
	if cmd.needsSwitch && w.input(inProxy) == "" && w.input(inPgBouncer) == "" {
		fail(badInput(inProxy, "%s needs what the application's traffic goes through: the proxy's connection string, or PgBouncer's admin console's in input %s (with %s); set it from a secret",
			cmd.name, inPgBouncer, inPgBouncerConfig))
	}
	m, err := core.NewMigration(w.input(inName), conns)
	for _, invalid := range core.InvalidOptions(err) {
		fail(badInput(string(invalid.Option), "%s", invalid.Reason))
	}
	p.m = m
	p.m.Client.Name = "action"
	for _, name := range allInputs {
		v := w.input(name)
		if v == "" || name == inCommand || name == inName || slices.Contains(dsnInputs, name) || slices.Contains(bouncerSettings, name) {
			continue
		}
		fail(p.set(name, v))
	}
	for _, name := range allInputs {
		if !isDefault(name, w.input(name)) && !cmd.uses(name) {
			w.warningf("Unused input "+name, "input %s is not used by the %s command and was ignored", name, cmd.name)
		}
	}
	budget, err := core.NewBudget(p.connections)
	if invalid := core.InvalidOptions(err); len(invalid) > 0 {
		fail(badInput(inConnections, "%s", invalid[0].Reason))
	}
	p.m.Client.Budget = budget
	if p.drop && !p.yes && !p.dryRun {
		fail(badInput(inYes, "drop deletes every replicated table and its data on the replica: set yes: true to confirm it (or dry-run: true to see what it would drop)"))
	}
	return p, errs
}

// set parses one non-DSN input into p.
func (p *params) set(name, v string) error {
	var err error
	switch name {
	case inMaxLag:
		p.maxLag, err = core.ParseBytes(v)
	case inTimeout:
		p.timeout, err = parseDuration(v)
	case inInterval:
		p.interval, err = parseDuration(v)
	case inMaxPause:
		p.maxPause, err = parseDuration(v)
	case inPauseLockTimeout:
		p.pauseLockTimeout, err = parseDuration(v)
	case inLockTimeout:
		p.timeouts.Lock, err = parseDuration(v)
	case inStatementTimeout:
		p.timeouts.Statement, err = parseDuration(v)
	case inWindow:
		p.window, err = parseDuration(v)
	case inMargin:
		p.margin, err = parseCount(v)
	case inSkip:
		p.skip, err = parseCount(v)
	case inSchemas:
		p.schemas, err = core.ParseSchemaNames(v)
	case inExcludeTables:
		p.excludeTables, err = core.ParseTableNames(v)
	case inRole:
		p.roles, err = parseNames(v)
	case inMapRole:
		p.mapRoles, err = parseNames(v)
	case inReplicaIdentityFull:
		p.replicaIdentityFull, err = parseBool(v)
	case inFailsafe:
		p.failsafe, err = parseBool(v)
	case inDrop:
		p.drop, err = parseBool(v)
	case inYes:
		p.yes, err = parseBool(v)
	case inDryRun:
		p.dryRun, err = parseBool(v)
	case inUndo:
		p.undo, err = parseBool(v)
	case inForce:
		p.force, err = parseBool(v)
	case inConnections:
		p.connections, err = parseInt(v)
	case inJobs:
		p.jobs, err = parseInt(v)
	case inIndexesFirst:
		p.indexesFirst, err = parseBool(v)
	case inSyncWorkers:
		p.syncWorkers, err = parseInt(v)
	case inCopyByWorkers:
		p.copyByWorkers, err = parseBool(v)
	case inCreateRoles:
		p.createRoles, err = parseBool(v)
	case inOwners:
		p.owners, err = parseBool(v)
	case inNoPrivileges:
		p.noPrivileges, err = parseBool(v)
	case inSQL:
		p.sql = v
	default:
		err = errors.New("unknown input")
	}
	if err != nil {
		return badInput(name, "%v", err)
	}
	return nil
}

// parseInt reads a count that core takes as an int.
func parseInt(v string) (int, error) {
	n, err := parseCount(v)
	return int(n), err
}

// parseBool accepts what GitHub's own toolkit accepts for a boolean input (YAML 1.2 core).
func parseBool(v string) (bool, error) {
	switch v {
	case "true", "True", "TRUE":
		return true, nil
	case "false", "False", "FALSE":
		return false, nil
	}
	return false, fmt.Errorf("%q is not a boolean: use true or false", v)
}

// parseDuration reads a Go duration ("90s", "5m", "1h30m"); 0 means the input's default.
func parseDuration(v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	switch {
	case err != nil:
		return 0, fmt.Errorf("%q is not a duration: use a number with a unit, e.g. 500ms, 30s, 10m or 1h30m", v)
	case d < 0:
		return 0, fmt.Errorf("%q must not be negative (0 means the default)", v)
	}
	return d, nil
}

// parseCount reads a non-negative whole number.
func parseCount(v string) (int64, error) {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%q is not a whole number of zero or more", v)
	}
	return n, nil
}

// parseNames reads a comma-separated list of names; double quotes keep a comma in a name.
func parseNames(v string) ([]string, error) {
	names, err := core.ParseSchemaNames(v)
	if err == nil && len(names) == 0 {
		err = fmt.Errorf("%q names nothing", v)
	}
	return names, err
}
