package core

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// BuildIndexesOptions configures BuildIndexes.
type BuildIndexesOptions struct {
	Migration
	Jobs     int           // builds at once; DefaultJobs when 0 (deferred_lock.go bounds it)
	Interval time.Duration // between looks at the tables' synchronisation; DefaultWaitInterval when 0
	Observer
}

// BuildIndexesResult is what BuildIndexes did.
type BuildIndexesResult struct {
	Name string `json:"name"`
	// Busy: another pghandoff (a wait, the bot) is building them; this one built nothing.
	Busy    bool             `json:"busy"`
	Jobs    int              `json:"jobs"` // builds at once
	Built   []DeferredObject `json:"built"`
	Pending int              `json:"pending"` // left: failed, or stopped before their turn
}

// maxBuildAttempts is how often a build that fails (other than on a lock) is tried in one
// run before it is left for a person: a duplicate key in a unique index does not go away.
const maxBuildAttempts = 3

// BuildIndexes builds the indexes and constraints setup left for after the copy, each as soon
// as the tables it involves are synchronised, several at once, until every one is built; a
// unit that keeps failing is left, with its error, for status to show. Wait runs it while it
// waits; so can a long-running front end (the bot, status --serve). Only one runs per
// migration at a time: a second returns at once, Busy.
func BuildIndexes(ctx context.Context, opts BuildIndexesOptions) (*BuildIndexesResult, error) {
	if err := opts.requireRoles(roleReplica); err != nil {
		return nil, err
	}
	jobs, err := buildJobs(opts.Jobs, opts.Client.Budget, 1)
	if err != nil {
		return nil, err
	}
	if opts.Interval, err = orDefault(OptInterval, opts.Interval, DefaultWaitInterval); err != nil {
		return nil, err
	}
	ctx, end, err := opts.reserve(ctx, "build indexes", need{roleReplica: 1 + jobs})
	if err != nil {
		return nil, err
	}
	defer end()
	return buildDeferred(ctx, opts.Migration, jobs, opts.Interval, opts.Observer)
}

// buildDeferred is BuildIndexes within an operation that reserved its connections.
func buildDeferred(ctx context.Context, m Migration, jobs int, interval time.Duration, obs Observer) (*BuildIndexesResult, error) {
	res := &BuildIndexesResult{Name: m.name(), Built: []DeferredObject{}}
	lock, err := takeBuildLock(ctx, m)
	if err != nil || lock == nil {
		res.Busy = err == nil
		return res, err
	}
	defer lock.close()
	limits, err := readBuildLimits(ctx, lock)
	if err != nil {
		return res, err
	}
	res.Jobs = limits.jobs(jobs)
	settings, err := lock.queryStrings(ctx, "SELECT name::text FROM pg_settings")
	if err != nil {
		return res, wrapRole(lock, "list settings", err)
	}
	b := &builder{m: m, lock: lock, jobs: res.Jobs, obs: obs, res: res, settings: settings, running: map[objectKey]bool{},
		failures: map[objectKey]int{}, finished: make(chan buildOutcome, res.Jobs)}
	defer b.close()
	return res, b.run(ctx, interval)
}

// builder hands the deferred units to up to jobs connections to the replica, each when the
// tables it involves are synchronised and what it relies on is built.
type builder struct {
	m        Migration
	lock     *server // holds the build lock; reads the units and the tables' states
	jobs     int
	settings []string // the replica's: pg_dump may set one an older server lacks
	idle     []*server
	opened   int
	obs      Observer
	emitMu   sync.Mutex // core never calls Progress from two goroutines at once
	res      *BuildIndexesResult
	running  map[objectKey]bool
	failures map[objectKey]int // failed attempts in this run
	finished chan buildOutcome
}

type buildOutcome struct {
	unit storedUnit
	conn *server
	err  error
}

// run builds until no unit is left that this run can build, or ctx ends.
func (b *builder) run(ctx context.Context, interval time.Duration) error {
	for {
		units, err := readDeferred(ctx, b.lock, b.m)
		if err != nil {
			return b.drain(ctx, err)
		}
		states, err := syncStates(ctx, b.lock, b.m)
		if err != nil {
			return b.drain(ctx, err)
		}
		left := b.dispatch(ctx, units, states)
		b.res.Pending = left
		if left == 0 || (len(b.running) == 0 && b.stuck(units)) {
			return nil
		}
		select {
		case o := <-b.finished:
			b.collect(ctx, o)
		case <-time.After(interval):
		case <-ctx.Done():
			return b.drain(ctx, ctx.Err())
		}
	}
}

