package bot

import (
	"context"
	"fmt"
	"time"
)

// auditEntry is one line of the audit log.
type auditEntry struct {
	ID        int64
	At        time.Time
	TeamID    string
	UserID    string
	Command   string
	Migration string
	Result    string
	Detail    string
	Channel   string
	MessageTS string
	Link      string
}

// Audit results.
const (
	resultRunning   = "running"
	resultOK        = "ok"
	resultFailed    = "failed"
	resultDenied    = "denied"
	resultRefused   = "refused"
	resultPending   = "pending"
	resultCancelled = "cancelled"
	resultExpired   = "expired"
)

func (s *store) auditInsert(ctx context.Context, e auditEntry) (int64, error) {
	var id int64
	err := s.pool.QueryRow(ctx, q("audit_insert"), e.At, e.TeamID, e.UserID, e.Command, e.Migration, e.Result, e.Detail, e.Channel).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("write audit log: %w", err)
	}
	return id, nil
}

func (s *store) auditFinish(ctx context.Context, id int64, result, detail string) error {
	if _, err := s.pool.Exec(ctx, q("audit_finish"), id, result, truncate(detail, 2000)); err != nil {
		return fmt.Errorf("write audit log: %w", err)
	}
	return nil
}

func (s *store) auditMessage(ctx context.Context, id int64, channel, ts, link string) error {
	if _, err := s.pool.Exec(ctx, q("audit_message"), id, channel, ts, link); err != nil {
		return fmt.Errorf("write audit log: %w", err)
	}
	return nil
}

func (s *store) auditList(ctx context.Context, migration string, limit int) ([]auditEntry, error) {
	rows, err := s.pool.Query(ctx, q("audit_list"), migration, limit)
	if err != nil {
		return nil, fmt.Errorf("read audit log: %w", err)
	}
	defer rows.Close()
	var out []auditEntry
	for rows.Next() {
		var e auditEntry
		if err := rows.Scan(&e.ID, &e.At, &e.TeamID, &e.UserID, &e.Command, &e.Migration, &e.Result, &e.Detail, &e.Channel, &e.MessageTS, &e.Link); err != nil {
			return nil, fmt.Errorf("read audit log: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
