package core_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pghandoff/pghandoff/core"
	"github.com/pghandoff/pghandoff/internal/pgtest"
)

// A setup interrupted between any two statements, run again, converges to the same state as
// an uninterrupted one.
func TestSetupConvergesAfterCrash(t *testing.T) {
	pair := pgtest.Pairs(t)[1] // 15 → 17
	// Count the statements of a whole setup once.
	probe := newEnv(t, pair)
	probe.loadScenario()
	opts := probe.setupOptions()
	opts.ReplicaIdentityFull = true
	opts.DryRun = true
	plan, err := core.Setup(ctxFor(t, time.Minute), opts)
	if err != nil {
		t.Fatal(err)
	}
	total := len(plan.Statements)
	if total < 20 {
		t.Fatalf("only %d statements in a setup", total)
	}
	// Crash points: before each top-level step and inside the schema import.
	points := []int{1, 2, 3, 4, total / 2, total - 4, total - 3, total - 2, total - 1, total}
	for _, crashAt := range points {
		t.Run(fmt.Sprintf("at%d", crashAt), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, pair)
			e.loadScenario()
			ctx, cancel := context.WithCancel(ctxFor(t, 2*time.Minute))
			defer cancel()
			opts := e.setupOptions()
			opts.ReplicaIdentityFull = true
			seen := 0
			opts.Progress = func(ev core.Event) {
				if ev.SQL != "" {
					if seen++; seen == crashAt {
						cancel() // the process dies before running this statement
					}
				}
			}
			if _, err := core.Setup(ctx, opts); !errors.Is(err, context.Canceled) {
				t.Fatalf("interrupted setup returned %v", err)
			}
			opts.Progress = nil
			if _, err := core.Setup(ctxFor(t, 2*time.Minute), opts); err != nil {
				t.Fatalf("setup after a crash at statement %d of %d: %v", crashAt, total, err)
			}
			e.waitReady()
			e.assertSame()
			if again, err := core.Setup(ctxFor(t, time.Minute), opts); err != nil || again.Changed {
				t.Fatalf("third setup: %v, changed %v", err, again != nil && again.Changed)
			}
		})
	}
}

// Two setups of one migration at once: one runs, the other is refused at once by the
// operation lock, naming the holder.
func TestConcurrentSetupIsLocked(t *testing.T) {
	e := newEnv(t, pgtest.Pairs(t)[0])
	e.loadScenario()
	first := e.setupOptions()
	first.ReplicaIdentityFull = true
	holding := make(chan struct{})
	release := make(chan struct{})
	var once sync.Once
	first.Progress = func(ev core.Event) {
		if ev.SQL != "" {
			once.Do(func() { close(holding); <-release })
		}
	}
	done := make(chan error, 1)
	go func() {
		_, err := core.Setup(ctxFor(t, 2*time.Minute), first)
		done <- err
	}()
	<-holding
	second := e.setupOptions()
	second.ReplicaIdentityFull = true
	_, err := core.Setup(ctxFor(t, time.Minute), second)
	close(release)
	var locked *core.LockedError
	if !errors.As(err, &locked) || !errors.Is(err, core.ErrLocked) || locked.Holder == nil {
		t.Fatalf("second setup: got %v, want a LockedError with its holder", err)
	}
	if !strings.Contains(err.Error(), "pghandoff setup") || !strings.Contains(err.Error(), "pid") {
		t.Fatalf("lock error does not say who holds it: %v", err)
	}
	holder, err := core.LockStatus(ctxFor(t, time.Minute), e.m)
	if err != nil || holder == nil {
		t.Fatalf("LockStatus during setup: %v %v", holder, err)
	}
	if err := <-done; err != nil {
		t.Fatalf("first setup: %v", err)
	}
	if holder, err := core.LockStatus(ctxFor(t, time.Minute), e.m); err != nil || holder != nil {
		t.Fatalf("lock still held after setup: %v %v", holder, err)
	}
}
