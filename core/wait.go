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
	// Jobs is how many of the indexes and constraints setup left for after the copy wait
	// builds at once; DefaultJobs when 0 (BuildIndexes).
	Jobs int
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
	// The status checks' connections, and the builder's: its lock's, and one per job.
	jobs, err := buildJobs(opts.Jobs, opts.Client.Budget, 2)
	if err != nil {
		return nil, err
	}
	ctx, end, err := opts.reserve(ctx, "wait", need{rolePrimary: 1, roleReplica: 2 + jobs})
	if err != nil {
		return nil, err
	}
	defer end()
	opts.Observer = serialized(opts.Observer)
	c, err := newStatusChecker(ctx, opts.StatusOptions, "wait")
	if err != nil {
		return nil, err
	}
	defer c.close()
	b := &waitBuilder{m: opts.Migration, jobs: jobs, interval: opts.Interval, obs: opts.Observer}
	defer b.stop()
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
		b.ensure(ctx, st)
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
