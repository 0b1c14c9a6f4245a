package core

import (
	"context"
	"fmt"
	"time"
)

// SequencesOptions configures Sequences.
type SequencesOptions struct {
	Migration
	Skip   int64         // seconds of observed use to move ahead by; DefaultSkip when 0
	Window time.Duration // how long to watch the primary's sequences; DefaultWindow when 0
	Execution
}

// SequencesResult is what Sequences read and set.
type SequencesResult struct {
	Name        string        `json:"name"`
	DryRun      bool          `json:"dry_run"`
	WindowMS    float64       `json:"window_ms"`
	SkipSeconds int64         `json:"skip_seconds"`
	Sequences   []SequenceSet `json:"sequences"`
	Changed     int           `json:"changed"`
	Missing     []TableName   `json:"missing_on_replica,omitempty"`
	Warnings    []string      `json:"warnings,omitempty"`
	Statements  []Statement   `json:"statements"`
}

// Sequences moves every sequence of the replica ahead of the primary's, for the strategy
// without a proxy, where writes may still reach the primary for a while after the switch.
// It watches all sequences at once for one window (the script watched each for ten seconds
// in turn, and consumed values doing it), then sets each on the replica skip seconds of its
// observed use ahead of the primary. It never moves a sequence backwards and refuses,
// changing nothing, to take one past its maximum.
func Sequences(ctx context.Context, opts SequencesOptions) (*SequencesResult, error) {
	var err error
	if opts.Skip, err = orDefault(OptSkip, opts.Skip, DefaultSkip); err != nil {
		return nil, err
	}
	if opts.Window, err = orDefault(OptWindow, opts.Window, DefaultWindow); err != nil {
		return nil, err
	}
	ctx, end, err := opts.reserve(ctx, "sequences", need{rolePrimary: 2, roleReplica: 1})
	if err != nil {
		return nil, err
	}
	defer end()
	op, err := beginOperation(ctx, "sequences", opts.Migration, opts.Execution, rolePrimary, roleReplica)
	if err != nil {
		return nil, err
	}
	defer op.close()
	res := &SequencesResult{Name: opts.name(), DryRun: opts.DryRun, SkipSeconds: opts.Skip, Sequences: []SequenceSet{}}
	if res.Warnings, err = checkFencedRoles(ctx, op.primary, op.replica, opts.Migration); err != nil {
		return res, err
	}
	err = fastForward(ctx, opts, op.r, op.primary, op.replica, res)
	res.Statements = op.statements()
	return res, err
}

func fastForward(ctx context.Context, opts SequencesOptions, r *runner, primary, replica *server, res *SequencesResult) error {
	onPrimary, onReplica, err := matchedSequences(ctx, primary, replica)
	if err != nil {
		return err
	}
	res.Missing = onPrimary.missing
	if len(res.Missing) > 0 {
		res.Warnings = append(res.Warnings, fmt.Sprintf("%d sequence(s) of the primary are missing on the replica and were left alone: %s",
			len(res.Missing), tableList(firstN(res.Missing, 10))))
	}
	seqs := onPrimary.seqs
	r.note(ctx, rolePrimary, "watching %d sequence(s) for %s", len(seqs), opts.Window)
	if err := readSequenceValues(ctx, primary, seqs); err != nil {
		return err
	}
	first := make([]int64, len(seqs))
	for i, q := range seqs {
		first[i] = q.next
	}
	start := time.Now()
	if err := sleep(ctx, opts.Window); err != nil {
		return err
	}
	if err := readSequenceValues(ctx, primary, seqs); err != nil {
		return err
	}
	window := time.Since(start)
	res.WindowMS = float64(window.Microseconds()) / 1000
	if err := readSequenceValues(ctx, replica, onReplica); err != nil {
		return err
	}
	rates := make([]float64, len(seqs))
	for i, q := range seqs {
		used := float64(q.next-first[i]) / float64(q.increment) // in steps; negative if it cycled
		if used < 0 {
			used = 0
			res.Warnings = append(res.Warnings, fmt.Sprintf("%s went back during the window (it cycles, or was reset): its rate counts as 0", q.TableName))
		}
		rates[i] = used / window.Seconds()
	}
	ahead := float64(opts.Skip) + time.Since(start.Add(window)).Seconds()
	sets, moves, err := planSequenceSets(seqs, onReplica, func(i int) float64 { return rates[i] * ahead })
	if err != nil {
		return err
	}
	for i := range sets {
		sets[i].RatePerSecond = rates[i] * float64(seqs[i].increment)
		if sets[i].Changed {
			res.Changed++
		}
	}
	res.Sequences = sets
	return moveSequences(ctx, r, replica, moves, nil)
}
