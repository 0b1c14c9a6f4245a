package core

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestNewBudget(t *testing.T) {
	b, err := NewBudget(0)
	if err != nil || b.PerServer() != DefaultConnections {
		t.Fatalf("NewBudget(0) = %v, %v; want the default, %d", b, err, DefaultConnections)
	}
	for _, n := range []int{-1, MinConnections - 1} {
		var invalid *InvalidOptionError
		if _, err := NewBudget(n); !errors.As(err, &invalid) || invalid.Option != OptConnections {
			t.Errorf("NewBudget(%d): %v, want an InvalidOptionError naming %s", n, err, OptConnections)
		}
	}
}

// An operation that needs more than the budget is refused at once with what to raise,
// instead of waiting for ever.
func TestBudgetRefusesANeedItCannotMeet(t *testing.T) {
	b, _ := NewBudget(3)
	_, _, err := Client{Budget: b}.begin(context.Background(), "verify", need{rolePrimary: 4})
	if err == nil || !strings.Contains(err.Error(), "needs 4 connections to the primary") {
		t.Fatalf("got %v", err)
	}
	if h := Hint(err).Render(PlainSpeller{}); !strings.Contains(h, "connections") {
		t.Fatalf("the remedy %q does not name the budget's option", h)
	}
}

// Operations wait their turn for the budget, and are counted while they wait; an operation
// inside another (wait's status checks) reserves nothing more.
func TestBudgetQueuesOperations(t *testing.T) {
	b, _ := NewBudget(3)
	c := Client{Name: "bot", Budget: b}
	ctx := context.Background()
	first, endFirst, err := c.begin(ctx, "cutover", need{rolePrimary: 2, roleProxy: 3})
	if err != nil {
		t.Fatal(err)
	}
	if inner, endInner, err := c.begin(first, "status", need{rolePrimary: 1}); err != nil || leaseOf(inner) != leaseOf(first) {
		t.Fatalf("a nested operation did not share its outer lease: %v", err)
	} else {
		endInner()
	}
	started := make(chan func())
	go func() {
		_, end, err := c.begin(ctx, "setup", need{rolePrimary: 3})
		if err != nil {
			t.Error(err)
		}
		started <- end
	}()
	deadline := time.Now().Add(10 * time.Second)
	for b.Waiting() != 1 {
		if time.Now().After(deadline) {
			t.Fatal("the second operation is not counted as waiting")
		}
		time.Sleep(time.Millisecond)
	}
	select {
	case <-started:
		t.Fatal("the second operation started beyond the budget")
	case <-time.After(50 * time.Millisecond):
	}
	endFirst()
	(<-started)()
	if b.Waiting() != 0 {
		t.Fatalf("%d still counted as waiting", b.Waiting())
	}
}

// A connection beyond what the operation reserved is an error under test: the suite checks
// every operation's declared need.
func TestLeaseCountsConnections(t *testing.T) {
	ctx, end, err := Client{Name: "cli"}.begin(context.Background(), "who", need{rolePrimary: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer end()
	l := leaseOf(ctx)
	if got := l.applicationName("who"); got != "pghandoff cli who" {
		t.Errorf("application_name %q", got)
	}
	if err := l.take(rolePrimary); err != nil {
		t.Fatal(err)
	}
	if err := l.take(rolePrimary); err == nil {
		t.Fatal("a second connection to the primary was allowed beyond the reservation")
	}
	l.give(rolePrimary)
	if err := l.take(rolePrimary); err != nil {
		t.Fatalf("a closed connection still counts: %v", err)
	}
	if err := (*lease)(nil).take(rolePrimary); err == nil {
		t.Fatal("a connection outside any operation was allowed under test")
	}
}
