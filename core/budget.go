package core

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"golang.org/x/sync/semaphore"
)

// Budget bounds the connections a client holds at once on each server of a migration, so
// that a busy bot or a metrics loop never takes the slots the application needs. Operations
// wait their turn for it, first come first served. One Budget is shared by every operation
// of the client on the migration; it is safe for concurrent use.
type Budget struct {
	perServer int
	mu        sync.Mutex
	servers   map[string]*serverBudget
}

// serverBudget is the budget of one server: the connections free, and who waits for them.
type serverBudget struct {
	sem     *semaphore.Weighted
	waiting atomic.Int64
}

// NewBudget makes a budget of perServer connections on each server; DefaultConnections when 0.
func NewBudget(perServer int) (*Budget, error) {
	n, err := orDefault(OptConnections, perServer, DefaultConnections)
	if err != nil {
		return nil, err
	}
	if n < MinConnections {
		return nil, &InvalidOptionError{Option: OptConnections, Reason: fmt.Sprintf("must be at least %d: every operation needs that many connections to one server (its own and the operation lock's)", MinConnections)}
	}
	return &Budget{perServer: n, servers: map[string]*serverBudget{}}, nil
}

// PerServer is the number of connections the budget allows on each server.
func (b *Budget) PerServer() int { return b.perServer }

// Waiting is how many operations wait for connections within the budget: the queue in front
// of a new one. (An operation waits for one server at a time.)
func (b *Budget) Waiting() int {
	if b == nil {
		return 0
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for _, s := range b.servers {
		n += int(s.waiting.Load())
	}
	return n
}

func (b *Budget) server(role string) *serverBudget {
	b.mu.Lock()
	defer b.mu.Unlock()
	s, ok := b.servers[role]
	if !ok {
		s = &serverBudget{sem: semaphore.NewWeighted(int64(b.perServer))}
		b.servers[role] = s
	}
	return s
}

// acquire waits for n connections to role's server.
func (b *Budget) acquire(ctx context.Context, role string, n int) error {
	s := b.server(role)
	s.waiting.Add(1)
	defer s.waiting.Add(-1)
	return s.sem.Acquire(ctx, int64(n))
}

func (b *Budget) release(role string, n int) { b.server(role).sem.Release(int64(n)) }

// tryAcquire takes one more connection to role's server if one is free now.
func (b *Budget) tryAcquire(role string) bool { return b.server(role).sem.TryAcquire(1) }
