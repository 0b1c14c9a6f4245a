package core

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"
)

// ErrMismatch: verify found tables whose rows differ between the primary and the replica.
var ErrMismatch = errors.New("data differs between primary and replica")

// ErrInconclusive: some tables changed at every point verify took, so it could not compare
// them. It matches ErrNotReady.
var ErrInconclusive = fmt.Errorf("verify could not compare every table: %w", ErrNotReady)

// VerifyOptions configures Verify.
type VerifyOptions struct {
	Migration
	Selection     // used when the migration has no publication (any more)
	Parallel  int // tables checked at once; DefaultVerifyParallel when 0
	Observer
}

// VerifyResult compares every table of the migration on both servers.
type VerifyResult struct {
	Name string `json:"name"`
	OK   bool   `json:"ok"`
	// Direction is the replication verify read at a point of: forward before a failsafe
	// switch, back to the old primary after it.
	Direction string `json:"direction"`
	// Aligned: every table was compared at one WAL position of that replication; when not
	// (it was behind or stopped), the servers were read as they were, and a table that
	// differs is counted as changing, not as a mismatch.
	Aligned    bool         `json:"aligned"`
	Points     []string     `json:"points"` // the source's WAL positions verify compared at
	Tables     []TableCheck `json:"tables"`
	Mismatches int          `json:"mismatches"`
	Changing   int          `json:"changing"` // tables that changed at every point
	Rows       int64        `json:"rows"`     // on the primary, over every table
	// Privileges compares the objects' privileges, when setup carried them: a GRANT the
	// replica lacks, or one it has that the primary does not, is a difference.
	Privileges *PrivilegeCheck `json:"privileges,omitempty"`
}

// TableCheck is one table's row count and order-independent checksum on both servers.
type TableCheck struct {
	TableName
	PrimaryRows     int64  `json:"primary_rows"`
	ReplicaRows     int64  `json:"replica_rows"`
	PrimaryChecksum string `json:"primary_checksum"`
	ReplicaChecksum string `json:"replica_checksum"`
	Match           bool   `json:"match"`
	// Changing: the table took writes at the moment of every point, so it was not compared.
	Changing bool   `json:"changing,omitempty"`
	Error    string `json:"error,omitempty"`
}

// checksumSQL sums a 64-bit hash of every row's text: independent of row order, sensitive to
// every value and to duplicates.
const checksumSQL = `SELECT count(*), coalesce(sum(('x' || substr(md5(t::text), 1, 16))::bit(64)::bigint::numeric), 0)::text FROM %s AS t`

// verifySession makes row text identical on both servers whatever their configuration.
const verifySession = `SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'postgres';
SET extra_float_digits = 1; SET bytea_output = 'hex'; SET statement_timeout = 0`

// verifyPoints is how many consistency points verify takes for tables that keep changing.
const verifyPoints = 5

// Verify compares each table of the migration on the primary and the replica, several
// tables at once, at one WAL position of the replication that runs (verify_point.go): while
// the application writes, a table is compared as both sides held it at that point. A table
// that took a write at the very moment of the point is compared again at a new one, and is
// reported as changing if it does so every time. Before a failsafe switch the replication is
// primary → replica; after one, replica → old primary. After a switch without the failsafe
// the sides differ by design, and verify refuses. It returns an error matching ErrMismatch
// when any table differs, ErrInconclusive when some could not be compared.
func Verify(ctx context.Context, opts VerifyOptions) (*VerifyResult, error) {
	if err := opts.requireRoles(rolePrimary, roleReplica); err != nil {
		return nil, err
	}
	opts.Parallel = verifyWorkers(opts.Parallel, opts.Client.Budget)
	// Verify's own connection to each server, the first snapshot's on the source (either
	// server, by the phase), and a worker's on each.
	ctx, end, err := opts.reserve(ctx, "verify", need{rolePrimary: 2 + opts.Parallel, roleReplica: 2 + opts.Parallel})
	if err != nil {
		return nil, err
	}
	defer end()
	v := &verifier{opts: opts}
	if err := v.open(ctx); err != nil {
		return nil, err
	}
	defer v.close()
	res, err := v.run(ctx)
	if err != nil {
		return res, err
	}
	switch {
	case res.Mismatches > 0:
		return res, fmt.Errorf("%w: %d of %d tables", ErrMismatch, res.Mismatches, len(res.Tables))
	case res.Privileges != nil && len(res.Privileges.Differences) > 0:
		return res, withHint(fmt.Errorf("%w: the privileges of %d object(s) differ: %s", ErrMismatch, len(res.Privileges.Differences), privilegeList(res.Privileges.Differences)),
			remedy("run ", CmdSetup, " again: it grants and revokes on the replica what differs"))
	case res.Changing > 0:
		return res, withHint(fmt.Errorf("%w: %d of %d tables kept changing", ErrInconclusive, res.Changing, len(res.Tables)),
			remedy("run ", CmdVerify, " again when writes are fewer, or after the switch once the failsafe caught up"))
	}
	return res, nil
}

