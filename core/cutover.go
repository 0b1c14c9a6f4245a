package core

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// CutoverOptions configures Cutover.
type CutoverOptions struct {
	Migration // Proxy, Primary and Replica
	// MaxPause bounds the pause: if the replica has not caught up by then, cutover rolls
	// back. DefaultMaxPause when 0.
	MaxPause time.Duration
	// Margin is how many values every sequence on the replica is moved past the primary's,
	// for writers that reach the primary without the proxy; DefaultMargin when 0.
	Margin int64
	// Failsafe also sets up replication back from the replica to the old primary, starting
	// exactly at the switch (see failsafe.go).
	Failsafe bool
	MaxLag   int64 // the readiness threshold in bytes; DefaultMaxLag when 0
	// LockTimeout bounds the wait for each lock of the pause (DefaultPauseLockTimeout when 0), for
	// application transactions that are slow to finish. When the pause and an application
	// transaction wait for each other, a watcher cancels the attempt within milliseconds;
	// the timeout stays under PostgreSQL's deadlock_timeout (1s by default) in case the
	// watcher misses one, so that it is cutover that gives way, never the application.
	// LockAttempts (DefaultPauseLockAttempts when 0) attempts are made; each failed one releases every lock at
	// once, and the next takes the table that held it up first.
	LockTimeout  time.Duration
	LockAttempts int
	// Execution's Observer is called during the pause too, from the goroutine holding the
	// locks: its Progress must return at once (buffer, do not post), or the application
	// waits for it.
	Execution
}

// withDefaults applies the rule for zero (defaults.go) to every option.
func (o CutoverOptions) withDefaults() (CutoverOptions, error) {
	var err error
	if o.MaxPause, err = orDefault(OptMaxPause, o.MaxPause, DefaultMaxPause); err != nil {
		return o, err
	}
	if o.LockTimeout, err = orDefault(OptPauseLockTimeout, o.LockTimeout, DefaultPauseLockTimeout); err != nil {
		return o, err
	}
	if o.LockAttempts <= 0 { // not an option of any front end
		o.LockAttempts = DefaultPauseLockAttempts
	}
	if o.Margin, err = orDefault(OptMargin, o.Margin, DefaultMargin); err != nil {
		return o, err
	}
	o.MaxLag, err = orDefault(OptMaxLag, o.MaxLag, DefaultMaxLag)
	return o, err
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
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	op, err := beginOperation(ctx, "cutover", opts.Migration, opts.Execution, rolePrimary, roleReplica, roleProxy)
	if err != nil {
		return nil, err
	}
	defer op.close()
	c := &cutover{opts: opts, primary: op.primary, replica: op.replica, proxy: op.proxy, r: op.r,
		res: &CutoverResult{Name: opts.name(), DryRun: opts.DryRun, PauseReport: PauseReport{Sequences: []SequenceSet{}}}}
	err = c.run(ctx)
	if c.sw != nil {
		c.sw.close()
	}
	c.res.Statements = op.statements()
	return c.res, err
}

type cutover struct {
	opts                    CutoverOptions
	primary, replica, proxy *server
	r                       *runner
	res                     *CutoverResult
	sw                      *fdwSwitch
	phase                   PhaseRecord
	turn                    *turnaround
	sourceSeqs, targetSeqs  []seqInfo
}

