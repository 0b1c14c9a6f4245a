package core

import (
	"context"
	"errors"
	"fmt"
)

// RollbackOptions configures Rollback.
type RollbackOptions struct {
	SwitchOptions
}

// RollbackResult is what a rollback did, measured.
type RollbackResult struct {
	Name              string `json:"name"`
	DryRun            bool   `json:"dry_run"`
	RolledBack        bool   `json:"rolled_back"`                   // traffic goes to the old primary now (AlreadyRolledBack: it did before this run)
	AlreadyRolledBack bool   `json:"already_rolled_back,omitempty"` // it did before this run
	// Settled says what this run found of an earlier one that did not finish and put right.
	Settled []string `json:"settled,omitempty"`
	PauseReport
	Readiness  *Status     `json:"readiness,omitempty"` // the failsafe's status rollback started from
	Phase      Phase       `json:"phase"`
	Warnings   []string    `json:"warnings,omitempty"`
	Statements []Statement `json:"statements"`
}

// Rollback switches traffic back from the replica to the old primary after a cutover with
// the failsafe, with the same pause as the cutover read backwards: it holds the traffic at
// the proxy, writes a sentinel on the replica and waits for it on the old primary (the
// failsafe carries it), turns replication around (the failsafe stops, the primary → replica
// subscription gets a new slot starting exactly here), sets the old primary's sequences past
// the replica's, and points the proxy back. Nothing is lost: every write the application
// made on the replica reached the old primary through the failsafe before the switch. Like
// cutover, it gives up on its deadline (ErrAborted, traffic stays on the replica) and settles
// what a crashed run left undone. Without the failsafe it refuses: the old primary would
// lack every write since the switch.
func Rollback(ctx context.Context, opts RollbackOptions) (*RollbackResult, error) {
	ctx, end, err := opts.reserve(ctx, "rollback", need{rolePrimary: 2, roleReplica: 1, roleProxy: 3})
	if err != nil {
		return nil, err
	}
	defer end()
	s, err := beginSwitch(ctx, "rollback", opts.SwitchOptions)
	if err != nil {
		return nil, err
	}
	defer s.close()
	rb := &rollbackRun{switcher: s, res: &RollbackResult{Name: opts.name(), DryRun: opts.DryRun, Settled: s.sw.settled(),
		PauseReport: PauseReport{Strategy: opts.strategy(), Sequences: []SequenceSet{}}}}
	err = rb.run(ctx)
	rb.res.Statements = s.op.statements()
	return rb.res, err
}

type rollbackRun struct {
	*switcher
	res *RollbackResult
}

func (rb *rollbackRun) run(ctx context.Context) error {
	switch rb.pointsAt() {
	case rolePrimary:
		return rb.onPrimary(ctx)
	case "":
		return rb.refuseNowhere(OptReplica)
	}
	if !rb.phase.Failsafe {
		return refused(remedy("to go back without the failsafe, the old primary needs every write made since: set up replication from the replica to it as a new migration (", CmdSetup, " with the servers swapped), then switch to it"),
			"migration %s was not cut over with the failsafe, so the old primary lacks the writes made on the replica since the switch", rb.opts.name())
	}
	// The failsafe must be whole (a crashed cutover or rollback may have left it short).
	if !rb.opts.DryRun {
		done, err := settleOnReplica(ctx, rb.r, rb.primary, rb.replica, rb.opts.Migration, true)
		rb.res.Settled = append(rb.res.Settled, done...)
		if err != nil {
			return err
		}
	}
	var err error
	if rb.res.Readiness, err = rb.checkReady(ctx, CmdRollback); err != nil {
		return err
	}
	sourceSeqs, targetSeqs, warning, err := rb.matchSequences(ctx, rb.replica, rb.primary)
	if err != nil {
		return err
	}
	if warning != "" {
		rb.res.Warnings = append(rb.res.Warnings, warning)
	}
	turn, err := rb.prepareTurnaround(ctx)
	if err != nil {
		return err
	}
	if !rb.opts.DryRun {
		if err := recordPhase(ctx, rb.r, rb.primary, rb.opts.Migration, PhaseRecord{Phase: PhaseRollingBack, Failsafe: true}); err != nil {
			return err
		}
	}
	p := rb.newPause(rb.replica, rb.primary, &rb.res.PauseReport, sourceSeqs, targetSeqs, turn)
	return rb.conclude(ctx, p, p.run(ctx))
}

