package core

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// Setting sequences, fast enough for the pause: one statement moves every sequence that was
// last read called (a statement per sequence costs 40 to 50 µs each: 45 ms at 1,000).

// seqMove is a sequence to move forward on a server: q as last read there, and what
// nextval must return next.
type seqMove struct {
	q    seqInfo
	next int64
}

// moveSequences moves every sequence of moves forward on s, never backwards, in one round
// trip; with begin, in a transaction that starts with begin's statements. A sequence
// last read called is moved by one statement for all; the others by one statement each
// (setvalStatement), and so is a sequence that statement finds uncalled after all, in a
// second round trip.
func moveSequences(ctx context.Context, r *runner, s *server, moves []seqMove, begin func() []string) error {
	var called, uncalled []seqMove
	for _, m := range moves {
		if m.q.read && m.q.called {
			called = append(called, m)
		} else {
			uncalled = append(uncalled, m)
		}
	}
	again, err := moveSequenceBatch(ctx, r, s, called, uncalled, begin)
	if err != nil || len(again) == 0 {
		return err
	}
	_, err = moveSequenceBatch(ctx, r, s, nil, again, begin)
	return err
}

// moveSequenceBatch runs, in one round trip, moveCalledSQL for called and setvalStatement for
// each of exact. It returns the moves of called it found uncalled, and did not make.
func moveSequenceBatch(ctx context.Context, r *runner, s *server, called, exact []seqMove, begin func() []string) ([]seqMove, error) {
	if len(called)+len(exact) == 0 {
		return nil, nil
	}
	var stmts []string
	if begin != nil {
		stmts = begin()
	}
	first := len(stmts) // where moveCalledSQL's rows are
	if len(called) > 0 {
		stmts = append(stmts, moveCalledSQL(called))
	}
	for _, m := range exact {
		stmts = append(stmts, setvalStatement(m.q, m.next))
	}
	if begin != nil {
		stmts = append(stmts, "COMMIT")
	}
	results, err := r.batchResults(ctx, s, stmts)
	if err != nil {
		if begin != nil {
			rollback(s)
		}
		return nil, err
	}
	if results == nil || len(called) == 0 { // dry run, or nothing to read
		return nil, nil
	}
	return uncalledMoves(results[first], called)
}

// moveCalledSQL moves every sequence of moves in one statement, reading each one's
// last_value with pg_sequence_last_value: a sequence found uncalled (NULL) is left alone
// and reported, since its last_value cannot be read that way; one behind is set with
// setval(..., false), as setvalStatement does. The threshold each last_value must be behind
// is computed here, where it cannot overflow.
func moveCalledSQL(moves []seqMove) string {
	names := make([]string, len(moves))
	var next, up, below []string
	for i, m := range moves {
		names[i] = literal(m.q.TableName.String())
		next = append(next, strconv.FormatInt(m.next, 10))
		up = append(up, strconv.FormatBool(m.q.increment > 0))
		below = append(below, strconv.FormatInt(lastValueBelow(m.next, m.q.increment), 10))
	}
	return fmt.Sprintf(`SELECT lv IS NULL AS uncalled,
       CASE WHEN lv IS NOT NULL AND CASE WHEN up THEN lv < below ELSE lv > below END THEN setval(s, v, false) END AS set
  FROM (SELECT n, s, v, up, below, pg_sequence_last_value(s) AS lv
          FROM unnest(ARRAY[%s]::regclass[], '{%s}'::int8[], '{%s}'::bool[], '{%s}'::int8[]) WITH ORDINALITY AS t(s, v, up, below, n)
        OFFSET 0) x
 ORDER BY n`, strings.Join(names, ", "), strings.Join(next, ","), strings.Join(up, ","), strings.Join(below, ","))
}

// lastValueBelow is the last_value a called sequence moving by inc must be behind (below,
// counting up; above, counting down) for its next value to be behind next: next - inc, or
// the end of int8 when that is past it (no last_value can then be behind).
func lastValueBelow(next, inc int64) int64 {
	v := next - inc
	switch {
	case inc > 0 && v > next: // wrapped below the smallest int8
		return -1 << 63
	case inc < 0 && v < next: // wrapped above the largest
		return 1<<63 - 1
	}
	return v
}

// uncalledMoves are the moves moveCalledSQL found uncalled, by its rows.
func uncalledMoves(res *pgconn.Result, moves []seqMove) ([]seqMove, error) {
	if len(res.Rows) != len(moves) {
		return nil, fmt.Errorf("moving sequences: %d rows for %d sequences", len(res.Rows), len(moves))
	}
	var out []seqMove
	for i, row := range res.Rows {
		if string(row[0]) == "t" {
			out = append(out, moves[i])
		}
	}
	return out, nil
}