// dispatch starts every unit that can be built now, while connections allow; it returns how
// many units are not built yet.
func (b *builder) dispatch(ctx context.Context, units []storedUnit, states map[string]string) int {
	left := 0
	built := map[string]bool{}
	for _, u := range units {
		built[string(u.key)] = u.done
	}
	for _, u := range units {
		if u.done {
			continue
		}
		left++
		if b.running[u.key] || b.failures[u.key] >= maxBuildAttempts || !u.buildable(states, built) {
			continue
		}
		conn, err := b.connection(ctx)
		if err != nil {
			b.emit(ctx, true, "cannot open another connection to the replica for %s %s: %v", u.kind, u.object, err)
			break
		}
		if conn == nil {
			break // every job is busy
		}
		b.running[u.key] = true
		go func() {
			b.finished <- buildOutcome{unit: u, conn: conn, err: b.build(ctx, conn, u)}
		}()
	}
	return left
}

// syncStates are the synchronisation states (pg_subscription_rel.srsubstate) of the
// subscription's tables on the replica, by quoted name.
func syncStates(ctx context.Context, replica *server, m Migration) (map[string]string, error) {
	rows, err := replica.conn.Query(ctx, subscriptionTablesSQL, m.name())
	if err != nil {
		return nil, wrapRole(replica, "read table states", err)
	}
	states := map[string]string{}
	return states, forEachRow(rows, func(row pgx.CollectableRow) error {
		var t TableName
		var state string
		err := row.Scan(&t.Schema, &t.Name, &state)
		states[t.String()] = state
		return err
	})
}

// buildable reports whether every table the unit involves is synchronised, and every unit
// it relies on is built.
func (u storedUnit) buildable(states map[string]string, built map[string]bool) bool {
	for _, t := range u.gate {
		if states[t] != "r" {
			return false
		}
	}
	for _, a := range u.after {
		if !built[a] {
			return false
		}
	}
	return true
}

// stuck reports whether every unit left has failed too often in this run, or relies on one
// that has: nothing more will come of waiting.
func (b *builder) stuck(units []storedUnit) bool {
	failed := map[string]bool{}
	for _, u := range units {
		failed[string(u.key)] = b.failures[u.key] >= maxBuildAttempts
	}
	for _, u := range units {
		if u.done || failed[string(u.key)] {
			continue
		}
		blocked := false
		for _, a := range u.after {
			blocked = blocked || failed[a]
		}
		if !blocked {
			return false
		}
	}
	return true
}

// collect takes a finished build back: its connection returns to the pool unless the build
// broke it.
func (b *builder) collect(ctx context.Context, o buildOutcome) {
	delete(b.running, o.unit.key)
	switch {
	case o.conn.conn.IsClosed():
		o.conn.close()
		b.opened--
	default:
		b.idle = append(b.idle, o.conn)
	}
	obj := DeferredObject{Table: o.unit.table, Kind: o.unit.kind, Object: o.unit.object}
	switch {
	case o.err == nil:
		b.res.Built = append(b.res.Built, obj)
	case ctx.Err() != nil:
	case sqlState(o.err) == codeLockNotAvailable:
		b.emit(ctx, false, "%s %s on %s waits for a lock; trying again later", obj.Kind, obj.Object, obj.Table)
	default:
		b.failures[o.unit.key]++
		b.emit(ctx, true, "building %s %s on %s failed: %v", obj.Kind, obj.Object, obj.Table, o.err)
		_ = recordFailure(ctx, b.lock, b.m, o.unit.key, o.err)
	}
}

// connection is an idle connection to the replica, a new one while fewer than jobs are open,
// or nil when every job is busy.
func (b *builder) connection(ctx context.Context) (*server, error) {
	if n := len(b.idle); n > 0 {
		c := b.idle[n-1]
		b.idle = b.idle[:n-1]
		return c, nil
	}
	if b.opened >= b.jobs {
		return nil, nil
	}
	c, err := openServer(ctx, roleReplica, b.m.Replica, "build indexes")
	if err != nil {
		return nil, err
	}
	b.opened++
	return c, nil
}

// drain waits for the builds running to end (ctx's end cancels them) and returns err.
func (b *builder) drain(ctx context.Context, err error) error {
	for len(b.running) > 0 {
		b.collect(ctx, <-b.finished)
	}
	return err
}

func (b *builder) close() {
	for _, c := range b.idle {
		c.close()
	}
	b.idle = nil
}

func (b *builder) emit(ctx context.Context, warning bool, format string, args ...any) {
	b.emitMu.Lock()
	defer b.emitMu.Unlock()
	b.obs.emit(ctx, Event{Operation: "build indexes", Server: roleReplica, Warning: warning, Message: fmt.Sprintf(format, args...)})
}