// verifier holds verify's coordinating connections and the stream it compares.
type verifier struct {
	opts             VerifyOptions
	primary, replica *server
	s                stream
	gated            bool // verify's gate is on the target: points can be aligned
	res              *VerifyResult
}

func (v *verifier) open(ctx context.Context) error {
	var err error
	if v.primary, err = openServer(ctx, rolePrimary, v.opts.Primary, "verify"); err != nil {
		return err
	}
	v.replica, err = openServer(ctx, roleReplica, v.opts.Replica, "verify")
	return err
}

func (v *verifier) close() {
	v.primary.close()
	v.replica.close()
}

func (v *verifier) run(ctx context.Context) (*VerifyResult, error) {
	m := v.opts.Migration
	phase, err := readPhase(ctx, v.primary, m)
	if err != nil {
		return nil, err
	}
	c := &statusChecker{opts: StatusOptions{Migration: m}, primary: v.primary, replica: v.replica}
	v.s = c.forward()
	if phase.onReplica() {
		if !phase.Failsafe {
			return nil, refused(remedy("verify before the switch (with the application's writers fenced, or while it writes: it compares at one point), or cut over with ", OptFailsafe, " next time, and verify once the failsafe caught up"),
				"migration %s was switched without the failsafe at %s: the old primary stopped taking writes there, and the two sides differ by design", m.name(), phase.At.Format(time.RFC3339))
		}
		v.s = c.failsafe()
	}
	tables, err := verifyTables(ctx, v.primary, v.opts)
	if err != nil {
		return nil, err
	}
	v.res = &VerifyResult{Name: m.name(), Direction: v.s.direction(), Aligned: true, Tables: make([]TableCheck, 0, len(tables))}
	switch err := installGate(ctx, v.s.target, m); {
	case err == nil:
		v.gated = true
		defer removeGate(v.s.target, m)
	case sqlState(err) == codeInsufficientPriv:
		// A watch-only role may not add the gate's trigger: compare without a point.
		v.opts.emit(ctx, Event{Operation: "verify", Warning: true, Message: fmt.Sprintf(
			"verify's user may not add its gate to the %s's sentinel table (it needs the table's owner): comparing the servers as they are, so a table written meanwhile counts as changing", v.s.target.role)})
	default:
		return nil, err
	}
	pending := tables
	for round := 1; len(pending) > 0; round++ {
		if pending, err = v.compareAtPoint(ctx, pending, round == verifyPoints); err != nil {
			return v.res, err
		}
	}
	if v.res.Privileges, err = comparePrivileges(ctx, v.primary, v.replica, m); err != nil {
		return v.res, err
	}
	v.summarise()
	return v.res, nil
}

