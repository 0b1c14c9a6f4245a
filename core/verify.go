package core

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"
)

// ErrMismatch: verify found tables whose rows differ between the servers.
var ErrMismatch = errors.New("data differs between primary and replica")

// VerifyOptions configures Verify.
type VerifyOptions struct {
	Migration
	Selection     // used when the migration has no publication (any more)
	Parallel  int // tables checked at once; DefaultVerifyParallel when 0
	Observer
}

// VerifyResult compares every table of the migration on both servers.
type VerifyResult struct {
	Name       string       `json:"name"`
	OK         bool         `json:"ok"`
	Tables     []TableCheck `json:"tables"`
	Mismatches int          `json:"mismatches"`
	Rows       int64        `json:"rows"` // on the primary, over every table
}

// TableCheck is one table's row count and order-independent checksum on both servers.
type TableCheck struct {
	TableName
	PrimaryRows     int64  `json:"primary_rows"`
	ReplicaRows     int64  `json:"replica_rows"`
	PrimaryChecksum string `json:"primary_checksum"`
	ReplicaChecksum string `json:"replica_checksum"`
	Match           bool   `json:"match"`
	Error           string `json:"error,omitempty"`
}

// checksumSQL sums a 64-bit hash of every row's text: independent of row order, sensitive to
// every value and to duplicates.
const checksumSQL = `SELECT count(*), coalesce(sum(('x' || substr(md5(t::text), 1, 16))::bit(64)::bigint::numeric), 0)::text FROM %s AS t`

// verifySession makes row text identical on both servers whatever their configuration.
const verifySession = `SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'postgres';
SET extra_float_digits = 1; SET bytea_output = 'hex'; SET statement_timeout = 0`

// Verify compares each table of the migration on the primary and the replica, several
// tables at once. Rows written while it runs can show as differences: run it when writes
// have stopped or been switched (after cutover, or with writers fenced). It returns an error
// matching ErrMismatch when any table differs.
func Verify(ctx context.Context, opts VerifyOptions) (*VerifyResult, error) {
	if err := opts.requireRoles(rolePrimary, roleReplica); err != nil {
		return nil, err
	}
	tables, err := verifyTables(ctx, opts)
	if err != nil {
		return nil, err
	}
	res := &VerifyResult{Name: opts.name(), Tables: make([]TableCheck, 0, len(tables))}
	err = compareTables(ctx, opts, tables, func(c TableCheck) {
		res.Tables = append(res.Tables, c)
		opts.emit(ctx, Event{Operation: "verify", Message: fmt.Sprintf("%s: %d rows, match %t", c.TableName, c.PrimaryRows, c.Match), Warning: !c.Match})
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(res.Tables, func(i, j int) bool {
		a, b := res.Tables[i], res.Tables[j]
		return a.Schema < b.Schema || (a.Schema == b.Schema && a.Name < b.Name)
	})
	for _, c := range res.Tables {
		res.Rows += c.PrimaryRows
		if !c.Match {
			res.Mismatches++
		}
	}
	res.OK = res.Mismatches == 0
	if !res.OK {
		return res, fmt.Errorf("%w: %d of %d tables", ErrMismatch, res.Mismatches, len(res.Tables))
	}
	return res, nil
}

// compareTables checks tables with opts.Parallel workers, each with a connection to either
// server, and hands every check to done, one at a time (so done, and the Progress it calls,
// never run twice at once).
func compareTables(ctx context.Context, opts VerifyOptions, tables []TableName, done func(TableCheck)) error {
	parallel := opts.Parallel
	if parallel <= 0 {
		parallel = DefaultVerifyParallel
	}
	work := make(chan TableName)
	var mu sync.Mutex
	var wg sync.WaitGroup
	errs := make([]error, parallel)
	for w := 0; w < min(parallel, len(tables)); w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			errs[w] = verifyWorker(ctx, opts, work, func(c TableCheck) {
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
func verifyTables(ctx context.Context, opts VerifyOptions) ([]TableName, error) {
	primary, err := openServer(ctx, rolePrimary, opts.Primary, "verify")
	if err != nil {
		return nil, err
	}
	defer primary.close()
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

func verifyWorker(ctx context.Context, opts VerifyOptions, work <-chan TableName, done func(TableCheck)) error {
	var sides [2]*server
	for i, role := range []string{rolePrimary, roleReplica} {
		dsn := opts.Primary
		if role == roleReplica {
			dsn = opts.Replica
		}
		s, err := openServer(ctx, role, dsn, "verify")
		if err != nil {
			return err
		}
		defer s.close()
		if _, err := s.conn.Exec(ctx, verifySession); err != nil {
			return fmt.Errorf("%s: %w", role, err)
		}
		sides[i] = s
	}
	for t := range work {
		c := TableCheck{TableName: t}
		perr := sides[0].conn.QueryRow(ctx, fmt.Sprintf(checksumSQL, t)).Scan(&c.PrimaryRows, &c.PrimaryChecksum)
		rerr := sides[1].conn.QueryRow(ctx, fmt.Sprintf(checksumSQL, t)).Scan(&c.ReplicaRows, &c.ReplicaChecksum)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		switch {
		case perr != nil:
			c.Error = "primary: " + perr.Error()
		case rerr != nil:
			c.Error = "replica: " + rerr.Error()
		default:
			c.Match = c.PrimaryRows == c.ReplicaRows && c.PrimaryChecksum == c.ReplicaChecksum
		}
		done(c)
	}
	return nil
}
