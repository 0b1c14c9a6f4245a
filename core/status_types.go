package core

import "time"

// Verdicts of a status report.
const (
	StateReady      = "ready"       // every table replicating, lag under the threshold
	StateCatchingUp = "catching_up" // working, not there yet
	StateBroken     = "broken"      // something needs a person: a lost slot, a stopped subscription
	StateNotSetUp   = "not_set_up"  // nothing of the migration exists
)

// Status is one structured report on a migration's replication.
type Status struct {
	Name  string `json:"name"`
	State string `json:"state"`
	// Phase is where the migration stands in its switch of traffic (recorded), since PhaseAt;
	// Direction where the replication judged here runs: forward before a failsafe switch,
	// back to the old primary after it. Ready then means the old primary has caught up.
	Phase          Phase               `json:"phase"`
	PhaseAt        time.Time           `json:"phase_at,omitzero"`
	Direction      string              `json:"direction,omitempty"`
	Ready          bool                `json:"ready"`
	Reasons        []string            `json:"reasons,omitempty"`
	Warnings       []string            `json:"warnings,omitempty"`
	LagBytes       *int64              `json:"lag_bytes"`
	LagSeconds     *float64            `json:"lag_seconds"`
	MaxLagBytes    int64               `json:"max_lag_bytes"`
	SentinelMS     *float64            `json:"sentinel_ms"`
	Tables         []TableState        `json:"tables"`
	TableCounts    map[string]int      `json:"table_counts"`
	Slot           *SlotStatus         `json:"slot"`
	Subscription   *SubscriptionStatus `json:"subscription"`
	Publication    *PublicationStatus  `json:"publication"`
	PrimaryVersion string              `json:"primary_version"`
	ReplicaVersion string              `json:"replica_version"`
	SourceLSN      string              `json:"source_lsn,omitempty"` // the publishing server's WAL position
	// Schema is how the replica's definitions compare with the primary's (forward
	// replication only).
	Schema *SchemaStatus `json:"schema,omitempty"`
	// Copy is the initial copy's progress over every table, while some are copying.
	Copy *CopyProgress `json:"copy,omitempty"`
	// Indexes are the indexes and constraints setup left for after the copy.
	Indexes *IndexesStatus `json:"indexes,omitempty"`
	// BypassWrites are writes the old primary took on migrated tables after the switch.
	BypassWrites []BypassWrite `json:"bypass_writes,omitempty"`
	CheckedAt    time.Time     `json:"checked_at"`
}

// TableState is one table's synchronisation state on the replica.
type TableState struct {
	TableName
	State string `json:"state"` // init, copy, copied, sync, indexing, ready, unknown
	// Copy is the table's initial copy, while it is copying.
	Copy *CopyProgress `json:"copy,omitempty"`
	// IndexesPending are its deferred indexes and constraints not built yet, and Building the
	// builds running on it.
	IndexesPending int          `json:"indexes_pending,omitempty"`
	Building       []IndexBuild `json:"building,omitempty"`
}

// SlotStatus is the migration's replication slot on the primary.
type SlotStatus struct {
	Name              string `json:"name"`
	Active            bool   `json:"active"`
	WALStatus         string `json:"wal_status"` // reserved, extended, unreserved, lost
	SafeWALSizeBytes  *int64 `json:"safe_wal_size_bytes"`
	ConfirmedFlushLSN string `json:"confirmed_flush_lsn"`
}

// Safe reports whether the primary still keeps all the WAL the slot needs, with no risk of
// dropping it soon.
func (s SlotStatus) Safe() bool { return s.WALStatus == "reserved" || s.WALStatus == "extended" }

// SubscriptionStatus is the migration's subscription on the replica.
type SubscriptionStatus struct {
	Name          string `json:"name"`
	Enabled       bool   `json:"enabled"`
	Attached      bool   `json:"attached"` // it has a slot to replicate from
	WorkerRunning bool   `json:"worker_running"`
	// Copying is how many tables the replica copies at once now (its table-sync workers),
	// of at most MaxCopying (max_sync_workers_per_subscription).
	Copying    int `json:"copying"`
	MaxCopying int `json:"max_copying"`
	// ApplyErrors and SyncErrors count the errors of its apply and table synchronisation
	// workers since the statistics were reset (PostgreSQL 15 and later; nil before).
	ApplyErrors *int64 `json:"apply_errors,omitempty"`
	SyncErrors  *int64 `json:"sync_errors,omitempty"`
}

// SchemaStatus is how the replica's definitions compare with the primary's: every
// difference, the gravest first.
type SchemaStatus struct {
	Tables  int           `json:"tables"` // compared
	Changes SchemaChanges `json:"changes"`
}

// PublicationStatus is the migration's publication on the primary.
type PublicationStatus struct {
	Name   string `json:"name"`
	Tables int    `json:"tables"`
}

// tableStates names pg_subscription_rel.srsubstate codes.
var tableStates = map[string]string{
	"i": "init", "d": "copy", "f": "copied", "s": "sync", "r": "ready",
}
