package bot

import (
	"context"
	"fmt"
	"time"

	"github.com/pghandoff/pghandoff/core"
)

// sample is one observation of a migration's lag.
type sample struct {
	At         time.Time
	LagBytes   *int64
	LagSeconds *float64
	State      string
}

func (s *store) sampleAdd(ctx context.Context, migration string, st *core.Status) error {
	_, err := s.pool.Exec(ctx, q("sample_insert"), migration, st.CheckedAt, st.LagBytes, st.LagSeconds, st.State)
	if err != nil {
		return fmt.Errorf("save lag sample: %w", err)
	}
	return nil
}

func (s *store) samplesRecent(ctx context.Context, migration string, n int) ([]sample, error) {
	rows, err := s.pool.Query(ctx, q("sample_recent"), migration, n)
	if err != nil {
		return nil, fmt.Errorf("read lag samples: %w", err)
	}
	defer rows.Close()
	var out []sample
	for rows.Next() {
		var sm sample
		if err := rows.Scan(&sm.At, &sm.LagBytes, &sm.LagSeconds, &sm.State); err != nil {
			return nil, err
		}
		out = append(out, sm)
	}
	return out, rows.Err()
}

func (s *store) samplesPrune(ctx context.Context, before time.Time) error {
	_, err := s.pool.Exec(ctx, q("sample_prune"), before)
	return err
}
