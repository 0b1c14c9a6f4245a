package core

import (
	"context"
	"fmt"
	"strings"
)

// BouncerState is where a PgBouncer entry points, read from both places that say so: what
// PgBouncer has loaded (SHOW DATABASES) and what the file holds (what the next RELOAD or
// restart loads). Outcomes are read, never inferred: every pghandoff run with PgBouncer
// starts here (settleBouncer).
type BouncerState struct {
	Loaded BouncerDatabase `json:"loaded"`
	Found  bool            `json:"found"` // PgBouncer has the entry loaded
	File   *BouncerEntry   `json:"file,omitempty"`
	// Consistent: the file's entry is what PgBouncer has loaded.
	Consistent bool `json:"consistent"`
	// Watchdog: a watchdog's admin connection is open, so a pause has an owner that will end
	// it by its limit (PgBouncer 1.18+ shows application names; older ones report false).
	Watchdog bool `json:"watchdog"`
}

// ReadBouncerState reads the entry called name from PgBouncer and from file.
func ReadBouncerState(ctx context.Context, b *Bouncer, name, file string) (BouncerState, error) {
	var st BouncerState
	var err error
	if st.Loaded, st.Found, err = b.Database(ctx, name); err != nil {
		return st, err
	}
	entries, err := ReadBouncerFile(file)
	if err != nil {
		return st, err
	}
	for i := range entries {
		if entries[i].Name == name {
			st.File = &entries[i]
		}
	}
	st.Consistent = st.Found && st.File != nil && st.File.matches(st.Loaded)
	st.Watchdog, err = b.watchdogConnected(ctx, name)
	return st, err
}

// watchdogConnected looks for the watchdog's admin connection in SHOW CLIENTS.
func (b *Bouncer) watchdogConnected(ctx context.Context, name string) (bool, error) {
	rows, err := b.show(ctx, "CLIENTS")
	if err != nil {
		return false, err
	}
	for _, r := range rows {
		if r["database"] == "pgbouncer" && r["application_name"] == watchdogAppName(name) {
			return true, nil
		}
	}
	return false, nil
}

func loadedTarget(db BouncerDatabase) string {
	return fmt.Sprintf("%s:%d/%s", db.Host, db.Port, db.Database)
}

func fileTarget(e *BouncerEntry) string {
	if e == nil {
		return "nothing (no such entry)"
	}
	return strings.TrimPrefix(e.String(), e.Name+" → ")
}
