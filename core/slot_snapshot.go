package core

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"
)

// snapshotSlot is a logical replication slot made on a replication connection that exports
// the snapshot the slot starts at: a transaction that imports it (SET TRANSACTION SNAPSHOT)
// sees exactly the rows whose changes the slot will not send. The snapshot lives while this
// connection stays open and idle.
type snapshotSlot struct {
	conn     *pgconn.PgConn
	lease    *lease
	snapshot string // the exported snapshot's name
	lsn      string // the slot's consistent point
}

// createSlotCommand is the replication command that makes slot name and exports its
// snapshot, in the syntax of the primary's major version (the one with options is 15+).
func createSlotCommand(name string, major int) string {
	if major >= 15 {
		return fmt.Sprintf("CREATE_REPLICATION_SLOT %s LOGICAL pgoutput (SNAPSHOT 'export')", ident(name))
	}
	return fmt.Sprintf("CREATE_REPLICATION_SLOT %s LOGICAL pgoutput EXPORT_SNAPSHOT", ident(name))
}

// openReplication opens a replication connection to the primary; it counts in the
// operation's lease.
func openReplication(ctx context.Context, primary *server, operation string) (*snapshotSlot, error) {
	l := leaseOf(ctx)
	if err := l.take(rolePrimary); err != nil {
		return nil, err
	}
	s := &snapshotSlot{lease: l}
	config := primary.dsn.connConfig().Config
	if config.ConnectTimeout == 0 {
		config.ConnectTimeout = defaultConnectTimeout
	}
	config.RuntimeParams["application_name"] = l.applicationName(operation + " (slot)")
	config.RuntimeParams["replication"] = "database"
	var err error
	if s.conn, err = pgconn.ConnectConfig(ctx, &config); err != nil {
		l.give(rolePrimary)
		return nil, connectError(rolePrimary, primary.dsn, err)
	}
	return s, nil
}

// create makes the slot and keeps the snapshot it exports.
func (s *snapshotSlot) create(ctx context.Context, name string, major int) error {
	results, err := s.conn.Exec(ctx, createSlotCommand(name, major)).ReadAll()
	if err == nil && (len(results) != 1 || len(results[0].Rows) != 1 || len(results[0].Rows[0]) < 3) {
		err = fmt.Errorf("unexpected answer to CREATE_REPLICATION_SLOT")
	}
	if err != nil {
		return fmt.Errorf("primary: create replication slot %s: %w", name, err)
	}
	row := results[0].Rows[0]
	s.lsn, s.snapshot = string(row[1]), string(row[2])
	return nil
}

// close ends the replication connection: the slot stays, its snapshot is gone.
func (s *snapshotSlot) close() {
	if s == nil || s.conn == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), defaultConnectTimeout)
	defer cancel()
	_ = s.conn.Close(ctx)
	s.conn = nil
	s.lease.give(rolePrimary)
}
