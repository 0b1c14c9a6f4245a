//go:build faults

package faults

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// directionWatch samples all along a scenario whether replication runs both ways: the
// forward subscription (on the replica) and the failsafe one (on the old primary) both
// enabled with an apply worker running. Then every change would come back to where it was
// made: applied twice, or stopped on a duplicate key.
type directionWatch struct {
	stop, done chan struct{}

	mu      sync.Mutex
	samples int
	both    int       // samples that found both running
	first   time.Time // the first of them
	err     error
}

// sampleEvery is the watch's period: short against a pause of tens of milliseconds.
const sampleEvery = 20 * time.Millisecond

// watchDirections starts the watch, with connections of its own; it stops when the test ends.
func (e *env) watchDirections() {
	e.t.Helper()
	primary, replica := e.primary.connect(e.t), e.replica.connect(e.t)
	d := &directionWatch{stop: make(chan struct{}), done: make(chan struct{})}
	go d.run(primary, replica, e.name, e.failsafeName())
	e.directions = d
	e.t.Cleanup(d.finish)
}

func (d *directionWatch) run(primary, replica *pgx.Conn, forward, failsafe string) {
	defer close(d.done)
	for {
		select {
		case <-d.stop:
			return
		case <-time.After(sampleEvery):
		}
		both, err := sampleBoth(primary, replica, forward, failsafe)
		d.mu.Lock()
		d.samples++
		if err != nil && d.err == nil {
			d.err = err
		}
		if both {
			if d.both == 0 {
				d.first = time.Now()
			}
			d.both++
		}
		d.mu.Unlock()
	}
}

// sampleBoth reads the failsafe, the forward subscription, then the failsafe again: both ran
// at once only if the failsafe ran before and after the forward one was seen running (two
// servers cannot be read at one instant, and at the switch one stops as the other starts).
func sampleBoth(primary, replica *pgx.Conn, forward, failsafe string) (bool, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for i, read := range []func() (subscription, error){
		func() (subscription, error) { return readSubscription(ctx, primary, failsafe) },
		func() (subscription, error) { return readSubscription(ctx, replica, forward) },
		func() (subscription, error) { return readSubscription(ctx, primary, failsafe) },
	} {
		s, err := read()
		if err != nil {
			return false, fmt.Errorf("sample %d: %w", i, err)
		}
		if !s.running {
			return false, nil
		}
	}
	return true, nil
}

// finish stops the watch; it is safe to call more than once.
func (d *directionWatch) finish() {
	select {
	case <-d.stop:
	default:
		close(d.stop)
	}
	<-d.done
}

// verdict says whether replication ran both ways, and when.
func (d *directionWatch) verdict() (bothWays string, err error) {
	d.finish()
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.both == 0 {
		return "", d.err
	}
	return fmt.Sprintf("replication ran both ways in %d of %d samples (every %s), first at %s",
		d.both, d.samples, sampleEvery, d.first.Format("15:04:05.000")), d.err
}
