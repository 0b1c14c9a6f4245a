package core

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// TableIndexing is the state status gives a synchronised table whose deferred indexes or
// constraints are not all built yet: replicating, not ready.
const TableIndexing = "indexing"

// IndexesStatus is where the indexes and constraints setup left for after the copy stand.
type IndexesStatus struct {
	Deferred int               `json:"deferred"`
	Built    int               `json:"built"`
	Building []IndexBuild      `json:"building,omitempty"` // builds running now, on any session
	Failed   []DeferredFailure `json:"failed,omitempty"`
	// Builder is the pghandoff session building them (a wait, the bot); nil when none is.
	Builder *LockHolder `json:"builder,omitempty"`
}

// Pending is how many are not built yet.
func (s *IndexesStatus) Pending() int {
	if s == nil {
		return 0
	}
	return s.Deferred - s.Built
}

// IndexBuild is one CREATE INDEX running on the replica, from pg_stat_progress_create_index.
type IndexBuild struct {
	Table   TableName `json:"table"` // the published table (a partition's root)
	Index   string    `json:"index"` // quoted; "" before the build names it
	Phase   string    `json:"phase"`
	Percent *float64  `json:"percent,omitempty"` // of the phase, when it counts blocks or tuples
}

// DeferredFailure is a deferred unit whose last build failed.
type DeferredFailure struct {
	DeferredObject
	Attempts int    `json:"attempts"`
	Error    string `json:"error"`
}

// readIndexing reads the deferred units on the replica, forward only: the builds, the
// failures, who builds them, and which synchronised tables still wait for theirs.
func (c *statusChecker) readIndexing(ctx context.Context, st *Status, s stream, _ streamState) error {
	if s.back {
		return nil
	}
	units, err := readDeferred(ctx, c.replica, c.opts.Migration)
	c.deferring = map[objectKey]bool{}
	if err != nil || len(units) == 0 {
		return err
	}
	ix := &IndexesStatus{Deferred: len(units)}
	pending := map[string]int{}
	for _, u := range units {
		switch {
		case u.done:
			ix.Built++
			continue
		case u.lastError != "":
			ix.Failed = append(ix.Failed, DeferredFailure{DeferredObject: DeferredObject{Table: u.table, Kind: u.kind, Object: u.object},
				Attempts: u.attempts, Error: u.lastError})
		}
		u.addObjects(c.deferring)
		pending[u.gate[0]]++
	}
	st.Indexes = ix
	if ix.Pending() == 0 {
		return nil
	}
	if ix.Builder, err = advisoryHolder(ctx, c.replica, buildLockClass, lockKey(c.opts.name())); err != nil {
		return err
	}
	if ix.Building, err = readIndexBuilds(ctx, c.replica); err != nil {
		return err
	}
	markIndexing(st, pending)
	return nil
}

// markIndexing gives synchronised tables with deferred units left the state indexing.
func markIndexing(st *Status, pending map[string]int) {
	for i := range st.Tables {
		t := &st.Tables[i]
		t.IndexesPending = pending[t.String()]
		if t.State != tableStates["r"] || t.IndexesPending == 0 {
			continue
		}
		st.TableCounts[t.State]--
		t.State = TableIndexing
		st.TableCounts[t.State]++
		for _, b := range st.Indexes.Building {
			if b.Table == t.TableName {
				t.Building = append(t.Building, b)
			}
		}
	}
}

// readIndexBuilds reads the replica's running index builds, each on its published table.
func readIndexBuilds(ctx context.Context, replica *server) ([]IndexBuild, error) {
	rows, err := replica.conn.Query(ctx, `
		SELECT n.nspname, t.relname, coalesce(quote_ident(i.relname), ''), p.phase,
		       CASE WHEN p.blocks_total > 0 THEN 100.0 * p.blocks_done / p.blocks_total
		            WHEN p.tuples_total > 0 THEN 100.0 * p.tuples_done / p.tuples_total END::float8
		  FROM pg_stat_progress_create_index p
		  JOIN pg_class t ON t.oid = coalesce(pg_partition_root(p.relid), p.relid)
		  JOIN pg_namespace n ON n.oid = t.relnamespace
		  LEFT JOIN pg_class i ON i.oid = p.index_relid
		 WHERE p.datid = (SELECT oid FROM pg_database WHERE datname = current_database())
		 ORDER BY p.pid`)
	if err != nil {
		return nil, wrapRole(replica, "read index builds", err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (IndexBuild, error) {
		var b IndexBuild
		return b, row.Scan(&b.Table.Schema, &b.Table.Name, &b.Index, &b.Phase, &b.Percent)
	})
}

// judgeIndexes keeps the verdict from ready while deferred units are left, and calls a
// unit that failed every attempt of a run broken: it needs a person.
func judgeIndexes(st *Status, broken func(string, ...any)) {
	ix := st.Indexes
	if ix.Pending() == 0 {
		return
	}
	who := "nothing is building them: run wait, which does"
	if ix.Builder != nil {
		who = "building: " + ix.Builder.ApplicationName
	}
	st.Reasons = append(st.Reasons, fmt.Sprintf("%d of %d indexes and constraints left for after the copy are not built yet (%s)", ix.Pending(), ix.Deferred, who))
	for _, f := range ix.Failed {
		if f.Attempts >= maxBuildAttempts {
			broken("%s %s on %s could not be built (%d attempts): %s; fix the cause on the replica, then run wait again", f.Kind, f.Object, f.Table, f.Attempts, f.Error)
		}
	}
}
