package core

import (
	"context"
	_ "embed"

	"github.com/jackc/pgx/v5"
)

//go:embed sql/table_sizes.sql
var tableSizesSQL string

//go:embed sql/copy_progress.sql
var copyProgressSQL string

// CopyProgress is how far the initial copy of a table, or of all of them, has come, in bytes
// of the tables' size on the primary. A table copying counts the share of its rows the
// replica has received (of the primary's estimate; of its bytes when the primary has no
// estimate yet). Rate and ETA are nil until they can be told.
type CopyProgress struct {
	BytesDone      int64    `json:"bytes_done"`
	BytesTotal     int64    `json:"bytes_total"`
	BytesPerSecond *float64 `json:"bytes_per_second,omitempty"`
	ETASeconds     *float64 `json:"eta_seconds,omitempty"`
}

// tableCopy is what the replica reports of one table's COPY.
type tableCopy struct {
	rows, bytes int64
	seconds     *float64 // since its transaction began
}

// tableSize is a published table's size and estimated rows on the primary.
type tableSize struct{ bytes, rows int64 }

// copied are the states of a table whose rows are all on the replica.
var copied = map[string]bool{"copied": true, "sync": true, "ready": true, TableIndexing: true}

// readCopyProgress measures the initial copy, forward and while some table is not copied.
func (c *statusChecker) readCopyProgress(ctx context.Context, st *Status, s stream, _ streamState) error {
	names := make([]string, 0, len(st.Tables))
	for _, t := range st.Tables {
		if !copied[t.State] {
			names = append(names, t.String())
		}
	}
	if s.back || len(names) == 0 {
		return nil
	}
	all := make([]string, len(st.Tables))
	for i, t := range st.Tables {
		all[i] = t.String()
	}
	sizes, err := readTableSizes(ctx, c.primary, all)
	if err != nil {
		return err
	}
	copies, err := readCopies(ctx, c.replica)
	if err != nil {
		return err
	}
	st.Copy = &CopyProgress{}
	var rate float64
	for i := range st.Tables {
		t := &st.Tables[i]
		size := sizes[t.String()]
		p := tableProgress(t.State, size, copies[t.String()])
		if !copied[t.State] {
			t.Copy = p
		}
		st.Copy.BytesDone += p.BytesDone
		st.Copy.BytesTotal += p.BytesTotal
		if p.BytesPerSecond != nil {
			rate += *p.BytesPerSecond
		}
	}
	st.Copy.estimate(rate)
	return nil
}

// tableProgress is one table's copy, from its state and what its COPY reports.
func tableProgress(state string, size tableSize, cp *tableCopy) *CopyProgress {
	p := &CopyProgress{BytesTotal: size.bytes}
	switch {
	case copied[state]:
		p.BytesDone = size.bytes
		return p
	case cp == nil:
		return p
	}
	share := float64(cp.bytes) / float64(max(size.bytes, 1))
	if size.rows > 0 {
		share = float64(cp.rows) / float64(size.rows)
	}
	p.BytesDone = int64(min(share, 0.99) * float64(size.bytes)) // done only when the state says so
	if cp.seconds != nil && *cp.seconds > 0 {
		p.estimate(float64(p.BytesDone) / *cp.seconds)
	}
	return p
}

// estimate sets the rate, and the time left at that rate.
func (p *CopyProgress) estimate(rate float64) {
	if rate <= 0 {
		return
	}
	eta := float64(p.BytesTotal-p.BytesDone) / rate
	p.BytesPerSecond, p.ETASeconds = &rate, &eta
}

// readTableSizes reads the sizes of the tables named (quoted) on the primary, by name.
func readTableSizes(ctx context.Context, primary *server, names []string) (map[string]tableSize, error) {
	rows, err := primary.conn.Query(ctx, tableSizesSQL, names)
	if err != nil {
		return nil, wrapRole(primary, "read the tables' sizes", err)
	}
	sizes := map[string]tableSize{}
	return sizes, forEachRow(rows, func(row pgx.CollectableRow) error {
		var name string
		var s tableSize
		err := row.Scan(&name, &s.bytes, &s.rows)
		sizes[name] = s
		return err
	})
}

// readCopies reads the replica's running COPYs by table (none before PostgreSQL 14).
func readCopies(ctx context.Context, replica *server) (map[string]*tableCopy, error) {
	copies := map[string]*tableCopy{}
	if replica.major() < 14 {
		return copies, nil
	}
	rows, err := replica.conn.Query(ctx, copyProgressSQL)
	if err != nil {
		return nil, wrapRole(replica, "read the copy's progress", err)
	}
	return copies, forEachRow(rows, func(row pgx.CollectableRow) error {
		var t TableName
		cp := &tableCopy{}
		err := row.Scan(&t.Schema, &t.Name, &cp.rows, &cp.bytes, &cp.seconds)
		copies[t.String()] = cp
		return err
	})
}
