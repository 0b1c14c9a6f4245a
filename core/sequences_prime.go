package core

import (
	"context"
	"fmt"
)

// primeSequences moves, before the pause, every sequence of the target to where the pause
// would set it from the source's values read now (the source's next value plus margin
// steps), or leaves it where it is, when that is further along, written as a called
// sequence. The pause then sets only the sequences the source used since, all in one
// statement (moveCalledSQL), which cannot read the position of an uncalled sequence: after a
// schema import, every sequence of the target is uncalled. Priming never moves a sequence
// backwards, and stays at or behind what the pause will set (the source's value then, plus
// the same margin): a sequence at its very start on both sides is moved one step on, which
// a margin of at least one covers. The target hands out no value before the switch, and a
// pause that gives up leaves its sequences ahead, as the sequences command would.
func primeSequences(ctx context.Context, r *runner, target *server, sourceSeqs, targetSeqs []seqInfo, margin int64) error {
	var stmts []string
	var primed []int
	var lasts []int64
	for i, q := range targetSeqs {
		src := sourceSeqs[i]
		if !q.read || !src.read || q.exhausted || src.exhausted {
			continue
		}
		next := primedNext(src, q, margin)
		if q.called && !ahead(next, q.next, q.increment) {
			continue
		}
		if last, ok := primedLastValue(q, next); ok {
			stmts = append(stmts, primeStatement(q, last))
			primed, lasts = append(primed, i), append(lasts, last)
		}
	}
	if err := r.batch(ctx, target, stmts); err != nil {
		return err
	}
	// What the pause plans from: a sequence primed further than it needs is left alone.
	for k, i := range primed {
		q := &targetSeqs[i]
		if next, exhausted := stepSequence(lasts[k], q.increment, q.min, q.max); !exhausted && ahead(next, q.next, q.increment) {
			q.next = next
		}
		q.called = true
	}
	return nil
}

// primedNext is where the pause would set q from the source's src now: src's next value plus
// margin steps, or src's next value itself when the margin passes q's range (the pause then
// refuses, and says why).
func primedNext(src, q seqInfo, margin int64) int64 {
	q.next = src.next
	if next, ok := advanceSequence(q, float64(margin)); ok {
		return next
	}
	return src.next
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
