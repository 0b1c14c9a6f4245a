package bot

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// chatLock is a person's reservation of a migration from Slack.
type chatLock struct {
	Migration string
	Holder    string
	TeamID    string
	Reason    string
	Since     time.Time
	ExpiresAt time.Time
}

// lockTake takes or extends the lock; false when someone else holds it.
func (s *store) lockTake(ctx context.Context, l chatLock) (bool, error) {
	ok, err := s.once(ctx, q("lock_take"), l.Migration, l.Holder, l.TeamID, l.Reason, l.Since, l.ExpiresAt)
	if err != nil {
		return false, fmt.Errorf("take lock: %w", err)
	}
	return ok, nil
}

// lockGet returns the lock in force on a migration, or nil.
func (s *store) lockGet(ctx context.Context, migration string, now time.Time) (*chatLock, error) {
	var l chatLock
	err := s.pool.QueryRow(ctx, q("lock_get"), migration, now).Scan(&l.Migration, &l.Holder, &l.TeamID, &l.Reason, &l.Since, &l.ExpiresAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read lock: %w", err)
	}
	return &l, nil
}

// lockRelease releases the lock held by holder, or whoever holds it when holder is "".
func (s *store) lockRelease(ctx context.Context, migration, holder string) (bool, error) {
	ok, err := s.once(ctx, q("lock_release"), migration, holder)
	if err != nil {
		return false, fmt.Errorf("release lock: %w", err)
	}
	return ok, nil
}
