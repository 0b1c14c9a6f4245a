package workload

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Report is what Check found on the server holding the data.
type Report struct {
	Inserts    int `json:"inserts"`    // acknowledged
	Increments int `json:"increments"` // acknowledged
	Retries    int `json:"retries"`    // serialization failures retried
	Stored     int `json:"stored"`     // ledger rows on the server
	// Lost counts acknowledged writes missing or wrong on the server: inserts absent or with
	// another key, and increments missing from a counter.
	Lost int `json:"lost"`
	// Duplicated counts increments a counter holds beyond those acknowledged: a write
	// applied twice (replicated back and forth, or replayed).
	Duplicated int `json:"duplicated"`
	// Extra counts ledger rows on the server that no acknowledged insert made.
	Extra int `json:"extra"`
	// LongestStallMS is the longest the application waited for any write's answer.
	LongestStallMS float64 `json:"longest_stall_ms"`
	// Reordered counts inserts begun after the split whose key is not above every key
	// acknowledged before it.
	Reordered int      `json:"reordered"`
	Problems  []string `json:"problems,omitempty"`
}

// OK reports a server holding exactly what was acknowledged.
func (r Report) OK() bool {
	return r.Lost == 0 && r.Duplicated == 0 && r.Extra == 0 && r.Reordered == 0 && r.Stored == r.Inserts && len(r.Problems) == 0
}

// Check stops the workload and compares what it was acknowledged with what conn's server
// holds: every acknowledged insert exactly once with its key, nothing else, every counter
// equal to its acknowledged increments, and (when split is not zero) every insert begun after
// split keyed above every insert acknowledged before it.
func (w *Workload) Check(ctx context.Context, conn *pgx.Conn, split time.Time) (Report, error) {
	w.Stop()
	var r Report
	for _, err := range w.Failures() {
		r.Problems = append(r.Problems, err.Error())
	}
	rows, err := conn.Query(ctx, `SELECT client, n, id FROM public.ledger`)
	if err != nil {
		return r, fmt.Errorf("read the ledger: %w", err)
	}
	stored := map[[2]int]int64{}
	for rows.Next() {
		var c, n int
		var id int64
		if err := rows.Scan(&c, &n, &id); err != nil {
			return r, err
		}
		stored[[2]int{c, n}] = id
	}
	if err := rows.Err(); err != nil {
		return r, err
	}
	inserts := w.Inserts()
	w.mu.Lock()
	r.Inserts, r.Stored, r.Retries = len(inserts), len(stored), w.retries
	w.mu.Unlock()
	r.LongestStallMS = float64(w.Stall().Latency().Microseconds()) / 1000
	r.Extra = len(stored)
	var maxBefore int64
	for _, a := range inserts {
		if id, ok := stored[[2]int{a.Client, a.N}]; !ok || id != a.ID {
			r.Lost++
			continue
		}
		r.Extra--
		if a.Acked.Before(split) && a.ID > maxBefore {
			maxBefore = a.ID
		}
	}
	for _, a := range inserts {
		if !split.IsZero() && a.Started.After(split) && a.ID <= maxBefore {
			r.Reordered++
		}
	}
	for counter := 1; counter <= counters; counter++ {
		var hits int64
		if err := conn.QueryRow(ctx, `SELECT hits FROM public.counters WHERE id = $1`, counter).Scan(&hits); err != nil {
			return r, fmt.Errorf("read counter %d: %w", counter, err)
		}
		w.mu.Lock()
		acked := w.increments[counter]
		w.mu.Unlock()
		r.Increments += int(acked)
		switch {
		case hits < acked:
			r.Lost += int(acked - hits)
		case hits > acked:
			r.Duplicated += int(hits - acked)
		}
		if hits != acked {
			r.Problems = append(r.Problems, fmt.Sprintf("counter %d is %d, %d increments acknowledged", counter, hits, acked))
		}
	}
	return r, nil
}
