package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// approval is a destructive command waiting for its button.
type approval struct {
	ID           string
	Migration    string
	Command      string
	Args         command
	Requester    string
	TeamID       string
	Channel      string
	MessageTS    string
	SecondPerson bool
	CreatedAt    time.Time
	ExpiresAt    time.Time
	State        string
	DecidedBy    string
	DecidedAt    *time.Time
	AuditID      int64
}

// Approval states.
const (
	approvalPending   = "pending"
	approvalApproved  = "approved"
	approvalCancelled = "cancelled"
	approvalExpired   = "expired"
)

func (s *store) approvalInsert(ctx context.Context, a approval) error {
	args, err := json.Marshal(a.Args)
	if err != nil {
		return err
	}
	_, err = s.pool.Exec(ctx, q("approval_insert"), a.ID, a.Migration, a.Command, args, a.Requester, a.TeamID,
		a.Channel, a.SecondPerson, a.CreatedAt, a.ExpiresAt, a.AuditID)
	if err != nil {
		return fmt.Errorf("save approval: %w", err)
	}
	return nil
}

func (s *store) approvalMessage(ctx context.Context, id, ts string) error {
	if _, err := s.pool.Exec(ctx, q("approval_message"), id, ts); err != nil {
		return fmt.Errorf("save approval: %w", err)
	}
	return nil
}

var errNoApproval = errors.New("no such approval")

func (s *store) approvalGet(ctx context.Context, id string) (*approval, error) {
	var a approval
	var args []byte
	err := s.pool.QueryRow(ctx, q("approval_get"), id).Scan(&a.ID, &a.Migration, &a.Command, &args, &a.Requester,
		&a.TeamID, &a.Channel, &a.MessageTS, &a.SecondPerson, &a.CreatedAt, &a.ExpiresAt, &a.State, &a.DecidedBy, &a.DecidedAt, &a.AuditID)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, errNoApproval
	}
	if err != nil {
		return nil, fmt.Errorf("read approval: %w", err)
	}
	if err := json.Unmarshal(args, &a.Args); err != nil {
		return nil, fmt.Errorf("read approval: %w", err)
	}
	return &a, nil
}

// approvalDecide moves a pending approval to state, once; false when it was not pending
// (already decided, or expired).
func (s *store) approvalDecide(ctx context.Context, id, state, by string, now time.Time) (bool, error) {
	return s.once(ctx, q("approval_decide"), id, state, by, now)
}

// approvalExpire marks a pending approval past its time as expired, once.
func (s *store) approvalExpire(ctx context.Context, id string, now time.Time) (bool, error) {
	return s.once(ctx, q("approval_expire"), id, now)
}

// once runs a statement that returns a row only when it changed something.
func (s *store) once(ctx context.Context, sql string, args ...any) (bool, error) {
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return false, err
	}
	defer rows.Close()
	changed := rows.Next()
	rows.Close()
	return changed, rows.Err()
}

// approvalsOverdue lists pending approvals past their expiry.
func (s *store) approvalsOverdue(ctx context.Context, now time.Time) ([]string, error) {
	rows, err := s.pool.Query(ctx, q("approval_overdue"), now)
	if err != nil {
		return nil, fmt.Errorf("read approvals: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}
