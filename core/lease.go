package core

import (
	"context"
	"fmt"
	"slices"
	"sync"
)

// Client says who connects to a migration's servers: its name goes into the
// application_name of every connection, so that the servers' operators can see and count
// them, and its budget bounds how many are open at once on each server.
type Client struct {
	Name   string  // the front end: "cli", "bot", "action"; names its connections
	Budget *Budget // nil: no bound
}

// need is how many connections an operation holds at most at once on each server, by role.
type need map[string]int

// lease is one operation's share of its client's budget: what it reserved on each server and
// how many of those connections are open. An operation reserves everything it will need when
// it begins, in one order of servers, so that two operations never each hold a part of what
// the other waits for. The operation's context carries the lease down to the code that
// connects, deep inside it (the operation lock, verify's workers, the pause's watcher).
type lease struct {
	client    Client
	operation string
	mu        sync.Mutex
	reserved  need
	open      need
}

type leaseKey struct{}

// strictLeases makes a connection beyond the operation's reservation, or outside any
// operation, an error even when the budget has room: the tests set it, so that every
// operation's declared need is checked by the suite.
var strictLeases = false

// roleOrder is the order in which an operation reserves servers.
var roleOrder = []string{rolePrimary, roleReplica, roleProxy}

// begin reserves what operation needs from the client's budget and returns a context that
// carries the reservation, and the function that gives it back. Inside an operation that
// already holds a lease (Wait checking status, cutover checking readiness), it reserves
// nothing more: the outer operation's need covers the inner one's.
func (c Client) begin(ctx context.Context, operation string, n need) (context.Context, func(), error) {
	if leaseOf(ctx) != nil {
		return ctx, func() {}, nil
	}
	l := &lease{client: c, operation: operation, reserved: need{}, open: need{}}
	roles := make([]string, 0, len(n))
	for role := range n {
		roles = append(roles, role)
	}
	slices.SortFunc(roles, func(a, b string) int { return rank(a) - rank(b) })
	for _, role := range roles {
		if n[role] <= 0 {
			continue
		}
		if c.Budget != nil {
			if n[role] > c.Budget.perServer {
				l.end()
				return nil, nil, withHint(fmt.Errorf("%s needs %d connections to the %s at once, and the connection budget allows %d", operation, n[role], role, c.Budget.perServer),
					remedy("raise ", OptConnections, fmt.Sprintf(" to at least %d", n[role])))
			}
			if err := c.Budget.acquire(ctx, role, n[role]); err != nil {
				l.end()
				return nil, nil, fmt.Errorf("%s: waiting for a connection to the %s within the connection budget: %w", operation, role, err)
			}
		}
		l.reserved[role] = n[role]
	}
	return context.WithValue(ctx, leaseKey{}, l), l.end, nil
}

// rank orders roles as roleOrder does, other names after them by name.
func rank(role string) int {
	if i := slices.Index(roleOrder, role); i >= 0 {
		return i
	}
	return len(roleOrder)
}

func leaseOf(ctx context.Context) *lease {
	l, _ := ctx.Value(leaseKey{}).(*lease)
	return l
}

// applicationName names a connection of operation for pg_stat_activity.
func (l *lease) applicationName(operation string) string {
	if l == nil || l.client.Name == "" {
		return "pghandoff " + operation
	}
	return "pghandoff " + l.client.Name + " " + operation
}

// take counts one more open connection to role's server.
func (l *lease) take(role string) error {
	if l == nil {
		if strictLeases {
			return fmt.Errorf("internal error: a connection to the %s outside any operation's lease", role)
		}
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[role] >= l.reserved[role] {
		if err := l.overdraw(role); err != nil {
			return err
		}
	}
	l.open[role]++
	return nil
}

// overdraw takes one connection beyond the reservation: never under test (there it means
// the operation's need is wrong), from the budget only when one is free now (waiting while
// holding the rest of the reservation could wait for ever), and freely without a budget.
func (l *lease) overdraw(role string) error {
	switch {
	case strictLeases:
	case l.client.Budget == nil, l.client.Budget.tryAcquire(role):
		l.reserved[role]++
		return nil
	}
	return fmt.Errorf("internal error: %s opened more connections to the %s than the %d it reserved", l.operation, role, l.reserved[role])
}

// give counts one connection to role's server closed.
func (l *lease) give(role string) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[role] > 0 {
		l.open[role]--
	}
}

// end gives the reservation back to the budget.
func (l *lease) end() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.client.Budget != nil {
		for role, n := range l.reserved {
			l.client.Budget.release(role, n)
		}
	}
	l.reserved = need{}
}
