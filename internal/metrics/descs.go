package metrics

import "github.com/prometheus/client_golang/prometheus"

// The metrics, all labelled by migration (the bot's name for it, or the migration's object
// name for `status --serve`).
var (
	descUp         = desc("up", "1 when the last check reached both servers and read the migration's state, 0 when it failed.")
	descChecked    = desc("last_check_timestamp_seconds", "When the migration was last checked (Unix time).")
	descReady      = desc("ready", "1 when every table replicates and the lag is under the migration's threshold.")
	descState      = desc("state", "1 for the migration's current verdict: ready, catching_up, broken or not_set_up.", "state")
	descLagBytes   = desc("lag_bytes", "WAL the replica has yet to confirm, in bytes (absent when unknown).")
	descLagSeconds = desc("lag_seconds", "How far behind the primary the replica applies, in seconds (absent when unknown).")
	descMaxLag     = desc("max_lag_bytes", "The lag under which the migration counts as ready.")
	descSentinel   = desc("sentinel_round_trip_seconds", "How long the last sentinel row took from the primary to the replica.")
	descSentinelAt = desc("sentinel_timestamp_seconds", "When that sentinel round trip was measured (Unix time).")
	descTables     = desc("tables", "Tables of the migration by synchronisation state on the replica.", "state")
	descWALStatus  = desc("slot_wal_status", "1 for the replication slot's WAL status: reserved, extended, unreserved or lost.", "wal_status")
	descSafeWAL    = desc("slot_safe_wal_size_bytes", "WAL the primary can still write before the slot is at risk (absent when unlimited).")
	descSlotActive = desc("slot_active", "1 when a walsender uses the replication slot.")
	descSubWorker  = desc("subscription_worker_running", "1 when the subscription is enabled and its apply worker runs.")
	descPause      = desc("cutover_pause_seconds", "How long the last cutover held the application's writes.")
	descSwitched   = desc("cutover_switched", "1 when the last cutover switched traffic to the new primary, 0 when it rolled back.")
	descCutoverAt  = desc("cutover_timestamp_seconds", "When the last cutover ran (Unix time).")
	descBuild      = prometheus.NewDesc("pghandoff_build_info", "The running pghandoff: version and commit.", []string{"version", "commit", "goversion"}, nil)

	allDescs = []*prometheus.Desc{descUp, descChecked, descReady, descState, descLagBytes, descLagSeconds, descMaxLag,
		descSentinel, descSentinelAt, descTables, descWALStatus, descSafeWAL, descSlotActive, descSubWorker,
		descPause, descSwitched, descCutoverAt}
)

func desc(name, help string, labels ...string) *prometheus.Desc {
	names = append(names, "pghandoff_"+name)
	return prometheus.NewDesc("pghandoff_"+name, help, append([]string{"migration"}, labels...), nil)
}

// names are the metrics' names, for the tests of the example dashboard and alert rules.
var names = []string{"pghandoff_build_info"}

// Names returns the name of every metric pghandoff serves.
func Names() []string { return append([]string(nil), names...) }

// Every value of the enumerations is sent, 0 or 1, so that a dashboard or an alert sees the
// change from 1 to 0 rather than a series that disappears.
var (
	states      = []string{"ready", "catching_up", "broken", "not_set_up"}
	tableStates = []string{"init", "copy", "copied", "sync", "ready", "unknown"}
	walStatuses = []string{"reserved", "extended", "unreserved", "lost"}
)
