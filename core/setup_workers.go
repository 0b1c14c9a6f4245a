package core

import (
	"context"
	"fmt"
	"strings"
)

// Setup's sync-workers option: the replica's settings for copying that many tables at once,
// set before the subscription starts the copy. The replica is the operator's server: setup
// writes the settings (ALTER SYSTEM) and reloads, and leaves the restart that two of them
// need to the operator.

// checkSyncWorkers reads, when the option asks for it, which of the replica's settings must
// change, and refuses before anything changes when its user may not change them.
func (p *setupPlan) checkSyncWorkers(ctx context.Context) error {
	n := p.opts.SyncWorkers
	switch {
	case n < 0:
		return &InvalidOptionError{Option: OptSyncWorkers, Reason: "must not be negative (0 leaves the replica's settings as they are)"}
	case n == 0:
		return nil
	}
	w, err := readSyncWorkerSettings(ctx, p.replica, p.opts.name())
	if err != nil {
		return err
	}
	p.workers, p.workerChanges = w, syncWorkerChanges(w, w.For(n))
	if len(p.workerChanges) == 0 {
		return nil
	}
	ok, err := mayAlterSystem(ctx, p.replica, p.workerChanges)
	if err != nil || ok {
		return err
	}
	return refused(remedy("set them on the replica yourself (", settingList(p.workerChanges), "; the logical replication workers and worker processes need a restart), or set up without ", OptSyncWorkers),
		"%s may not change the replica's settings: ALTER SYSTEM needs a superuser, or on PostgreSQL 15+ GRANT ALTER SYSTEM ON PARAMETER", p.opts.Replica.User())
}

// mayAlterSystem says whether s's user may ALTER SYSTEM the settings of changes.
func mayAlterSystem(ctx context.Context, s *server, changes []settingChange) (bool, error) {
	query := `SELECT rolsuper FROM pg_roles WHERE rolname = current_user`
	if s.major() >= 15 {
		query = `SELECT rolsuper OR (SELECT bool_and(has_parameter_privilege(n, 'ALTER SYSTEM')) FROM unnest($1::text[]) AS n)
			FROM pg_roles WHERE rolname = current_user`
	}
	names := make([]string, len(changes))
	for i, c := range changes {
		names[i] = c.name
	}
	var args []any
	if s.major() >= 15 {
		args = append(args, names)
	}
	var ok bool
	if err := s.conn.QueryRow(ctx, query, args...).Scan(&ok); err != nil {
		return false, fmt.Errorf("%s: read the privilege to change settings: %w", s.role, err)
	}
	return ok, nil
}

// setSyncWorkers writes the settings and reloads the replica's configuration; those that need
// a restart are said to, with what the copy runs at until then.
func (p *setupPlan) setSyncWorkers(ctx context.Context, r *runner) error {
	if len(p.workerChanges) == 0 {
		return nil
	}
	var restart []settingChange
	now := p.workers
	for _, c := range p.workerChanges {
		if err := r.exec(ctx, p.replica, fmt.Sprintf("ALTER SYSTEM SET %s = %d", c.name, c.to), ""); err != nil {
			return err
		}
		if c.restart {
			restart = append(restart, c)
		} else {
			now.SyncWorkers = c.to
		}
	}
	if err := r.exec(ctx, p.replica, "SELECT pg_reload_conf()", ""); err != nil {
		return err
	}
	p.res.SyncWorkers = &now
	if len(restart) > 0 {
		p.res.Warnings = append(p.res.Warnings, fmt.Sprintf("the replica takes %s at its next restart, which pghandoff leaves to you; until then its copy runs %d table(s) at once",
			settingList(restart), now.AtOnce()))
	}
	return nil
}

// settingList says settings to set: "a = 1, b = 2".
func settingList(changes []settingChange) string {
	parts := make([]string, len(changes))
	for i, c := range changes {
		parts[i] = c.String()
	}
	return strings.Join(parts, ", ")
}
