package core

import (
	"context"
	"fmt"
)

// primeSequences moves, before the pause, every sequence of the target to where the
// source's stood when read (or leaves it where it is, when that is further along), written as
// a called sequence. The pause then sets them all with one statement (moveCalledSQL), which
// cannot read the position of an uncalled sequence: after a schema import, every sequence of
// the target is uncalled. Priming never moves a sequence backwards, and stays at or behind
// what the pause will set (the source's value then, plus a margin of at least one step): a
// sequence at its very start on both sides is moved one step on, which that margin covers.
// The target hands out no value before the switch, and a pause that gives up leaves its
// sequences ahead, as the sequences command would.
func primeSequences(ctx context.Context, r *runner, target *server, sourceSeqs, targetSeqs []seqInfo) error {
	var stmts []string
	var primed []int
	for i, q := range targetSeqs {
		src := sourceSeqs[i]
		if !q.read || !src.read || q.exhausted || src.exhausted || q.called && !ahead(src.next, q.next, q.increment) {
			continue
		}
		if last, ok := primedLastValue(q, src.next); ok {
			stmts = append(stmts, primeStatement(q, last))
			primed = append(primed, i)
		}
	}
	if err := r.batch(ctx, target, stmts); err != nil {
		return err
	}
	for _, i := range primed {
		targetSeqs[i].called = true
	}
	return nil
}

// primedLastValue is the last_value of q, called, once primed from the source's next value:
// next - increment for the further of the two, or q's first value when that is before it.
// false: q's range holds a single value, or the source's is outside it.
func primedLastValue(q seqInfo, sourceNext int64) (int64, bool) {
	next := q.next
	if ahead(sourceNext, next, q.increment) {
		next = sourceNext
	}
	// Unsigned differences: the range of an int8 sequence can be wider than an int8.
	step := uint64(q.increment)
	if q.increment < 0 {
		step = -step
	}
	if next < q.min || next > q.max || uint64(q.max)-uint64(q.min) < step {
		return 0, false
	}
	if q.increment > 0 {
		if uint64(next)-uint64(q.min) < step {
			return q.min, true
		}
		return next - q.increment, true
	}
	if uint64(q.max)-uint64(next) < step {
		return q.max, true
	}
	return next - q.increment, true
}

// primeStatement makes q called with last_value last, unless it is there or further along
// already; an uncalled q whose next value is further along is made called at that value.
// The arithmetic on last_value is done in numeric, where it cannot overflow.
func primeStatement(q seqInfo, last int64) string {
	behind, further := "<", "greatest"
	if q.increment < 0 {
		behind, further = ">", "least"
	}
	return fmt.Sprintf("SELECT setval(%s::regclass, CASE WHEN is_called THEN %d ELSE %s(last_value::numeric - %d, %d)::int8 END, true) FROM %s WHERE NOT is_called OR last_value %s %d",
		literal(q.TableName.String()), last, further, q.increment, last, q.TableName, behind, last)
}