func (c *cutover) run(ctx context.Context) error {
	var err error
	if c.phase, err = readPhase(ctx, c.primary, c.opts.Migration); err != nil {
		return err
	}
	if c.sw, err = newFDWSwitch(ctx, c.proxy, c.opts.Migration, c.r); err != nil {
		return err
	}
	switch {
	case c.sw.srv.pointsAt(c.opts.Replica):
		c.res.AlreadySwitched, c.res.Switched = true, true
		c.r.note(ctx, roleProxy, "the proxy already points at the replica: nothing to switch")
		return c.switched(ctx, c.phase.Failsafe)
	case !c.sw.srv.pointsAt(c.opts.Primary):
		return refused(remedy("check the ", OptPrimary, " connection string: it must reach the server the proxy points at"),
			"the proxy's foreign server %s points at neither the primary nor the replica", ident(c.opts.name()))
	}
	if err := c.settleOnPrimary(ctx); err != nil {
		return err
	}
	if err := c.checkReady(ctx); err != nil {
		return err
	}
	for _, prepare := range []func(context.Context) error{c.prepareSequences, c.prepareHelperViews, c.prepareFailsafe} {
		if err := prepare(ctx); err != nil {
			return err
		}
	}
	if !c.opts.DryRun {
		if err := recordPhase(ctx, c.r, c.primary, c.opts.Migration, PhaseRecord{Phase: PhaseSwitching, Failsafe: c.opts.Failsafe}); err != nil {
			return err
		}
	}
	p := &pause{m: c.opts.Migration, sw: c.sw, source: c.primary, target: c.replica, targetDSN: c.opts.Replica,
		maxPause: c.opts.MaxPause, lockTimeout: c.opts.LockTimeout, attempts: c.opts.LockAttempts, margin: c.opts.Margin,
		dryRun: c.opts.DryRun, r: c.r, rep: &c.res.PauseReport, sourceSeqs: c.sourceSeqs, targetSeqs: c.targetSeqs,
		turn: c.turn, sourceRole: rolePrimary, role: roleReplica}
	return c.conclude(ctx, p.run(ctx))
}

// settleOnPrimary puts right what an earlier cutover left undone while traffic stayed on the
// primary (it crashed in its pause, or could not enable replication again after aborting).
func (c *cutover) settleOnPrimary(ctx context.Context) error {
	if c.phase.Phase == PhaseSwitched {
		return refused(remedy("if traffic must go to the replica, point the proxy back at it; if going back was meant, check that the old primary has every write, then ", CmdTeardown, " and set up again"),
			"the proxy points at the primary, but migration %s was switched to the replica at %s and nothing recorded a way back: someone pointed the proxy back by hand",
			c.opts.name(), c.phase.At.Format(time.RFC3339))
	}
	if !c.phase.interrupted() && !c.phase.ForwardStopped {
		return nil
	}
	done, err := settleOnPrimary(ctx, c.r, c.primary, c.replica, c.opts.Migration)
	c.res.Settled = append(c.res.Settled, done...)
	return err
}

// conclude acts on how the pause ended, reading where the proxy points when that is in
// doubt, and records the phase.
func (c *cutover) conclude(ctx context.Context, err error) error {
	if c.opts.DryRun {
		if err == nil {
			c.r.note(ctx, "", "dry run: nothing was changed")
		}
		return err
	}
	where := roleReplica
	if err != nil {
		where = rolePrimary
		if !errors.Is(err, ErrAborted) {
			if where, err = c.readTruth(ctx, err); where == "" {
				return err
			}
		}
	}
	if where == rolePrimary {
		done, serr := settleOnPrimary(ctx, c.r, c.primary, c.replica, c.opts.Migration)
		c.res.Settled = append(c.res.Settled, done...)
		c.res.Phase = PhaseReplicating
		return errors.Join(err, serr)
	}
	c.res.Switched = true
	c.r.note(ctx, roleProxy, "switched: the proxy points at the replica; the pause lasted %.1f ms", c.res.PauseMS)
	if err != nil {
		c.res.Warnings = append(c.res.Warnings, "the commit's answer was lost, and the proxy points at the replica: the switch happened")
	}
	return c.switched(ctx, c.opts.Failsafe)
}

// readTruth reads where the proxy points after the pause's outcome was lost. It returns ""
// and an error that says so when even that cannot be read: then nothing more is done, and
// the phase stays "switching" for the next run to settle.
func (c *cutover) readTruth(ctx context.Context, cause error) (string, error) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	where, err := c.sw.target(rctx)
	if err != nil || where == "" {
		return "", withHint(fmt.Errorf("%w; reading where the proxy points failed too: %w", cause, errors.Join(err, errors.New("unknown target"))),
			remedy("traffic may be on either server. Once the proxy is reachable, run ", CmdCutover,
				" again: it reads where the proxy points, then finishes the switch or puts replication back"))
	}
	c.r.warn(ctx, roleProxy, "the pause's outcome was lost; the proxy points at the %s", where)
	return where, nil
}

