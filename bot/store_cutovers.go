package bot

import (
	"context"
	"fmt"
	"time"

	"github.com/pghandoff/pghandoff/internal/metrics"
)

func (s *store) cutoverInsert(ctx context.Context, migration string, at time.Time, c metrics.Cutover, auditID int64) error {
	if _, err := s.pool.Exec(ctx, q("cutover_insert"), migration, at, c.PauseMS, c.Switched, auditID); err != nil {
		return fmt.Errorf("record cutover: %w", err)
	}
	return nil
}

// cutoversLast returns the last cutover of each migration that had one.
func (s *store) cutoversLast(ctx context.Context) (map[string]metrics.Cutover, error) {
	rows, err := s.pool.Query(ctx, q("cutover_last"))
	if err != nil {
		return nil, fmt.Errorf("read cutovers: %w", err)
	}
	defer rows.Close()
	out := map[string]metrics.Cutover{}
	for rows.Next() {
		var key string
		var c metrics.Cutover
		if err := rows.Scan(&key, &c.At, &c.PauseMS, &c.Switched); err != nil {
			return nil, fmt.Errorf("read cutovers: %w", err)
		}
		out[key] = c
	}
	return out, rows.Err()
}
