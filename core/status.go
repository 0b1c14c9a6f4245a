package core

import (
	"context"
	"time"
)

// StatusOptions configures GetStatus and Wait.
type StatusOptions struct {
	Migration
	MaxLag          int64         // lag in bytes under which the migration is ready; DefaultMaxLag when 0
	SentinelTimeout time.Duration // how long to wait for the sentinel row; DefaultSentinelTimeout when 0
	NoSentinel      bool          // do not write a sentinel row to the primary
	Observer
}

// withDefaults applies the rule for zero (defaults.go) to every option.
func (o StatusOptions) withDefaults() (StatusOptions, error) {
	var err error
	if o.MaxLag, err = orDefault(OptMaxLag, o.MaxLag, DefaultMaxLag); err != nil {
		return o, err
	}
	if o.SentinelTimeout <= 0 { // not an option of any front end
		o.SentinelTimeout = DefaultSentinelTimeout
	}
	return o, nil
}

// GetStatus reports on a migration's replication: per-table state, lag, a sentinel round
// trip, slot safety, schema drift, and a verdict with its reasons.
func GetStatus(ctx context.Context, opts StatusOptions) (*Status, error) {
	ctx, end, err := opts.reserve(ctx, "status", need{rolePrimary: 1, roleReplica: 1})
	if err != nil {
		return nil, err
	}
	defer end()
	c, err := newStatusChecker(ctx, opts, "status")
	if err != nil {
		return nil, err
	}
	defer c.close()
	return c.check(ctx)
}
