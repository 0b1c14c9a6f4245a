package core

import (
	"context"
	"time"
)

// StatusOptions configures GetStatus and Wait.
type StatusOptions struct {
	Migration
	MaxLag          int64         // lag in bytes under which the migration is ready; DefaultMaxLag when 0
	SentinelTimeout time.Duration // how long to wait for the sentinel row; 5s when 0
	NoSentinel      bool          // do not write a sentinel row to the primary
	Observer
}

func (o StatusOptions) maxLag() int64 {
	if o.MaxLag <= 0 {
		return DefaultMaxLag
	}
	return o.MaxLag
}

func (o StatusOptions) sentinelTimeout() time.Duration {
	if o.SentinelTimeout <= 0 {
		return 5 * time.Second
	}
	return o.SentinelTimeout
}

// GetStatus reports on a migration's replication: per-table state, lag, a sentinel round
// trip, slot safety, schema drift, and a verdict with its reasons.
func GetStatus(ctx context.Context, opts StatusOptions) (*Status, error) {
	c, err := newStatusChecker(ctx, opts, "status")
	if err != nil {
		return nil, err
	}
	defer c.close()
	return c.check(ctx)
}