// compareAtPoint takes a point and compares tables at it; it returns those to compare again
// (they changed at this point), none when last.
func (v *verifier) compareAtPoint(ctx context.Context, tables []TableName, last bool) ([]TableName, error) {
	open := func(s *server) (*server, error) { return openServer(ctx, s.role, s.dsn, "verify") }
	point, err := &consistencyPoint{}, errNotAligned
	if v.gated {
		point, err = takePoint(ctx, v.s, v.opts.Migration, open, 10*time.Second)
	}
	aligned := err == nil
	if err != nil && !errors.Is(err, errNotAligned) {
		return nil, err
	}
	defer point.close()
	v.res.Points = append(v.res.Points, point.LSN)
	if !aligned {
		v.res.Aligned = false
		last = true // another point would not align either
		v.opts.emit(ctx, Event{Operation: "verify", Warning: true, Message: fmt.Sprintf("the %s did not reach verify's sentinel within 10s: comparing the servers as they are", v.s.target.role)})
	}
	var again []TableName
	err = compareTables(ctx, v.opts, v.s, point, aligned, tables, func(c TableCheck) {
		if c.Changing && !last {
			again = append(again, c.TableName)
			return
		}
		v.res.Tables = append(v.res.Tables, c)
		v.opts.emit(ctx, Event{Operation: "verify", Message: fmt.Sprintf("%s: %d rows, match %t", c.TableName, c.PrimaryRows, c.Match), Warning: !c.Match})
	})
	return again, err
}

func (v *verifier) summarise() {
	sort.Slice(v.res.Tables, func(i, j int) bool {
		a, b := v.res.Tables[i], v.res.Tables[j]
		return a.Schema < b.Schema || (a.Schema == b.Schema && a.Name < b.Name)
	})
	for _, c := range v.res.Tables {
		v.res.Rows += c.PrimaryRows
		switch {
		case c.Changing:
			v.res.Changing++
		case !c.Match:
			v.res.Mismatches++
		}
	}
	v.res.OK = v.res.Mismatches == 0 && v.res.Changing == 0 && (v.res.Privileges == nil || len(v.res.Privileges.Differences) == 0)
}

// verifyWorkers is how many tables verify compares at once: the option's, or the default,
// within what a connection budget leaves beside verify's two other connections to a server.
func verifyWorkers(parallel int, budget *Budget) int {
	if parallel <= 0 {
		parallel = DefaultVerifyParallel
	}
	if budget != nil {
		parallel = max(1, min(parallel, budget.PerServer()-2))
	}
	return parallel
}

// compareTables checks tables at the point with opts.Parallel workers, each with a
// connection to either server, and hands every check to done, one at a time (so done, and
// the Progress it calls, never run twice at once).
func compareTables(ctx context.Context, opts VerifyOptions, s stream, point *consistencyPoint, aligned bool, tables []TableName, done func(TableCheck)) error {
	parallel := opts.Parallel
	work := make(chan TableName)
	var mu sync.Mutex
	var wg sync.WaitGroup
	errs := make([]error, parallel)
	for w := 0; w < min(parallel, len(tables)); w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			cw := &checkWorker{s: s, point: point, aligned: aligned}
			errs[w] = cw.run(ctx, work, func(c TableCheck) {
				mu.Lock()
				defer mu.Unlock()
				done(c)
			})
		}(w)
	}
feed:
	for _, t := range tables {
		select {
		case work <- t:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	return errors.Join(append(errs, ctx.Err())...)
}

// verifyTables are the published tables, or the selection's when there is no publication.
func verifyTables(ctx context.Context, primary *server, opts VerifyOptions) ([]TableName, error) {
	pst, err := readPrimaryState(ctx, primary, opts.Migration)
	if err != nil {
		return nil, err
	}
	tables := pst.published
	if !pst.publication {
		all, err := listTables(ctx, primary)
		if err != nil {
			return nil, err
		}
		for _, t := range planTables(all, opts.Selection, opts.sentinel()).publish {
			tables = append(tables, t.TableName)
		}
	}
	return slices.DeleteFunc(slices.Clone(tables), func(t TableName) bool { return t == opts.sentinel() }), nil
}