// prepareTurnaround makes, before the pause, what the pause turns replication around with:
// a new slot for the primary → replica subscription on the old primary (its old one was
// dropped at the switch), moved to the primary's position now, and the turnaround's record.
// The watch for bypassing writes leaves the primary: traffic is going back there.
func (rb *rollbackRun) prepareTurnaround(ctx context.Context) (*turnaround, error) {
	m := rb.opts.Migration
	if _, err := dropBypassWatch(ctx, rb.r, rb.primary, m); err != nil {
		return nil, err
	}
	if _, err := dropSlot(ctx, rb.r, rb.primary, m.name()); err != nil {
		return nil, err
	}
	steps := append([]string{fmt.Sprintf("SELECT pg_create_logical_replication_slot(%s, 'pgoutput')", literal(m.name()))}, turnaroundRecordDDL(m)...)
	for _, sql := range steps {
		if err := rb.r.exec(ctx, rb.primary, sql, ""); err != nil {
			return nil, err
		}
	}
	if _, err := rb.r.queryText(ctx, rb.primary, advanceSlotSQL(m.name())); err != nil {
		return nil, err
	}
	return &turnaround{subscription: m.failsafeName(), slot: m.name(), record: m.turnaroundTable()}, nil
}

// conclude acts on where traffic went, and records the phase.
func (rb *rollbackRun) conclude(ctx context.Context, p *pause, err error) error {
	if rb.opts.DryRun {
		if err == nil {
			rb.r.note(ctx, "", "dry run: nothing was changed")
		}
		return err
	}
	where, err := rb.outcome(ctx, p, err, CmdRollback)
	switch where {
	case "":
		return err
	case roleReplica:
		done, serr := settleOnReplica(ctx, rb.r, rb.primary, rb.replica, rb.opts.Migration, true)
		rb.res.Settled = append(rb.res.Settled, done...)
		rb.res.Phase = PhaseSwitched
		return errors.Join(err, serr)
	}
	rb.res.RolledBack = true
	if err != nil {
		rb.res.Warnings = append(rb.res.Warnings, fmt.Sprintf("the release's answer was lost, and %s points at the old primary: the rollback happened", rb.sw.name()))
	} else {
		rb.r.note(ctx, rb.sw.role(), "rolled back: %s points at the old primary; the pause lasted %.1f ms", rb.sw.name(), rb.res.PauseMS)
	}
	return rb.onPrimary(ctx)
}

// onPrimary finishes, idempotently, everything that goes with traffic back on the old
// primary: replication from it into the replica again, from the rollback's switch, no
// failsafe, and the replica watched for writes that bypass the proxy.
func (rb *rollbackRun) onPrimary(ctx context.Context) error {
	returned := rb.res.RolledBack || rb.phase.Phase == PhaseRollingBack
	if !rb.res.RolledBack {
		// A run that finds traffic back on the primary reports it there, as cutover does.
		defer func() { rb.res.AlreadyRolledBack, rb.res.RolledBack = true, rb.phase.Phase != PhaseSwitched }()
	}
	switch {
	case rb.phase.Phase == PhaseSwitched && !returned:
		return rb.refuseHandMadeReturn()
	case !returned:
		rb.res.AlreadyRolledBack = true
		rb.r.note(ctx, rb.sw.role(), "%s points at the primary: nothing to roll back", rb.sw.name())
		if !rb.phase.interrupted() && !rb.phase.ForwardStopped {
			return nil
		}
	}
	if rb.opts.DryRun {
		return nil
	}
	m := rb.opts.Migration
	done, err := settleOnPrimary(ctx, rb.r, rb.primary, rb.replica, m)
	rb.res.Settled = append(rb.res.Settled, done...)
	rb.res.Phase = PhaseReplicating
	if err != nil || !returned {
		return err
	}
	tables, err := watchedTables(ctx, rb.primary, m)
	if err != nil {
		return err
	}
	_, err = ensureBypassWatch(ctx, rb.r, rb.replica, m, tables)
	return err
}