// switched finishes, idempotently, everything that goes with traffic on the replica: the
// failsafe when the switch made one, the watch for writes that bypass the proxy, and the
// phase record.
func (c *cutover) switched(ctx context.Context, failsafe bool) error {
	if c.opts.Failsafe && !failsafe {
		return refused(remedy("the failsafe can only start at the switch. To go back, set up replication from the replica to the old primary as a new migration (", CmdSetup, " with the servers swapped, copying the data)"),
			"migration %s was switched without the failsafe", c.opts.name())
	}
	if c.opts.DryRun {
		return nil
	}
	done, err := settleOnReplica(ctx, c.r, c.primary, c.replica, c.opts.Migration, failsafe)
	c.res.Settled = append(c.res.Settled, done...)
	c.res.Phase = PhaseSwitched
	if failsafe {
		info, ferr := readFailsafeInfo(ctx, c.primary, c.replica, c.opts.Migration)
		c.res.Failsafe = info
		err = errors.Join(err, ferr)
	}
	return err
}

// checkReady refuses to start unless replication is ready. Under dry-run the check writes
// no sentinel row.
// readyGrace is how long cutover gives a replica that is catching up to be ready: the lag
// counts every database's WAL on the primary, and a burst of writes elsewhere can lift it
// over the threshold for a moment. A broken replication is refused at once.
const readyGrace = 10 * time.Second

func (c *cutover) checkReady(ctx context.Context) error {
	deadline := time.Now().Add(readyGrace)
	// The cutover's own connections serve the checks: no new ones every 250 ms.
	opts, err := StatusOptions{Migration: c.opts.Migration, MaxLag: c.opts.MaxLag, NoSentinel: c.opts.DryRun,
		Observer: c.opts.Observer}.withDefaults()
	if err != nil {
		return err
	}
	checker := &statusChecker{opts: opts, primary: c.primary, replica: c.replica}
	var st *Status
	for {
		var err error
		st, err = checker.check(ctx)
		if err != nil {
			return err
		}
		if st.Ready || st.State != StateCatchingUp || time.Now().After(deadline) {
			break
		}
		if err := sleep(ctx, 250*time.Millisecond); err != nil {
			return err
		}
	}
	c.res.Readiness = st
	if !st.Ready {
		return withHint(fmt.Errorf("%w: %s", ErrNotReady, joinReasons(st.Reasons)),
			remedy("nothing was changed: run status to see why, or wait until it is ready, then cut over again"))
	}
	return nil
}

// prepareSequences lists the sequences both servers have and reads the replica's, which
// nothing uses before the switch, so that the pause only reads the primary's.
func (c *cutover) prepareSequences(ctx context.Context) error {
	onPrimary, onReplica, err := matchedSequences(ctx, c.primary, c.replica)
	if err != nil {
		return err
	}
	if len(onPrimary.missing) > 0 {
		c.res.Warnings = append(c.res.Warnings, fmt.Sprintf("%d sequence(s) of the primary are missing on the replica and were not set: %s",
			len(onPrimary.missing), tableList(firstN(onPrimary.missing, 10))))
	}
	c.sourceSeqs, c.targetSeqs = onPrimary.seqs, onReplica
	return readSequenceValues(ctx, c.replica, c.targetSeqs)
}

// prepareHelperViews creates on the replica the sequence views the proxy's column defaults
// draw from, before the pause: they are harmless there until the proxy points at it.
func (c *cutover) prepareHelperViews(ctx context.Context) error {
	refs, err := helperViewSequences(ctx, c.primary, c.opts.Migration)
	if err != nil || len(refs) == 0 {
		return err
	}
	var missing []string
	names := map[TableName]bool{}
	for _, q := range c.targetSeqs {
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
