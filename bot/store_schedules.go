package bot

import (
	"context"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/jackc/pgx/v5"
)

// schedule is one report schedule: a migration, a channel, a cron spec ("" when off).
type schedule struct {
	Migration string
	Channel   string
	Spec      string
	Timezone  string
	Source    string // config or slack
	UpdatedBy string
	UpdatedAt time.Time
}

func (s *store) scheduleSeed(ctx context.Context, sc schedule, now time.Time) error {
	if _, err := s.pool.Exec(ctx, q("schedule_seed"), sc.Migration, sc.Channel, sc.Spec, sc.Timezone, now); err != nil {
		return fmt.Errorf("save schedule: %w", err)
	}
	return nil
}

func (s *store) scheduleSet(ctx context.Context, sc schedule) error {
	if _, err := s.pool.Exec(ctx, q("schedule_set"), sc.Migration, sc.Channel, sc.Spec, sc.Timezone, sc.UpdatedBy, sc.UpdatedAt); err != nil {
		return fmt.Errorf("save schedule: %w", err)
	}
	return nil
}

func (s *store) scheduleList(ctx context.Context) ([]schedule, error) {
	rows, err := s.pool.Query(ctx, q("schedule_list"))
	if err != nil {
		return nil, fmt.Errorf("read schedules: %w", err)
	}
	defer rows.Close()
	var out []schedule
	for rows.Next() {
		var sc schedule
		if err := rows.Scan(&sc.Migration, &sc.Channel, &sc.Spec, &sc.Timezone, &sc.Source, &sc.UpdatedBy, &sc.UpdatedAt); err != nil {
			return nil, fmt.Errorf("read schedules: %w", err)
		}
		out = append(out, sc)
	}
	return out, rows.Err()
}

// claimReport runs post for one firing of a schedule, on one replica only: it holds an
// advisory lock for the run while it posts, and records the run so that a replica that
// fires late finds it done. A failed post leaves no record.
func (s *store) claimReport(ctx context.Context, migration, channel string, slot, now time.Time, post func() error) (bool, error) {
	posted := false
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var locked bool
		if err := tx.QueryRow(ctx, "SELECT pg_try_advisory_xact_lock($1)", runKey(migration, channel, slot)).Scan(&locked); err != nil || !locked {
			return err // another replica is posting it
		}
		rows, err := tx.Query(ctx, q("report_claim"), migration, channel, slot, now)
		if err != nil {
			return err
		}
		first := rows.Next()
		rows.Close()
		if err := rows.Err(); err != nil || !first {
			return err
		}
		if err := post(); err != nil {
			return err
		}
		posted = true
		_, err = tx.Exec(ctx, q("report_prune"), now.Add(-7*24*time.Hour))
		return err
	})
	return posted, err
}

func runKey(migration, channel string, slot time.Time) int64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "report\x00%s\x00%s\x00%d", migration, channel, slot.Unix())
	return int64(h.Sum64())
}
