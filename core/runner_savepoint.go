package core

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5/pgconn"
)

// More of the runner (runner.go): statements a server may refuse without failing the
// operation, and long lists of statements in one transaction.

// tryExec runs sql (shown as shown, when it carries a secret) on s in a savepoint of the
// current transaction. The server's refusal (an error with a SQLSTATE) is undone and
// returned as refusal, for the operator to be told: a managed service may refuse an
// attribute or a membership that the rest of the operation does not need. Anything else
// (a lost connection, a cancelled context) is err.
func (r *runner) tryExec(ctx context.Context, s *server, sql, shown string) (refusal, err error) {
	if shown == "" {
		shown = sql
	}
	r.record(ctx, s, shown)
	if r.dryRun {
		return nil, nil
	}
	if _, err := s.conn.Exec(ctx, "SAVEPOINT pghandoff_try"); err != nil {
		return nil, fmt.Errorf("%s: %w", s.role, err)
	}
	_, execErr := s.conn.Exec(ctx, sql)
	var pgErr *pgconn.PgError
	if execErr != nil && !errors.As(execErr, &pgErr) {
		return nil, fmt.Errorf("%s: %s: %w", s.role, abbreviate(shown, 300), execErr)
	}
	end := "RELEASE SAVEPOINT pghandoff_try"
	if execErr != nil {
		refusal = fmt.Errorf("%s: %s: %w", s.role, abbreviate(shown, 300), pgErr)
		end = "ROLLBACK TO SAVEPOINT pghandoff_try"
	}
	if _, err := s.conn.Exec(ctx, end); err != nil {
		return nil, fmt.Errorf("%s: %w", s.role, err)
	}
	return refusal, nil
}

// batchesSize is how many short statements go to the server in one round trip: a remote
// server tens of milliseconds away would take minutes over thousands of GRANTs one by one.
const batchesSize = 200

// inBatches runs stmts on s in one transaction, batchesSize statements a round trip.
func (r *runner) inBatches(ctx context.Context, s *server, stmts []string) error {
	if len(stmts) == 0 {
		return nil
	}
	return r.transaction(ctx, s, func() error {
		for chunk := range slices.Chunk(stmts, batchesSize) {
			if err := r.batch(ctx, s, chunk); err != nil {
				return err
			}
		}
		return nil
	})
}

// transaction runs fn's statements on s between BEGIN and COMMIT, and ends the transaction
// when anything fails.
func (r *runner) transaction(ctx context.Context, s *server, fn func() error) error {
	if err := r.exec(ctx, s, "BEGIN", ""); err != nil {
		return err
	}
	err := fn()
	if err == nil {
		err = r.exec(ctx, s, "COMMIT", "")
	}
	if err != nil {
		rollback(s)
	}
	return err
}
