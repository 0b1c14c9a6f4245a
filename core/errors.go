package core

import (
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"
)

// Sentinel errors the front ends branch on (exit codes, Slack verdicts, Action outputs).
var (
	// ErrNotReady: replication has not caught up (wait timed out, cutover refused).
	ErrNotReady = errors.New("replication is not ready")
	// ErrLocked: another pghandoff operation holds the migration's operation lock.
	ErrLocked = errors.New("migration is locked by another operation")
	// ErrRefused: a safety check stopped the operation before it changed anything.
	ErrRefused = errors.New("refused")
	// ErrNotFound: the migration's objects do not exist where the operation needs them.
	ErrNotFound = errors.New("not set up")
)

// HintError carries what the user should do next. Front ends print the error, then the hint.
type HintError struct {
	Err  error
	Hint string
}

func (e *HintError) Error() string { return e.Err.Error() }
func (e *HintError) Unwrap() error { return e.Err }

// withHint attaches a remedy to err.
func withHint(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	return &HintError{Err: err, Hint: fmt.Sprintf(format, args...)}
}

// Hint returns the first remedy attached anywhere in err's chain, or "".
func Hint(err error) string {
	var h *HintError
	if errors.As(err, &h) {
		return h.Hint
	}
	return ""
}

// refused builds an ErrRefused error with a reason and a remedy.
func refused(hint, format string, args ...any) error {
	return withHint(fmt.Errorf("%w: %s", ErrRefused, fmt.Sprintf(format, args...)), "%s", hint)
}

// SQLSTATE codes pghandoff branches on.
const (
	codeLockNotAvailable   = "55P03"
	codeInvalidPassword    = "28P01"
	codeInvalidAuth        = "28000"
	codeInvalidCatalogName = "3D000"
	codeInsufficientPriv   = "42501"
)

// sqlState returns the SQLSTATE of a PostgreSQL error in err's chain, or "".
func sqlState(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code
	}
	return ""
}
