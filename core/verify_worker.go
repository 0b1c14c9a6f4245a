package core

import (
	"context"
	"fmt"
)

// checkWorker compares tables at a consistency point, with a connection to either server.
type checkWorker struct {
	s              stream
	point          *consistencyPoint
	aligned        bool
	source, target *server
}

func (w *checkWorker) run(ctx context.Context, work <-chan TableName, done func(TableCheck)) error {
	for _, side := range []**server{&w.source, &w.target} {
		role := w.s.source
		if side == &w.target {
			role = w.s.target
		}
		s, err := openServer(ctx, role.role, role.dsn, "verify")
		if err != nil {
			return err
		}
		defer s.close()
		if _, err := s.conn.Exec(ctx, verifySession); err != nil {
			return fmt.Errorf("%s: %w", s.role, err)
		}
		*side = s
	}
	for t := range work {
		c, err := w.check(ctx, t)
		if err != nil {
			return err
		}
		done(c)
	}
	return ctx.Err()
}

// check compares one table: the target as it stands at the point, the source in the
// snapshots just before and just after it. The target equal to the source after is a match:
// the target cannot hold a write that came after the sentinel, so the table took none, and
// holds every one before. Otherwise, when the two snapshots differ, the table changed at the
// point and is not compared; when the point is not aligned, a difference cannot tell a
// mismatch from a table still changing.
func (w *checkWorker) check(ctx context.Context, t TableName) (TableCheck, error) {
	c := TableCheck{TableName: t}
	var src, tgt, after sum
	var err error
	if w.aligned {
		src, err = w.sumIn(ctx, t, w.point.before)
		if err == nil {
			after, err = w.sumIn(ctx, t, w.point.after)
		}
	} else {
		src, err = sumOf(ctx, w.source, t)
	}
	if err == nil {
		tgt, err = sumOf(ctx, w.target, t)
	}
	if ctx.Err() != nil {
		return c, ctx.Err()
	}
	if w.aligned && tgt == after {
		src = after
	}
	primary, replica := src, tgt
	if w.s.back {
		primary, replica = tgt, src
	}
	c.PrimaryRows, c.PrimaryChecksum, c.ReplicaRows, c.ReplicaChecksum = primary.rows, primary.checksum, replica.rows, replica.checksum
	switch {
	case err != nil:
		c.Error = err.Error()
	case w.aligned && src != after:
		c.Changing = true
	default:
		c.Match = src == tgt
		c.Changing = !c.Match && !w.aligned
	}
	return c, nil
}

// sum is a table's row count and checksum.
type sum struct {
	rows     int64
	checksum string
}

func sumOf(ctx context.Context, s *server, t TableName) (sum, error) {
	var r sum
	if err := s.conn.QueryRow(ctx, fmt.Sprintf(checksumSQL, t)).Scan(&r.rows, &r.checksum); err != nil {
		return r, fmt.Errorf("%s: %w", s.role, err)
	}
	return r, nil
}

// sumIn sums a table of the source in an exported snapshot.
func (w *checkWorker) sumIn(ctx context.Context, t TableName, snapshot string) (sum, error) {
	if _, err := w.source.conn.Exec(ctx, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET TRANSACTION SNAPSHOT "+literal(snapshot)); err != nil {
		rollback(w.source)
		return sum{}, fmt.Errorf("%s: read in verify's snapshot: %w", w.source.role, err)
	}
	r, err := sumOf(ctx, w.source, t)
	rollback(w.source)
	return r, err
}
