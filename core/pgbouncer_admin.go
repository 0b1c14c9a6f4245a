package core

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// roleBouncer names PgBouncer's admin console in errors and events.
const roleBouncer = "pgbouncer"

// Bouncer is one connection to PgBouncer's admin console: the database `pgbouncer`, as a
// user listed in admin_users. The console speaks only the simple query protocol: a query in
// pgx's default mode (a Parse message) gets "extended query protocol not supported by admin
// console" and the connection is closed ("bad packet") at the next command. It takes no
// parameters and answers only its own commands, so every call sends one literal command. What PAUSE, RESUME and RELOAD do, measured against
// PgBouncer 1.18 and read in its source, is written at Pause.
type Bouncer struct {
	dsn  DSN
	conn *pgx.Conn
}

// OpenBouncer connects to the admin console. pgx sends only user, database and the DSN's
// runtime parameters at startup; PgBouncer refuses the connection for any parameter it does
// not track ("unsupported startup parameter: options", also search_path), so the DSN's are
// replaced by application_name alone, which it tracks. A DSN whose database is not
// `pgbouncer` is refused before connecting: anything else is a pool.
func OpenBouncer(ctx context.Context, dsn DSN) (*Bouncer, error) {
	return openBouncer(ctx, dsn, "pghandoff")
}

// openBouncer connects with an application_name, which SHOW CLIENTS shows (1.18+): the
// watchdog's connection is found by it.
func openBouncer(ctx context.Context, dsn DSN, appName string) (*Bouncer, error) {
	if dsn.IsZero() {
		return nil, errors.New("no PgBouncer admin connection string given")
	}
	if dsn.Database() != "pgbouncer" {
		return nil, withHint(fmt.Errorf("the PgBouncer admin connection string names database %q", dsn.Database()),
			remedy("connect to PgBouncer's admin console: the database must be pgbouncer, the user one of its admin_users"))
	}
	config := dsn.connConfig()
	if config.ConnectTimeout == 0 {
		config.ConnectTimeout = defaultConnectTimeout
	}
	config.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	config.RuntimeParams = map[string]string{"application_name": appName}
	conn, err := pgx.ConnectConfig(ctx, config)
	if err != nil {
		return nil, connectError(roleBouncer, dsn, err)
	}
	return &Bouncer{dsn: dsn, conn: conn}, nil
}

// Close ends the admin connection. It leaves PgBouncer as it is: a database paused through
// this connection stays paused (see Pause).
func (b *Bouncer) Close() {
	if b == nil || b.conn == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	b.conn.Close(ctx)
}

// show runs a SHOW command and returns its rows keyed by column name, in text: the columns
// grow from one PgBouncer version to the next, and reading them by name keeps older and
// newer versions working. A NULL reads as "".
func (b *Bouncer) show(ctx context.Context, what string) ([]map[string]string, error) {
	rows, err := b.conn.Query(ctx, "SHOW "+what)
	if err != nil {
		return nil, b.commandError("SHOW "+what, err)
	}
	defer rows.Close()
	var out []map[string]string
	for rows.Next() {
		row := map[string]string{}
		for i, fd := range rows.FieldDescriptions() {
			row[fd.Name] = string(rows.RawValues()[i])
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		return nil, b.commandError("SHOW "+what, err)
	}
	return out, nil
}

// command runs one admin command that returns no rows.
func (b *Bouncer) command(ctx context.Context, cmd string) error {
	if _, err := b.conn.Exec(ctx, cmd); err != nil {
		return b.commandError(cmd, err)
	}
	return nil
}

// commandError explains a failed admin command. The console answers errors with SQLSTATE
// 08P01 for everything (it has no finer codes), so the message is all there is to show.
func (b *Bouncer) commandError(cmd string, err error) error {
	wrapped := fmt.Errorf("pgbouncer %s: %w", cmd, err)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && strings.Contains(pgErr.Message, "admin access needed") {
		return withHint(wrapped, remedy("connect as a user listed in PgBouncer's admin_users (stats_users may only read)"))
	}
	return wrapped
}

// bouncerIdent quotes a database entry's name for an admin command. The console's parser
// takes a word of letters, digits and '_', or a double-quoted one with "" for a quote, into
// a 64-byte buffer; the configuration file cannot carry a name with a single quote or a
// control character (see pgbouncer_entry.go). Anything else is refused, not sent.
func bouncerIdent(name string) (string, error) {
	if err := validEntryName(name); err != nil {
		return "", err
	}
	quoted := `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
	if len(quoted) >= 64 {
		return "", withHint(fmt.Errorf("the PgBouncer database entry name %q is too long for PgBouncer's admin console", name),
			remedy("name the entry in at most 60 bytes"))
	}
	return quoted, nil
}
