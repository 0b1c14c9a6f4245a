package core

import (
	"context"
	"time"
)

// Running a list of statements as one transaction, and ending a failed one.

// step is one statement of a plan, with its display form when it carries a secret.
type step struct{ sql, shown string }

// runTransaction runs steps on s in one transaction; nothing when there are none.
func runTransaction(ctx context.Context, r *runner, s *server, steps []step) error {
	if len(steps) == 0 {
		return nil
	}
	return runTransactionWith(ctx, r, s, func() error {
		for _, st := range steps {
			if err := r.exec(ctx, s, st.sql, st.shown); err != nil {
				return err
			}
		}
		return nil
	})
}

// runTransactionWith runs body between BEGIN and COMMIT on s, and ends the transaction when
// either fails.
func runTransactionWith(ctx context.Context, r *runner, s *server, body func() error) error {
	err := r.exec(ctx, s, "BEGIN", "")
	if err == nil {
		err = body()
	}
	if err == nil {
		err = r.exec(ctx, s, "COMMIT", "")
	}
	if err != nil {
		rollback(s)
	}
	return err
}

// rollback ends a failed transaction; the caller's context may already be over.
func rollback(s *server) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, _ = s.conn.Exec(ctx, "ROLLBACK")
}
