package core

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrAborted: cutover gave up during the pause and rolled back. The proxy still points at
// the primary, traffic resumed there, and nothing was lost; CutoverResult.AbortReason says why.
var ErrAborted = errors.New("cutover aborted and rolled back")

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
	Switched        bool   `json:"switched"`                   // the proxy now points at the replica
	AlreadySwitched bool   `json:"already_switched,omitempty"` // it did before this run
	AbortReason     string `json:"abort_reason,omitempty"`     // why it rolled back
	// PauseMS is how long the application's statements were held: from asking for the
	// first lock to the commit (or rollback) of the last attempt.
	PauseMS      float64 `json:"pause_ms"`
	LockMS       float64 `json:"lock_ms"`     // of which taking the locks
	CatchUpMS    float64 `json:"catch_up_ms"` // of which waiting for the sentinel on the replica
	LockAttempts int     `json:"lock_attempts"`
	// RetriedMS is the time spent in earlier attempts that gave up on a lock and released
	// them all: statements on the tables such an attempt had locked were held that long too.
	RetriedMS float64 `json:"retried_ms"`
	// WaitedStatements is the most application statements seen queued behind the locks.
	WaitedStatements int    `json:"waited_statements"`
	Tables           int    `json:"tables"`       // foreign tables locked
	PrimaryLSN       string `json:"primary_lsn"`  // the primary's WAL position once the locks were held
	SentinelLSN      string `json:"sentinel_lsn"` // the primary's WAL position after the sentinel's commit
	ReplicaLSN       string `json:"replica_lsn"`  // the replica's WAL position at the switch
	SentinelTS       int64  `json:"sentinel_ts"`  // the sentinel row's key
	// Sequences are the replica's sequences, set from the primary's exact values plus Margin.
	Sequences        []SequenceSet `json:"sequences"`
	SequencesChanged int           `json:"sequences_changed"`
	Failsafe         *FailsafeInfo `json:"failsafe,omitempty"`
	Readiness        *Status       `json:"readiness,omitempty"` // the status cutover started from
	Warnings         []string      `json:"warnings,omitempty"`
	Statements       []Statement   `json:"statements"`
}

// Cutover switches the proxy from the primary to the replica without losing a write, with
// the pause of DESIGN.md: in one proxy transaction it takes an ACCESS EXCLUSIVE lock on
// every foreign table of the migration (in-flight application transactions finish first,
// new statements queue), writes a sentinel row on the primary and waits for the replica to
// apply it (then everything committed before has been applied), sets every sequence on the
// replica from the primary's exact values plus Margin, points the foreign server and user
// mappings at the replica and commits: the queued statements run on the replica. If the
// replica does not catch up within MaxPause it rolls back and returns ErrAborted: traffic
// resumes on the primary, nothing changed. It refuses to start (ErrNotReady) unless the
// migration's status is ready, and running it again after a switch changes nothing.
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
		res: &CutoverResult{Name: opts.name(), DryRun: opts.DryRun, Sequences: []SequenceSet{}}}
	err = c.run(ctx)
	c.watcher.close()
	c.res.Statements = op.statements()
	return c.res, err
}

type cutover struct {
	opts                    CutoverOptions
	primary, replica, proxy *server
	r                       *runner
	res                     *CutoverResult
	srv                     fdwServer
	tables                  []lockTarget
	seqs                    []seqInfo // the primary's, matched on the replica
	replicaSeqs             []seqInfo
	watcher                 *server // a second proxy connection, watching the pause's locks
}

func (c *cutover) emit(ctx context.Context, role, format string, args ...any) {
	c.r.note(ctx, role, format, args...)
}

func (c *cutover) run(ctx context.Context) error {
	var err error
	if c.srv, err = readFDWServer(ctx, c.proxy, c.opts.Migration); err != nil {
		return err
	}
	switch {
	case !c.srv.exists:
		return withHint(fmt.Errorf("%w: the proxy has no foreign server %s", ErrNotFound, c.opts.name()), remedy("run proxy create first"))
	case c.srv.pointsAt(c.opts.Replica):
		c.res.AlreadySwitched, c.res.Switched = true, true
		c.emit(ctx, roleProxy, "the proxy already points at the replica: nothing to switch")
		if c.opts.Failsafe {
			return c.finishFailsafe(ctx)
		}
		return nil
	case !c.srv.pointsAt(c.opts.Primary):
		return refused(remedy("check the ", OptPrimary, " connection string: it must reach the server the proxy points at"),
			"the proxy's foreign server %s points at neither the primary nor the replica", ident(c.opts.name()))
	}
	if err := c.checkReady(ctx); err != nil {
		return err
	}
	for _, prepare := range []func(context.Context) error{c.prepareLocks, c.prepareSequences, c.prepareHelperViews, c.prepareFailsafe} {
		if err := prepare(ctx); err != nil {
			return err
		}
	}
	if err := c.pauseWithRetries(ctx); err != nil {
		return err
	}
	if c.opts.Failsafe {
		return c.finishFailsafe(ctx)
	}
	return nil
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
	c.seqs, c.replicaSeqs = onPrimary.seqs, onReplica
	return readSequenceValues(ctx, c.replica, c.replicaSeqs)
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
	for _, q := range c.replicaSeqs {
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
