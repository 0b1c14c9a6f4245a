package core

import (
	"cmp"
	"context"
	"fmt"
	"slices"
)

// SetupCopy is what setup copied itself, from the snapshot its slot starts at, before
// subscribing: the small tables, whose copy by the replica's sync workers would cost a
// worker, a slot and a handshake each.
type SetupCopy struct {
	Tables  int     `json:"tables"`
	Bytes   int64   `json:"bytes"` // their size on the primary, before the copy
	Rows    int64   `json:"rows"`
	Seconds float64 `json:"seconds"`
	// ByWorkers is how many tables setup left to the replica's sync workers: the ones over
	// SetupCopyTableMax, or past SetupCopyTotalMax in all.
	ByWorkers int `json:"by_workers"`
}

// setupCopyPlan is the tables setup copies itself, and the ones it leaves to the workers.
type setupCopyPlan struct {
	tables  []copiedTable
	bytes   int64
	workers []catalogTable
}

// copiedTable is a table setup copies: its columns are the ones the copy carries (the
// generated ones are computed by the replica).
type copiedTable struct {
	catalogTable
	columns string // quoted, comma-separated
}

// planCopy decides which tables setup copies itself: only before the subscription exists
// (the subscription then starts where the copy's snapshot was taken), when the replica's
// user may apply rows as replication does (session_replication_role = replica: no
// triggers, no foreign key checks), the smallest first up to the limits.
func (p *setupPlan) planCopy(ctx context.Context) error {
	tableMax, err := orDefault(OptCopyByWorkers, p.opts.CopyTableMax, SetupCopyTableMax)
	if err != nil {
		return err
	}
	totalMax, err := orDefault(OptCopyByWorkers, p.opts.CopyTotalMax, SetupCopyTotalMax)
	if err != nil || p.opts.CopyByWorkers || p.rst.subscription != nil {
		return err
	}
	if p.pst.slot != nil && !p.pst.publication {
		// Setup makes the publication before the slot: this slot is not a stopped setup's,
		// which the copy would drop and make again. The workers adopt it, as before.
		return nil
	}
	ok, err := p.replica.exists(ctx, maySetReplicationRoleSQL(p.replica.major()))
	if err != nil {
		return wrapRole(p.replica, "read whether setup may copy rows as replication does", err)
	}
	if !ok {
		p.res.Warnings = append(p.res.Warnings, fmt.Sprintf("every table is copied by the replica's sync workers, a table at a time each: %s may not set session_replication_role on the replica, which copying as replication does needs (a superuser may, or on PostgreSQL 15+ a user granted SET on that parameter)", p.opts.Replica.User()))
		return nil
	}
	sizes, err := readTableSizes(ctx, p.primary, quotedNames(p.tables.publish))
	if err != nil {
		return err
	}
	plan := &setupCopyPlan{}
	chosen, workers, bytes := splitCopy(p.tables.publish, sizes, tableMax, totalMax)
	plan.workers, plan.bytes = workers, bytes
	var noColumns []catalogTable
	if plan.tables, noColumns, err = copyColumns(ctx, p.primary, chosen, p.opts.sentinel()); err != nil {
		return err
	}
	plan.workers = append(plan.workers, noColumns...)
	if len(plan.tables) > 0 {
		p.copy = plan
	}
	return nil
}

// splitCopy picks the tables setup copies itself, the smallest first, up to tableMax each
// and totalMax in all, and leaves the rest to the workers.
func splitCopy(tables []catalogTable, sizes map[string]tableSize, tableMax, totalMax int64) (setup, workers []catalogTable, setupBytes int64) {
	bySize := slices.Clone(tables)
	slices.SortStableFunc(bySize, func(a, b catalogTable) int { return cmp.Compare(sizes[a.String()].bytes, sizes[b.String()].bytes) })
	for _, t := range bySize {
		n := sizes[t.String()].bytes
		if n > tableMax || setupBytes+n > totalMax {
			workers = append(workers, t)
			continue
		}
		setup, setupBytes = append(setup, t), setupBytes+n
	}
	return setup, workers, setupBytes
}

// maySetReplicationRoleSQL is true when the current user may SET session_replication_role.
func maySetReplicationRoleSQL(major int) string {
	if major >= 15 {
		return "SELECT has_parameter_privilege('session_replication_role', 'SET')"
	}
	return "SELECT rolsuper FROM pg_roles WHERE rolname = current_user"
}

// copyColumns reads each table's columns the copy carries, in the primary's order: all
// but the generated ones, which COPY FROM refuses and the replica computes. A table with
// none (COPY needs a column) is left out, for the workers. The sentinel table may not exist
// yet: setup makes it, with sentinelColumns.
func copyColumns(ctx context.Context, primary *server, tables []catalogTable, sentinel TableName) (copied []copiedTable, none []catalogTable, err error) {
	cols := map[string]string{sentinel.String(): sentinelColumns}
	rows, err := primary.conn.Query(ctx, `SELECT t.name, string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum)
		FROM unnest($1::text[]) AS t(name)
		JOIN pg_attribute a ON a.attrelid = to_regclass(t.name)
		WHERE a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
		GROUP BY t.name`, quotedNames(tables))
	if err != nil {
		return nil, nil, wrapRole(primary, "read the columns to copy", err)
	}
	var name, list string
	for rows.Next() {
		if err := rows.Scan(&name, &list); err != nil {
			rows.Close()
			return nil, nil, wrapRole(primary, "read the columns to copy", err)
		}
		cols[name] = list
	}
	if err := rows.Err(); err != nil {
		return nil, nil, wrapRole(primary, "read the columns to copy", err)
	}
	for _, t := range tables {
		if c, ok := cols[t.String()]; ok {
			copied = append(copied, copiedTable{catalogTable: t, columns: c})
		} else {
			none = append(none, t)
		}
	}
	return copied, none, nil
}

// published are the tables the publication holds before the subscription exists: the ones
// setup copies itself when it copies any, all of them otherwise.
func (p *setupPlan) publishedFirst() []catalogTable {
	if p.copy == nil {
		return p.tables.publish
	}
	out := make([]catalogTable, len(p.copy.tables))
	for i, t := range p.copy.tables {
		out[i] = t.catalogTable
	}
	return out
}

// String says what setup copied, for people.
func (c SetupCopy) String() string {
	s := fmt.Sprintf("setup copied %d table(s) itself (%s, %d rows) from one snapshot in %s", c.Tables, FormatBytes(c.Bytes), c.Rows, seconds(c.Seconds))
	if c.ByWorkers > 0 {
		s += fmt.Sprintf("; the replica's sync workers copy the other %d", c.ByWorkers)
	}
	return s
}
