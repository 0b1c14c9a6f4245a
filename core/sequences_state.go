package core

import (
	"context"
	_ "embed"
	"fmt"
	"math"
	"strings"

	"github.com/jackc/pgx/v5"
)

//go:embed sql/sequences.sql
var sequencesSQL string

// seqInfo is one sequence of a server and, once read, its position.
type seqInfo struct {
	TableName
	oid                 int64
	typ                 string
	increment, min, max int64
	cycle               bool
	readable, writable  bool
	// next is the value nextval would return now; exhausted when that is past the range.
	next      int64
	exhausted bool
	// called: when last read, next was last_value + increment (is_called); otherwise
	// last_value itself (never called, or set with is_called false).
	called bool
	read   bool // next and called hold what a read found
}

// listSequences lists the sequences of the user's schemas on s, without their values.
func listSequences(ctx context.Context, s *server) ([]seqInfo, error) {
	rows, err := s.conn.Query(ctx, sequencesSQL)
	if err != nil {
		return nil, fmt.Errorf("%s: list sequences: %w", s.role, err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (seqInfo, error) {
		var q seqInfo
		err := row.Scan(&q.oid, &q.Schema, &q.Name, &q.typ, &q.increment, &q.min, &q.max, &q.cycle, &q.readable, &q.writable)
		return q, err
	})
}

// stepSequence is the value after v, and whether that passes the sequence's range.
func stepSequence(v, inc, min, max int64) (int64, bool) {
	if inc > 0 && v > max-inc || inc < 0 && v < min-inc {
		return v, true
	}
	return v + inc, false
}

// ahead reports whether a is further along than b for a sequence moving by inc.
func ahead(a, b, inc int64) bool {
	if inc < 0 {
		return a < b
	}
	return a > b
}

// advanceSequence is the value steps increments past next, and whether it stays in range.
// The arithmetic is done in float64 first so that a bigint near its end cannot overflow.
func advanceSequence(q seqInfo, steps float64) (int64, bool) {
	if steps < 0 || math.IsNaN(steps) {
		steps = 0
	}
	target := float64(q.next) + math.Ceil(steps)*float64(q.increment)
	if target > float64(q.max) || target < float64(q.min) {
		return 0, false
	}
	v := q.next + int64(math.Ceil(steps))*q.increment
	if v > q.max || v < q.min {
		return 0, false
	}
	return v, true
}

// setvalStatement moves q so that its next nextval returns next, and only if that is ahead:
// the condition is checked again by the statement itself, so that a value consumed on the
// replica since it was read can never be handed out twice.
func setvalStatement(q seqInfo, next int64) string {
	op := "<"
	if q.increment < 0 {
		op = ">"
	}
	// Ahead means: is_called ? last_value + increment <op> next : last_value <op> next.
	// The first is written last_value <op> next - increment, which cannot overflow for a
	// target inside the sequence's range.
	return fmt.Sprintf("SELECT setval(%s::regclass, %d, false) FROM %s WHERE CASE WHEN is_called THEN last_value %s %d ELSE last_value %s %d END",
		literal(q.TableName.String()), next, q.TableName, op, next-q.increment, op, next)
}

// SequenceSet is one sequence as pghandoff found it and what it set on the replica.
type SequenceSet struct {
	TableName
	PrimaryNext   int64   `json:"primary_next"`              // what nextval returned next on the primary when read
	ReplicaNext   int64   `json:"replica_next"`              // the same on the replica, before
	Next          int64   `json:"next"`                      // what nextval returns next on the replica now
	RatePerSecond float64 `json:"rate_per_second,omitempty"` // observed use on the primary (sequences)
	Changed       bool    `json:"changed"`                   // false: the replica was already far enough ahead
}

// pairSequences matches the primary's sequences with the replica's by name, as two aligned
// slices; those the replica lacks are returned apart.
func pairSequences(primary, replica []seqInfo) (onPrimary, onReplica []seqInfo, missing []TableName) {
	byName := map[TableName]seqInfo{}
	for _, q := range replica {
		byName[q.TableName] = q
	}
	for _, q := range primary {
		if r, ok := byName[q.TableName]; ok {
			onPrimary, onReplica = append(onPrimary, q), append(onReplica, r)
		} else {
			missing = append(missing, q.TableName)
		}
	}
	return onPrimary, onReplica, missing
}

// checkSequenceAccess refuses sequences pghandoff may not read on the primary or set on the
// replica, naming them, before anything changes.
func checkSequenceAccess(onPrimary, onReplica []seqInfo) error {
	var unreadable, unwritable []TableName
	for i, q := range onPrimary {
		if !q.readable || !onReplica[i].readable {
			unreadable = append(unreadable, q.TableName)
		}
		if !onReplica[i].writable {
			unwritable = append(unwritable, q.TableName)
		}
	}
	if len(unreadable) > 0 {
		return refused(remedy("GRANT SELECT ON those sequences to the users of the ", OptPrimary, " and ", OptReplica, " connection strings"),
			"cannot read %d sequence(s): %s", len(unreadable), tableList(firstN(unreadable, 10)))
	}
	if len(unwritable) > 0 {
		return refused(remedy("GRANT UPDATE ON those sequences to the user of the ", OptReplica, " connection string"),
			"cannot set %d sequence(s) on the replica: %s", len(unwritable), tableList(firstN(unwritable, 10)))
	}
	return nil
}

// planSequenceSets decides, for every sequence, the next value the replica should hand out:
// the primary's next value plus steps(i) increments, never behind where the replica is, and
// the moves that set them (moveSequences). It refuses, changing nothing, when a sequence
// would have to pass its range.
func planSequenceSets(onPrimary, onReplica []seqInfo, steps func(i int) float64) ([]SequenceSet, []seqMove, error) {
	sets := []SequenceSet{}
	var moves []seqMove
	var overflow []string
	for i, p := range onPrimary {
		rq := onReplica[i]
		set := SequenceSet{TableName: p.TableName, PrimaryNext: p.next, ReplicaNext: rq.next, Next: rq.next}
		if p.exhausted {
			overflow = append(overflow, p.TableName.String()+" (used up on the primary)")
			continue
		}
		q := rq
		q.next = p.next
		target, ok := advanceSequence(q, steps(i))
		if !ok {
			overflow = append(overflow, p.TableName.String())
			continue
		}
		if rq.exhausted || !ahead(target, rq.next, q.increment) {
			sets = append(sets, set) // already there: never move a sequence backwards
			continue
		}
		set.Next, set.Changed = target, true
		sets = append(sets, set)
		moves = append(moves, seqMove{q: rq, next: target})
	}
	if len(overflow) > 0 {
		return nil, nil, refused(remedy("raise those sequences' MAXVALUE on the replica (ALTER SEQUENCE ... AS bigint MAXVALUE ...), or use a smaller ", OptSkip, " or ", OptMargin),
			"%d sequence(s) would pass their maximum on the replica: %s", len(overflow), strings.Join(firstN(overflow, 10), ", "))
	}
	return sets, moves, nil
}

// primarySequences are the primary's sequences that the replica has too, and those it lacks.
type primarySequences struct {
	seqs    []seqInfo
	missing []TableName
}

// matchedSequences lists both servers' sequences, matched by name, and checks that
// pghandoff may read and set them.
func matchedSequences(ctx context.Context, primary, replica *server) (primarySequences, []seqInfo, error) {
	pseqs, err := listSequences(ctx, primary)
	if err != nil {
		return primarySequences{}, nil, err
	}
	rseqs, err := listSequences(ctx, replica)
	if err != nil {
		return primarySequences{}, nil, err
	}
	onPrimary, onReplica, missing := pairSequences(pseqs, rseqs)
	if err := checkSequenceAccess(onPrimary, onReplica); err != nil {
		return primarySequences{}, nil, err
	}
	return primarySequences{seqs: onPrimary, missing: missing}, onReplica, nil
}
