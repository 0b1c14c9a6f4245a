package bot

import (
	"time"

	"go.yaml.in/yaml/v3"
)

// Config is the bot's YAML configuration file. Connection strings are never written in it:
// each names an environment variable or a file that holds one.
type Config struct {
	Listen           string               `yaml:"listen"`            // HTTP address for Slack requests and the health check
	Slack            SlackConfig          `yaml:"slack"`             // the workspace the bot serves
	State            StateConfig          `yaml:"state"`             // the PostgreSQL state store
	Timezone         string               `yaml:"timezone"`          // default time zone of report schedules; UTC when empty
	PgDump           string               `yaml:"pg_dump"`           // the pg_dump setup and teardown --drop run; found when empty
	OperationTimeout Duration             `yaml:"operation_timeout"` // upper bound of one operation; defaultOperationTimeout when 0
	LockTTL          Duration             `yaml:"lock_ttl"`          // how long a `lock` lasts unless given; defaultLockTTL when 0
	Permissions      Permissions          `yaml:"permissions"`
	Approval         ApprovalConfig       `yaml:"approval"`
	Alerts           AlertConfig          `yaml:"alerts"`
	Reports          ReportsConfig        `yaml:"reports"`
	Limits           LimitsConfig         `yaml:"limits"`
	Migrations       map[string]Migration `yaml:"migrations"`

	root *yaml.Node // the parsed document, to find the line of a setting
	file string
}

// SlackConfig names the workspace whose requests the bot accepts.
type SlackConfig struct {
	TeamID string `yaml:"team_id"` // requests from any other workspace are refused
}

// StateConfig is where schedules, approvals, locks, alerts and the audit log live, shared by
// every replica of the bot.
type StateConfig struct {
	DSN SecretRef `yaml:"dsn"`
}

// SecretRef points at a secret: an environment variable or a file, never the value itself.
type SecretRef struct {
	Env  string `yaml:"env"`
	File string `yaml:"file"`
}

// Principals is a set of Slack users (ids) and user groups (ids, resolved through the API).
type Principals struct {
	Everyone bool     `yaml:"everyone"` // every user of the workspace
	Users    []string `yaml:"users"`
	Groups   []string `yaml:"groups"`
}

// Permissions gives each command class to its principals. A class includes the ones below
// it: destroy ⊇ operate ⊇ read. Nothing is allowed that is not listed here (read excepted,
// which defaults to everyone when the whole section leaves it out).
type Permissions struct {
	Read    *Principals `yaml:"read"`
	Operate *Principals `yaml:"operate"`
	Destroy *Principals `yaml:"destroy"`
}

// ApprovalConfig is the rule for destructive commands.
type ApprovalConfig struct {
	// SecondPerson: a cutover runs only when someone other than the requester approves it.
	SecondPerson bool `yaml:"second_person"`
	// Approvers may approve a cutover; the destroy class when empty.
	Approvers *Principals `yaml:"approvers"`
	// ExpiresAfter: a confirmation or approval not given within this long lapses; 15m when 0.
	ExpiresAfter Duration `yaml:"expires_after"`
}

// Thresholds raise alerts. Zero values are off.
type Thresholds struct {
	LagBytes         int64    `yaml:"lag_bytes"`
	LagSeconds       float64  `yaml:"lag_seconds"`
	SafeWALSizeBytes int64    `yaml:"safe_wal_size_bytes"` // alert when the slot's safe WAL size drops below
	SlotWALStatus    []string `yaml:"slot_wal_status"`     // wal_status values that alert; unreserved and lost when empty
}

// AlertConfig: how often to check, where to post, the default thresholds.
type AlertConfig struct {
	Every      string `yaml:"every"`   // a cron spec; defaultAlertsEvery when empty
	Channel    string `yaml:"channel"` // the default channel for alerts
	Thresholds `yaml:",inline"`
}

// ReportsConfig: the scheduled reports of the config file.
type ReportsConfig struct {
	// MinInterval refuses schedules set from Slack that fire more often, to keep channels
	// quiet; 1m when 0.
	MinInterval Duration         `yaml:"min_interval"`
	Schedules   []ReportSchedule `yaml:"schedules"`
}

// ReportSchedule posts a report on a migration to a channel on a cron schedule.
type ReportSchedule struct {
	Migration string `yaml:"migration"`
	Cron      string `yaml:"cron"`     // five fields, or six with seconds first, or a descriptor
	Timezone  string `yaml:"timezone"` // the config's timezone when empty
	Channel   string `yaml:"channel"`  // the migration's channel when empty
}

