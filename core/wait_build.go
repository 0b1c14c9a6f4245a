package core

import (
	"context"
	"sync"
	"time"
)

// waitBuilder builds the deferred indexes beside wait's checks: it starts BuildIndexes
// whenever a check finds units left and nobody building them, so that a wait after setup,
// or after a crash, carries the work on.
type waitBuilder struct {
	m         Migration
	jobs      int
	interval  time.Duration
	obs       Observer
	done      chan buildReturn // while a build runs
	cancel    context.CancelFunc
	notBefore time.Time // after a run that found the work taken, or stuck
}

// ensure starts a build when st shows deferred units left and no builder.
func (w *waitBuilder) ensure(ctx context.Context, st *Status) {
	if w.done != nil {
		select {
		case r := <-w.done:
			w.finished(ctx, r)
		default:
			return
		}
	}
	if st.Indexes.Pending() == 0 || st.Indexes.Builder != nil || time.Now().Before(w.notBefore) {
		return
	}
	buildCtx, cancel := context.WithCancel(ctx)
	w.done, w.cancel = make(chan buildReturn, 1), cancel
	go func() {
		res, err := buildDeferred(buildCtx, w.m, w.jobs, w.interval, w.obs)
		w.done <- buildReturn{res, err}
	}()
}

type buildReturn struct {
	res *BuildIndexesResult
	err error
}

func (w *waitBuilder) finished(ctx context.Context, r buildReturn) {
	w.cancel()
	w.done, w.cancel = nil, nil
	switch {
	case r.err != nil && ctx.Err() == nil:
		w.obs.emit(ctx, Event{Operation: "wait", Server: roleReplica, Warning: true, Message: "building the deferred indexes stopped: " + r.err.Error() + "; trying again"})
	case r.err == nil && (r.res.Busy || r.res.Pending > 0):
		w.notBefore = time.Now().Add(5 * w.interval) // someone else builds them, or what is left failed
	}
}

// stop ends a build that runs, and waits for it: a build cut short leaves nothing half made.
func (w *waitBuilder) stop() {
	if w.done == nil {
		return
	}
	w.cancel()
	<-w.done
	w.done = nil
}

// serialized is o with Progress never called from two goroutines at once: wait's checks and
// its builds report from their own.
func serialized(o Observer) Observer {
	if o.Progress == nil {
		return o
	}
	var mu sync.Mutex
	progress := o.Progress
	o.Progress = func(e Event) {
		mu.Lock()
		defer mu.Unlock()
		progress(e)
	}
	return o
}
