package core

import (
	"context"
	"errors"
	"fmt"
)

// CutoverOptions configures Cutover.
type CutoverOptions struct {
	SwitchOptions
	// Failsafe also sets up replication back from the replica to the old primary, starting
	// exactly at the switch (see failsafe.go): what Rollback needs.
	Failsafe bool
}

// CutoverResult is what a cutover did, measured.
type CutoverResult struct {
	Name            string `json:"name"`
	DryRun          bool   `json:"dry_run"`
	Switched        bool   `json:"switched"`                   // traffic goes to the replica now
	AlreadySwitched bool   `json:"already_switched,omitempty"` // it did before this run
	// Settled says what this run found of an earlier one that did not finish (it crashed,
	// or lost a server) and put right before going on.
	Settled []string `json:"settled,omitempty"`
	PauseReport
	Failsafe  *FailsafeInfo `json:"failsafe,omitempty"`
	Readiness *Status       `json:"readiness,omitempty"` // the status cutover started from
	// Refreshed are the replica's materialized views cutover populated before the pause: the
	// schema import makes them empty, and reading one would fail after the switch.
	Refreshed []string `json:"refreshed,omitempty"`
	// Phase is the migration's phase as this run leaves it.
	Phase      Phase       `json:"phase"`
	Warnings   []string    `json:"warnings,omitempty"`
	Statements []Statement `json:"statements"`
}

// Cutover switches the application's traffic from the primary to the replica through the
// proxy without losing a write, with the pause of pause.go. It refuses to start
// (ErrNotReady) unless replication is ready. If the replica does not catch up within
// MaxPause it gives up and returns ErrAborted: traffic stays on the primary, nothing changed.
// It records the migration's phase on the primary before the pause and after it, and reads
// where the proxy points whenever the outcome is in doubt. Run again after a switch, it
// changes nothing, but finishes what a crashed run left undone (the failsafe's subscription,
// for one); run after a crashed pause that did not switch, it puts replication back first.
func Cutover(ctx context.Context, opts CutoverOptions) (*CutoverResult, error) {
	ctx, end, err := opts.reserve(ctx, "cutover", need{rolePrimary: 2, roleReplica: 1, roleProxy: 3})
	if err != nil {
		return nil, err
	}
	defer end()
	s, err := beginSwitch(ctx, "cutover", opts.SwitchOptions)
	if err != nil {
		return nil, err
	}
	defer s.close()
	c := &cutover{switcher: s, failsafe: opts.Failsafe, res: &CutoverResult{Name: opts.name(), DryRun: opts.DryRun,
		Settled: s.sw.settled(), PauseReport: PauseReport{Strategy: opts.strategy(), Sequences: []SequenceSet{}}}}
	err = c.run(ctx)
	c.res.Statements = s.op.statements()
	return c.res, err
}

type cutover struct {
	*switcher
	failsafe bool
	res      *CutoverResult
}

func (c *cutover) run(ctx context.Context) error {
	switch c.pointsAt() {
	case roleReplica:
		c.res.AlreadySwitched, c.res.Switched = true, true
		c.r.note(ctx, c.sw.role(), "%s already points at the replica: nothing to switch", c.sw.name())
		return c.switched(ctx, c.phase.Failsafe)
	case "":
		return c.refuseNowhere(OptPrimary)
	}
	if err := c.refuseHandMadeReturn(); err != nil {
		return err
	}
	if c.phase.interrupted() || c.phase.ForwardStopped {
		done, err := settleOnPrimary(ctx, c.r, c.primary, c.replica, c.opts.Migration)
		c.res.Settled = append(c.res.Settled, done...)
		if err != nil {
			return err
		}
	}
	var err error
	if c.res.Readiness, err = c.checkReady(ctx, CmdCutover); err != nil {
		return err
	}
	if err := c.checkRoles(ctx); err != nil {
		return err
	}
	sourceSeqs, targetSeqs, warning, err := c.matchSequences(ctx, c.primary, c.replica)
	if err != nil {
		return err
	}
	if warning != "" {
		c.res.Warnings = append(c.res.Warnings, warning)
	}
	if err := c.prepareReplica(ctx, targetSeqs); err != nil {
		return err
	}
	turn, err := c.prepareFailsafe(ctx)
	if err != nil {
		return err
	}
	if !c.opts.DryRun {
		if err := recordPhase(ctx, c.r, c.primary, c.opts.Migration, PhaseRecord{Phase: PhaseSwitching, Failsafe: c.failsafe}); err != nil {
			return err
		}
	}
	p := c.newPause(c.primary, c.replica, &c.res.PauseReport, sourceSeqs, targetSeqs, turn)
	return c.conclude(ctx, p, p.run(ctx))
}

// conclude acts on where traffic went, and records the phase.
func (c *cutover) conclude(ctx context.Context, p *pause, err error) error {
	if c.opts.DryRun {
		if err == nil {
			c.r.note(ctx, "", "dry run: nothing was changed")
		}
		return err
	}
	where, err := c.outcome(ctx, p, err, CmdCutover)
	switch where {
	case "":
		return err
	case rolePrimary:
		done, serr := settleOnPrimary(ctx, c.r, c.primary, c.replica, c.opts.Migration)
		c.res.Settled = append(c.res.Settled, done...)
		c.res.Phase = PhaseReplicating
		return errors.Join(err, serr)
	}
	c.res.Switched = true
	if p.released && err == nil && p.rep.PauseMS > 0 {
		c.r.note(ctx, c.sw.role(), "switched: %s points at the replica; the pause lasted %.1f ms", c.sw.name(), c.res.PauseMS)
	} else {
		c.res.Warnings = append(c.res.Warnings, fmt.Sprintf("the release's answer was lost, and %s points at the replica: the switch happened", c.sw.name()))
	}
	return c.switched(ctx, c.failsafe)
}

