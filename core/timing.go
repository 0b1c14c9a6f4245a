package core

import (
	"context"
	"time"
)

// Waiting and measuring time.

// ms is d in milliseconds, as results report durations.
func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// stopwatch starts timing; each call of the function it returns is the time since the last
// call (or the start), in milliseconds.
func stopwatch() (lap func() float64) {
	last := time.Now()
	return func() float64 {
		now := time.Now()
		d := now.Sub(last)
		last = now
		return ms(d)
	}
}
