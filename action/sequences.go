package action

import (
	"context"
	"fmt"
	"strconv"

	"github.com/pghandoff/pghandoff/core"
)

// runSequences moves every sequence of the new primary ahead of the old one's, for the
// switch without a proxy.
func runSequences(ctx context.Context, j *job) (*outcome, error) {
	return rendered(sequencesOutcome)(core.Sequences(ctx, core.SequencesOptions{Migration: j.p.m, Skip: j.p.skip, Window: j.p.window,
		Execution: j.execution()}))
}

// sequencesOutcome renders what Sequences did.
func sequencesOutcome(res *core.SequencesResult, _ error) *outcome {
	out := &outcome{icon: iconOK, warnings: res.Warnings, report: res}
	switch {
	case res.DryRun:
		out.headline = fmt.Sprintf("dry run: %d of %d sequences would move ahead", res.Changed, len(res.Sequences))
	default:
		out.headline = fmt.Sprintf("%d of %d sequences moved ahead by %d s of their growth", res.Changed, len(res.Sequences), res.SkipSeconds)
	}
	out.set(outChanged, boolText(res.Changed > 0 && !res.DryRun))
	out.fact("Sampling window", fmt.Sprintf("%.0f ms", res.WindowMS))
	out.fact("Skip ahead", fmt.Sprintf("%d s of growth", res.SkipSeconds))
	if len(res.Missing) > 0 {
		out.fact("Missing on the replica", tableNames(res.Missing))
	}
	out.section("Sequences", sequenceTable(res.Sequences, true))
	out.section("Statements", statements(res.Statements, res.DryRun))
	return out
}

// sequenceTable lists sequences as set on the new primary, those changed first.
func sequenceTable(seqs []core.SequenceSet, withRate bool) string {
	if len(seqs) == 0 {
		return ""
	}
	header := []string{"Sequence", "Old primary next", "New primary before", "New primary next", "Changed"}
	if withRate {
		header = append(header[:2], append([]string{"Per second"}, header[2:]...)...)
	}
	rows := make([][]string, 0, len(seqs))
	for _, s := range seqs {
		row := []string{code(s.TableName.String()), strconv.FormatInt(s.PrimaryNext, 10)}
		if withRate {
			row = append(row, strconv.FormatFloat(s.RatePerSecond, 'f', 2, 64))
		}
		rows = append(rows, append(row, strconv.FormatInt(s.ReplicaNext, 10), strconv.FormatInt(s.Next, 10), boolText(s.Changed)))
	}
	return table(header, rows)
}