// switched finishes, idempotently, everything that goes with traffic on the replica: the
// failsafe when the switch made one, the watch for writes that bypass the proxy, and the
// phase record.
func (c *cutover) switched(ctx context.Context, failsafe bool) error {
	if c.failsafe && !failsafe {
		return refused(remedy("the failsafe can only start at the switch. To go back, set up replication from the replica to the old primary as a new migration (", CmdSetup, " with the servers swapped, copying the data)"),
			"migration %s was switched without the failsafe", c.opts.name())
	}
	if c.opts.DryRun {
		return nil
	}
	done, err := settleOnReplica(ctx, c.r, c.primary, c.replica, c.opts.Migration, failsafe)
	c.res.Settled = append(c.res.Settled, done...)
	c.res.Phase = PhaseSwitched
	if writes, berr := readBypassWrites(ctx, c.primary, c.opts.Migration); berr != nil || len(writes) > 0 {
		if len(writes) > 0 {
			c.res.Warnings = append(c.res.Warnings, bypassWarning("old primary", writes, failsafe))
		}
		err = errors.Join(err, berr)
	}
	if failsafe {
		info, ferr := readFailsafeInfo(ctx, c.primary, c.replica, c.opts.Migration)
		c.res.Failsafe = info
		err = errors.Join(err, ferr)
	}
	return err
}

// prepareReplica makes the replica ready to take traffic, before the pause: the sequence
// views the proxy's column defaults draw from (for the proxy alone), its materialized views
// populated (pg_dump made them empty, and through PgBouncer the application reads them
// straight), and no watch for bypassing writes (a rollback left one).
func (c *cutover) prepareReplica(ctx context.Context, targetSeqs []seqInfo) error {
	if _, viaProxy := c.sw.(*fdwSwitch); viaProxy {
		if err := c.prepareHelperViews(ctx, targetSeqs); err != nil {
			return err
		}
	}
	refreshed, err := refreshMaterializedViews(ctx, c.r, c.replica)
	c.res.Refreshed = refreshed
	if err != nil {
		return err
	}
	_, err = dropBypassWatch(ctx, c.r, c.replica, c.opts.Migration)
	return err
}

// prepareHelperViews creates on the replica the sequence views the proxy's column defaults
// draw from, before the pause: they are harmless there until the proxy points at it.
func (c *cutover) prepareHelperViews(ctx context.Context, targetSeqs []seqInfo) error {
	refs, err := helperViewSequences(ctx, c.primary, c.opts.Migration)
	if err != nil || len(refs) == 0 {
		return err
	}
	var missing []string
	names := map[TableName]bool{}
	for _, q := range targetSeqs {
		names[q.TableName] = true
	}
	steps := helperSchemaSteps(c.opts.Migration)
	for _, ref := range refs {
		if !names[ref.table()] {
			missing = append(missing, ref.table().String())
		}
		steps = append(steps, step{sql: sequenceViewDDL(c.opts.Migration, ref)})
	}
	if len(missing) > 0 {
		return refused(remedy("create those sequences on the replica (run setup again if tables were added), then cut over again"),
			"the replica lacks sequences the proxy's column defaults draw from: %s", joinList(missing, 10))
	}
	st, err := readHelperSchema(ctx, c.replica, c.opts.Migration)
	if err != nil {
		return err
	}
	if st.exists && !st.ours {
		return refused(remedy("choose another ", OptName, ", or rename that schema"), "the replica already has a schema named %s that pghandoff did not create", ident(c.opts.helperSchema()))
	}
	return runTransaction(ctx, c.r, c.replica, steps)
}

// helperViewSequences lists the sequences behind the helper views of the primary, as the
// views name them.
func helperViewSequences(ctx context.Context, primary *server, m Migration) ([]sequenceRef, error) {
	var refs []sequenceRef
	err := withQualifiedNames(ctx, primary, func() error {
		rows, err := primary.conn.Query(ctx, `SELECT DISTINCT sn.nspname::text, s.relname::text, format('nextval(%L::regclass)', s.oid::regclass::text)
			FROM pg_class v
			JOIN pg_namespace vn ON vn.oid = v.relnamespace
			JOIN pg_rewrite rw ON rw.ev_class = v.oid
			JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = rw.oid AND d.refclassid = 'pg_class'::regclass
			JOIN pg_class s ON s.oid = d.refobjid AND s.relkind = 'S'
			JOIN pg_namespace sn ON sn.oid = s.relnamespace
			WHERE vn.nspname = $1 AND v.relkind = 'v' ORDER BY 1, 2`, m.helperSchema())
		if err != nil {
			return fmt.Errorf("primary: read sequence views: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var ref sequenceRef
			if err := rows.Scan(&ref.Schema, &ref.Name, &ref.Call); err != nil {
				return err
			}
			refs = append(refs, ref)
		}
		return rows.Err()
	})
	return refs, err
}
