package pgcluster

import (
	"context"
	"fmt"
	"time"
)

// DropDatabase drops db after removing what would block it: subscriptions in it and
// replication slots for it.
func (c *Cluster) DropDatabase(ctx context.Context, db string) error {
	conn, err := c.Connect(ctx, db)
	if err == nil {
		rows, _ := conn.Query(ctx, `SELECT quote_ident(subname) FROM pg_subscription s
			JOIN pg_database d ON d.oid = s.subdbid WHERE d.datname = current_database()`)
		var subs []string
		for rows.Next() {
			var s string
			if rows.Scan(&s) == nil {
				subs = append(subs, s)
			}
		}
		rows.Close()
		for _, s := range subs {
			_, _ = conn.Exec(ctx, "ALTER SUBSCRIPTION "+s+" DISABLE")
			_, _ = conn.Exec(ctx, "ALTER SUBSCRIPTION "+s+" SET (slot_name = NONE)")
			_, _ = conn.Exec(ctx, "DROP SUBSCRIPTION "+s)
		}
		conn.Close(ctx)
	}
	admin, err := c.Connect(ctx, "postgres")
	if err != nil {
		return err
	}
	defer admin.Close(context.Background())
	for attempt := 0; attempt < 50; attempt++ {
		_, err = admin.Exec(ctx, `SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots
			WHERE database = $1 AND active_pid IS NOT NULL`, db)
		if err == nil {
			_, err = admin.Exec(ctx, `SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots
				WHERE database = $1 AND NOT active`, db)
		}
		if err == nil {
			_, err = admin.Exec(ctx, fmt.Sprintf(`DROP DATABASE IF EXISTS %q WITH (FORCE)`, db))
		}
		if err == nil {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return err
}
