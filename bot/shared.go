package bot

import (
	"context"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// shared lets many requests for the same read share one computation: a channel asking for
// the status of a migration at once, or a report and an alert check firing together, cost
// the database one check, not one each. Requests that come while an answer is being
// computed wait for it; an answer younger than maxAge answers later ones too, with its age.
type shared[T any] struct {
	group  singleflight.Group
	maxAge time.Duration
	now    func() time.Time // real time: how old an answer is, not the schedule's clock

	mu   sync.Mutex
	last map[string]answer[T]
}

// answer is one computed answer and when it was computed.
type answer[T any] struct {
	v  T
	at time.Time
}

func newShared[T any](maxAge time.Duration) *shared[T] {
	return &shared[T]{maxAge: maxAge, now: time.Now, last: map[string]answer[T]{}}
}

// get returns key's answer and when it was computed. compute runs on a context of its own
// (it serves every waiter, so one leaving must not cancel it); ctx bounds only this wait.
func (s *shared[T]) get(ctx context.Context, key string, compute func() (T, error)) (T, time.Time, error) {
	if a, ok := s.fresh(key); ok {
		return a.v, a.at, nil
	}
	ch := s.group.DoChan(key, func() (any, error) {
		v, err := compute()
		a := answer[T]{v: v, at: s.now()}
		if err == nil {
			s.mu.Lock()
			s.last[key] = a
			s.mu.Unlock()
		}
		return a, err
	})
	select {
	case res := <-ch:
		a, _ := res.Val.(answer[T])
		return a.v, a.at, res.Err
	case <-ctx.Done():
		var zero T
		return zero, time.Time{}, ctx.Err()
	}
}

func (s *shared[T]) fresh(key string) (answer[T], bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.last[key]
	return a, ok && s.now().Sub(a.at) < s.maxAge
}

// forget drops the answers whose keys match: after an operation changed the migration, an
// answer from before it is not reused.
func (s *shared[T]) forget(match func(key string) bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k := range s.last {
		if match(k) {
			delete(s.last, k)
			s.group.Forget(k) // a check already running started before the change too
		}
	}
}
