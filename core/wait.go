package core

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// WaitOptions configures Wait.
type WaitOptions struct {
	StatusOptions
	Timeout  time.Duration // give up after this long; DefaultWaitTimeout (no limit) when 0
	Interval time.Duration // between checks; DefaultWaitInterval when 0
	// OnStatus, when set, receives every status the wait sees, for progress.
	OnStatus func(*Status)
}

// Wait checks the migration's status until it is ready or the timeout passes. On timeout it
// returns the last status and an error matching ErrNotReady, with the reasons.
func Wait(ctx context.Context, opts WaitOptions) (*Status, error) {
	var err error
	if opts.Interval, err = orDefault(OptInterval, opts.Interval, DefaultWaitInterval); err != nil {
		return nil, err
	}
	if opts.Timeout, err = orDefault(OptTimeout, opts.Timeout, DefaultWaitTimeout); err != nil {
		return nil, err
	}
	ctx, end, err := opts.reserve(ctx, "wait", need{rolePrimary: 1, roleReplica: 1})
	if err != nil {
		return nil, err
	}
	defer end()
	c, err := newStatusChecker(ctx, opts.StatusOptions, "wait")
	if err != nil {
		return nil, err
	}
	defer c.close()
	waitCtx := ctx
	if opts.Timeout > 0 {
		var cancel context.CancelFunc
		waitCtx, cancel = context.WithTimeout(ctx, opts.Timeout)
		defer cancel()
	}
	var last *Status
	for {
		st, err := c.check(waitCtx)
		if err != nil {
			if last != nil && errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
				return last, timedOut(opts.Timeout, last)
			}
			return last, err
		}
		last = st
		if opts.OnStatus != nil {
			opts.OnStatus(st)
		}
		if st.State == StateNotSetUp {
			// Nothing will change by waiting.
			return st, withHint(fmt.Errorf("%w: migration %s", ErrNotFound, st.Name), remedy("run ", CmdSetup, " first"))
		}
		if st.Ready {
			return st, nil
		}
		if err := sleep(waitCtx, opts.Interval); err != nil {
			if ctx.Err() == nil {
				return last, timedOut(opts.Timeout, last)
			}
			return last, err
		}
	}
}

func timedOut(timeout time.Duration, st *Status) error {
	return fmt.Errorf("%w after %s: %s", ErrNotReady, timeout, joinReasons(st.Reasons))
}
