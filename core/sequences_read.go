package core

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// Reading where sequences stand, fast enough for the pause: one statement reads them all,
// however many there are. (A UNION ALL of one SELECT per sequence, as this read was first
// written, takes the planner seconds at 1,000 sequences; a statement per sequence costs
// 20 to 40 µs each: 40 ms at 1,000.)

// readSequenceValues reads the position of every sequence from the sequences themselves:
// nothing is consumed (nextval would be), and never-called sequences and setval(..., false)
// are told apart exactly (pg_sequences cannot). pg_sequence_last_value reads all of them in
// one statement, but answers NULL for a sequence whose next value is its last_value itself
// (never called, or set with is_called false): those are read one statement each, in the
// same round trip when an earlier read found them so, in a second one otherwise.
func readSequenceValues(ctx context.Context, s *server, seqs []seqInfo) error {
	var known, uncalled []int // by what an earlier read found
	for i, q := range seqs {
		if q.read && !q.called {
			uncalled = append(uncalled, i)
		} else {
			known = append(known, i)
		}
	}
	again, err := readSequenceBatch(ctx, s, seqs, known, uncalled)
	if err != nil || len(again) == 0 {
		return err
	}
	_, err = readSequenceBatch(ctx, s, seqs, nil, again)
	return err
}

// readSequenceBatch reads, in one round trip, the sequences of byFunction with
// pg_sequence_last_value and those of exact one statement each. It returns the sequences
// of byFunction it found uncalled, whose value it could not read that way.
func readSequenceBatch(ctx context.Context, s *server, seqs []seqInfo, byFunction, exact []int) ([]int, error) {
	if len(byFunction)+len(exact) == 0 {
		return nil, nil
	}
	var stmts []string
	if len(byFunction) > 0 {
		stmts = append(stmts, lastValuesSQL(seqs, byFunction))
	}
	for _, i := range exact {
		stmts = append(stmts, "SELECT last_value, is_called FROM "+seqs[i].TableName.String())
	}
	results, err := s.conn.PgConn().Exec(ctx, strings.Join(stmts, ";\n")).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: read sequence values: %w", s.role, err)
	}
	var again []int
	if len(byFunction) > 0 {
		if again, err = scanLastValues(results[0], seqs, byFunction); err != nil {
			return nil, fmt.Errorf("%s: read sequence values: %w", s.role, err)
		}
		results = results[1:]
	}
	for k, i := range exact {
		if err := scanSequenceRow(results[k], &seqs[i]); err != nil {
			return nil, fmt.Errorf("%s: read sequence %s: %w", s.role, seqs[i].TableName, err)
		}
	}
	return again, nil
}

// lastValuesSQL reads pg_sequence_last_value of the sequences picked, by their oids, in
// their order.
func lastValuesSQL(seqs []seqInfo, picked []int) string {
	oids := make([]string, len(picked))
	for k, i := range picked {
		oids[k] = strconv.FormatInt(seqs[i].oid, 10)
	}
	return "SELECT pg_sequence_last_value(s) FROM unnest('{" + strings.Join(oids, ",") + "}'::oid[]) WITH ORDINALITY AS t(s, n) ORDER BY n"
}

// scanLastValues records the values read by lastValuesSQL, and returns the sequences it
// found uncalled.
func scanLastValues(res *pgconn.Result, seqs []seqInfo, picked []int) ([]int, error) {
	if len(res.Rows) != len(picked) {
		return nil, fmt.Errorf("%d values for %d sequences", len(res.Rows), len(picked))
	}
	var uncalled []int
	for k, i := range picked {
		if res.Rows[k][0] == nil {
			uncalled = append(uncalled, i)
			continue
		}
		last, err := strconv.ParseInt(string(res.Rows[k][0]), 10, 64)
		if err != nil {
			return nil, err
		}
		seqs[i].setRead(last, true)
	}
	return uncalled, nil
}

// scanSequenceRow records the row of SELECT last_value, is_called FROM a sequence.
func scanSequenceRow(res *pgconn.Result, q *seqInfo) error {
	if len(res.Rows) != 1 || len(res.Rows[0]) != 2 {
		return fmt.Errorf("unexpected answer: %d rows", len(res.Rows))
	}
	last, err := strconv.ParseInt(string(res.Rows[0][0]), 10, 64)
	if err != nil {
		return err
	}
	q.setRead(last, string(res.Rows[0][1]) == "t")
	return nil
}

// setRead records a sequence's last_value and is_called.
func (q *seqInfo) setRead(last int64, called bool) {
	q.read, q.called = true, called
	q.next, q.exhausted = last, false
	if called {
		q.next, q.exhausted = stepSequence(last, q.increment, q.min, q.max)
	}
}