// LimitsConfig keeps the bot light on the databases, which it shares with the application, and
// fair between the people using it.
type LimitsConfig struct {
	// StatusMaxAge: a status or lock check this recent answers later requests too, with its
	// age; defaultStatusMaxAge when 0. Requests meanwhile share one check whatever this is.
	StatusMaxAge Duration `yaml:"status_max_age"`
	// CommandsPerMinute one user may send (help is free); defaultCommandsPerMinute when 0.
	CommandsPerMinute int `yaml:"commands_per_minute"`
}

// Migration is one named migration.
type Migration struct {
	Name      string        `yaml:"name"` // the name of its database objects; core.DefaultName when empty
	Primary   SecretRef     `yaml:"primary"`
	Replica   SecretRef     `yaml:"replica"`
	Proxy     SecretRef     `yaml:"proxy"`
	PgBouncer PgBouncerConf `yaml:"pgbouncer"` // instead of the proxy
	// The addresses the servers reach each other at, when not the ones the bot uses: the
	// subscription's way to the primary, the failsafe's way to the replica.
	PrimaryForReplica SecretRef `yaml:"primary_for_replica"`
	ReplicaForPrimary SecretRef `yaml:"replica_for_primary"`
	Channel           string    `yaml:"channel"`       // reports and alerts of this migration
	MaxLagBytes       int64     `yaml:"max_lag_bytes"` // core.DefaultMaxLag when 0
	// Connections the bot holds at most at once on each of the migration's servers, shared by
	// everything it does there; core.DefaultConnections when 0.
	Connections int `yaml:"connections"`
	// Jobs: how many of the indexes and constraints setup left for after the copy the bot
	// builds at once on the replica, within Connections; core.DefaultJobs when 0.
	Jobs        int             `yaml:"jobs"`
	Setup       SetupConfig     `yaml:"setup"`
	Cutover     CutoverConf     `yaml:"cutover"`
	Alerts      *Thresholds     `yaml:"alerts"` // replaces the global thresholds when set
	Permissions Permissions     `yaml:"permissions"`
	Approval    *ApprovalConfig `yaml:"approval"` // replaces the global rule when set
}

// PgBouncerConf is the PgBouncer the application goes through, when traffic switches
// through one instead of the proxy.
type PgBouncerConf struct {
	Admin    SecretRef `yaml:"admin"`    // its admin console's connection string
	Config   string    `yaml:"config"`   // the file its configuration %includes, which pghandoff writes
	Database string    `yaml:"database"` // the entry's name; the primary's database name when empty
}

// SetupConfig selects what setup replicates, and what it does with the roles and privileges
// (cutover.map_roles names the application's roles).
type SetupConfig struct {
	Schemas             []string `yaml:"schemas"`
	ExcludeTables       []string `yaml:"exclude_tables"` // schema.table
	ReplicaIdentityFull bool     `yaml:"replica_identity_full"`
	CreateRoles         bool     `yaml:"create_roles"`    // create the roles the new primary lacks
	Owners              bool     `yaml:"owners"`          // give objects their old owners
	NoPrivileges        bool     `yaml:"no_privileges"`   // carry no privileges, owners or roles
	IndexesFirst        bool     `yaml:"indexes_first"`   // import every index before the copy (slower)
	SyncWorkers         int      `yaml:"sync_workers"`    // tables the replica copies at once, set by setup; 0 leaves its settings
	CopyByWorkers       bool     `yaml:"copy_by_workers"` // leave every table's copy to the replica's sync workers
}

// CutoverConf tunes cutover, proxy create and fence.
type CutoverConf struct {
	MaxPause   Duration `yaml:"max_pause"` // core.DefaultMaxPause when 0
	Margin     int64    `yaml:"margin"`    // added to every sequence on the new primary; core.DefaultMargin when 0
	Failsafe   bool     `yaml:"failsafe"`
	MapRoles   []string `yaml:"map_roles"`   // the application's roles, ROLE or OLD=NEW: setup carries their privileges, proxy create maps them, cutover checks them
	FenceRoles []string `yaml:"fence_roles"` // fence: the application's roles
}

// Duration is a time.Duration written as "90s", "15m", "2h".
type Duration time.Duration

// D returns the duration, or def when unset.
func (d Duration) D(def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return time.Duration(d)
}
