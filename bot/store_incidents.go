package bot

import (
	"context"
	"fmt"
	"time"
)

// incident is an open alert.
type incident struct {
	ID        int64
	Kind      string
	Detail    string
	Channel   string
	MessageTS string
	OpenedAt  time.Time
}

// incidentOpen opens an incident; false when one of this kind is open already.
func (s *store) incidentOpen(ctx context.Context, migration, kind, detail, channel string, now time.Time) (int64, bool, error) {
	rows, err := s.pool.Query(ctx, q("incident_open"), migration, kind, detail, channel, now)
	if err != nil {
		return 0, false, fmt.Errorf("open incident: %w", err)
	}
	defer rows.Close()
	var id int64
	if !rows.Next() {
		return 0, false, rows.Err()
	}
	if err := rows.Scan(&id); err != nil {
		return 0, false, err
	}
	return id, true, nil
}

func (s *store) incidentMessage(ctx context.Context, id int64, ts string) error {
	_, err := s.pool.Exec(ctx, q("incident_message"), id, ts)
	return err
}

func (s *store) incidentsOpen(ctx context.Context, migration string) ([]incident, error) {
	rows, err := s.pool.Query(ctx, q("incident_open_list"), migration)
	if err != nil {
		return nil, fmt.Errorf("read incidents: %w", err)
	}
	defer rows.Close()
	var out []incident
	for rows.Next() {
		var i incident
		if err := rows.Scan(&i.ID, &i.Kind, &i.Detail, &i.Channel, &i.MessageTS, &i.OpenedAt); err != nil {
			return nil, err
		}
		out = append(out, i)
	}
	return out, rows.Err()
}

// incidentClear closes an incident; false when another replica closed it first.
func (s *store) incidentClear(ctx context.Context, id int64, now time.Time) (bool, error) {
	return s.once(ctx, q("incident_clear"), id, now)
}
