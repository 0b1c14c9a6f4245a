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
	// ErrInvalidOption: an option's value cannot be used (InvalidOptionError says which).
	ErrInvalidOption = errors.New("invalid option")
)

// HintError carries what the user should do next. Front ends print the error, then the
// remedy in their own words (Remedy.Render).
type HintError struct {
	Err  error
	Hint Remedy
}

func (e *HintError) Error() string { return e.Err.Error() }
func (e *HintError) Unwrap() error { return e.Err }

// withHint attaches a remedy to err.
func withHint(err error, r Remedy) error {
	if err == nil {
		return nil
	}
	return &HintError{Err: err, Hint: r}
}

// Hint returns the first remedy attached anywhere in err's chain; it IsZero when none is.
func Hint(err error) Remedy {
	var h *HintError
	if errors.As(err, &h) {
		return h.Hint
	}
	return Remedy{}
}

// refused builds an ErrRefused error with a reason and a remedy.
func refused(r Remedy, format string, args ...any) error {
	return withHint(fmt.Errorf("%w: %s", ErrRefused, fmt.Sprintf(format, args...)), r)
}

// InvalidOptionError is an option value core cannot use, such as a negative duration. It
// matches ErrInvalidOption; front ends name the option in their own words.
type InvalidOptionError struct {
	Option Option
	Reason string
}

func (e *InvalidOptionError) Error() string   { return fmt.Sprintf("option %s: %s", e.Option, e.Reason) }
func (e *InvalidOptionError) Is(t error) bool { return t == ErrInvalidOption }

// Render says the error in a front end's words: "--primary: invalid connection string".
func (e *InvalidOptionError) Render(s Speller) string { return s.Option(e.Option) + ": " + e.Reason }

// InvalidOptions lists the InvalidOptionErrors in err, joined ones included, for a front end
// to report each in its own words; none when err holds none.
func InvalidOptions(err error) []*InvalidOptionError {
	var out []*InvalidOptionError
	var walk func(error)
	walk = func(err error) {
		var e *InvalidOptionError
		switch x := err.(type) {
		case nil:
		case interface{ Unwrap() []error }:
			for _, inner := range x.Unwrap() {
				walk(inner)
			}
		default:
			if errors.As(err, &e) {
				out = append(out, e)
			}
		}
	}
	walk(err)
	return out
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
