package core

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Phase is where a migration stands in its switch of traffic, as pghandoff recorded it.
// Every command reads it before acting, and status reports it.
type Phase string

const (
	// PhaseReplicating: traffic goes to the primary, which replicates into the replica.
	PhaseReplicating Phase = "replicating"
	// PhaseSwitching: a cutover began its pause and has not recorded how it ended (it
	// crashed, or could not reach the primary since). Running cutover again reads where
	// traffic goes and finishes or undoes it.
	PhaseSwitching Phase = "switching"
	// PhaseSwitched: traffic goes to the replica, the new primary.
	PhaseSwitched Phase = "switched"
	// PhaseRollingBack: a rollback began its pause and has not recorded how it ended.
	PhaseRollingBack Phase = "rolling_back"
)

// PhaseRecord is the recorded phase of a migration and what goes with it.
type PhaseRecord struct {
	Phase Phase     `json:"phase"`
	At    time.Time `json:"at"`
	// Failsafe: the switch this phase is about replicates back from the new primary to the
	// old one (cutover --failsafe), which rollback needs.
	Failsafe bool `json:"failsafe,omitempty"`
	// ForwardDetached: the primary → replica subscription was taken off its slot at a
	// failsafe switch, and the slot dropped, so that it can neither run again by mistake
	// (changes would loop) nor hold WAL on the old primary. Rollback attaches it again.
	ForwardDetached bool `json:"forward_detached,omitempty"`
	// ForwardStopped: a failsafe pause disabled the forward subscription and could not
	// enable it again when it aborted; setup does.
	ForwardStopped bool   `json:"forward_stopped,omitempty"`
	Note           string `json:"note,omitempty"`
}

// interrupted reports whether the phase is the middle of a pause whose end was not recorded.
func (p PhaseRecord) interrupted() bool {
	return p.Phase == PhaseSwitching || p.Phase == PhaseRollingBack
}

// onReplica reports whether the recorded phase sends traffic to the replica.
func (p PhaseRecord) onReplica() bool { return p.Phase == PhaseSwitched }

// phaseTable is where the phases of a migration are recorded: a journal, in the helper
// schema on the primary, the server every operation of a migration reaches (its operation
// lock lives there too). The latest row is the current phase; the others are its history.
func (m Migration) phaseTable() string { return ident(m.helperSchema(), "phase") }

// readPhase reads the migration's current phase from the primary: PhaseReplicating when
// nothing was recorded (a migration begun before pghandoff recorded phases, or never switched).
func readPhase(ctx context.Context, primary *server, m Migration) (PhaseRecord, error) {
	rec := PhaseRecord{Phase: PhaseReplicating}
	exists, err := helperTableExists(ctx, primary, m, "phase")
	if err != nil || !exists {
		return rec, err
	}
	var raw []byte
	err = primary.conn.QueryRow(ctx, "SELECT record FROM "+m.phaseTable()+" ORDER BY id DESC LIMIT 1").Scan(&raw)
	switch {
	case errors.Is(err, errNoRows):
		return rec, nil
	case err != nil:
		return rec, fmt.Errorf("primary: read the migration's phase: %w", err)
	}
	if err := json.Unmarshal(raw, &rec); err != nil {
		return rec, fmt.Errorf("primary: read the migration's phase: %w", err)
	}
	return rec, nil
}

// recordPhase appends rec to the migration's journal on the primary, creating it (and the
// helper schema) when needed. Under dry-run it records the statements only.
func recordPhase(ctx context.Context, r *runner, primary *server, m Migration, rec PhaseRecord) error {
	rec.At = time.Now().UTC()
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	if err := ensureHelperSchema(ctx, r, primary, m); err != nil {
		return err
	}
	// Everyone may read the phase, as status (run with a watch-only role) must: it holds no
	// secret. Nothing else of the helper schema is granted.
	return r.batch(ctx, primary, []string{
		"CREATE TABLE IF NOT EXISTS " + m.phaseTable() + " (id bigserial PRIMARY KEY, record jsonb NOT NULL)",
		"GRANT USAGE ON SCHEMA " + ident(m.helperSchema()) + " TO PUBLIC",
		"GRANT SELECT ON " + m.phaseTable() + " TO PUBLIC",
		"INSERT INTO " + m.phaseTable() + " (record) VALUES (" + literal(string(b)) + ")",
	})
}

// helperTableExists reports whether the helper schema on s has table name, from the catalog:
// to_regclass would need USAGE on the schema, which a watch-only role lacks.
func helperTableExists(ctx context.Context, s *server, m Migration, name string) (bool, error) {
	exists, err := s.exists(ctx, `SELECT EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = $1 AND c.relname = $2)`, m.helperSchema(), name)
	if err != nil {
		return false, fmt.Errorf("%s: look for %s.%s: %w", s.role, m.helperSchema(), name, err)
	}
	return exists, nil
}

// ReadPhase reports the recorded phase of migration m, from its primary.
func ReadPhase(ctx context.Context, m Migration) (PhaseRecord, error) {
	if err := m.requireRoles(rolePrimary); err != nil {
		return PhaseRecord{}, err
	}
	ctx, end, err := m.reserve(ctx, "phase", need{rolePrimary: 1})
	if err != nil {
		return PhaseRecord{}, err
	}
	defer end()
	primary, err := openServer(ctx, rolePrimary, m.Primary, "phase")
	if err != nil {
		return PhaseRecord{}, err
	}
	defer primary.close()
	return readPhase(ctx, primary, m)
}
