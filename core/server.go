package core

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Server roles, as they appear in statements, events and errors.
const (
	rolePrimary = "primary"
	roleReplica = "replica"
	roleProxy   = "proxy"
)

// server is one open connection to one of the migration's servers.
type server struct {
	role    string
	dsn     DSN
	conn    *pgx.Conn
	version int    // server_version_num, e.g. 150004
	lease   *lease // the operation's share of the client's budget this connection counts in
}

// openServer connects to the server playing role, with errors that say what to check. The
// connection counts in the lease of the operation ctx belongs to, and is named after it.
func openServer(ctx context.Context, role string, dsn DSN, operation string) (*server, error) {
	l := leaseOf(ctx)
	if err := l.take(role); err != nil {
		return nil, err
	}
	s, err := connectServer(ctx, role, dsn, l.applicationName(operation))
	if err != nil {
		l.give(role)
		return nil, err
	}
	s.lease = l
	return s, nil
}

func connectServer(ctx context.Context, role string, dsn DSN, applicationName string) (*server, error) {
	config := dsn.connConfig()
	if config.ConnectTimeout == 0 {
		config.ConnectTimeout = defaultConnectTimeout
	}
	config.RuntimeParams["application_name"] = applicationName
	config.RuntimeParams["standard_conforming_strings"] = "on"
	conn, err := pgx.ConnectConfig(ctx, config)
	if err != nil {
		return nil, connectError(role, dsn, err)
	}
	s := &server{role: role, dsn: dsn, conn: conn}
	var v string
	if err := conn.QueryRow(ctx, versionAndSessionSQL).Scan(&v, nil); err != nil {
		conn.Close(context.Background())
		return nil, fmt.Errorf("%s: read server version: %w", role, err)
	}
	s.version, _ = strconv.Atoi(v)
	return s, nil
}

// versionAndSessionSQL reads the server's version and turns JIT compilation off for the
// session, in one round trip. pghandoff's catalog queries take arrays of thousands of names,
// whose estimates cross jit_above_cost: on 1,000 tables, compiling the deferrable objects'
// query took 1.3 s of its 1.4 s. None of its queries runs long enough to repay it.
const versionAndSessionSQL = `SELECT current_setting('server_version_num'),
	CASE WHEN current_setting('server_version_num')::int >= 110000 THEN set_config('jit', 'off', false) END`

// reopen connects s again when its connection is gone: a query the pause's deadline cut
// short closes its connection (pgx cannot tell what state the server left it in).
func (s *server) reopen(ctx context.Context, operation string) (bool, error) {
	if !s.conn.IsClosed() {
		return false, nil
	}
	s.lease.give(s.role) // the closed connection no longer counts
	s.lease = nil
	fresh, err := openServer(ctx, s.role, s.dsn, operation)
	if err != nil {
		return false, err
	}
	s.conn, s.version, s.lease = fresh.conn, fresh.version, fresh.lease
	return true, nil
}

func (s *server) close() {
	if s != nil && s.conn != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		s.conn.Close(ctx)
		s.lease.give(s.role)
		s.lease = nil
	}
}

// major is the server's major version, e.g. 15.
func (s *server) major() int { return s.version / 10000 }

// versionString is e.g. "15.4".
func (s *server) versionString() string {
	return fmt.Sprintf("%d.%d", s.version/10000, s.version%10000)
}

// roleOption is the option that gives role's connection string, for remedies that point at
// it; a role that is not one of the migration's servers is named in words.
func roleOption(role string) any {
	switch role {
	case rolePrimary, roleReplica, roleProxy:
		return Option(role)
	}
	return role + "'s"
}

// connectError explains a failed connection without quoting the connection string.
func connectError(role string, dsn DSN, err error) error {
	wrapped := fmt.Errorf("connect to %s %s: %w", role, dsn, unwrapConnect(err))
	var netErr net.Error
	switch code := sqlState(err); {
	case code == codeInvalidPassword || code == codeInvalidAuth:
		return withHint(wrapped, remedy("check the user name and password in the ", roleOption(role), " connection string"))
	case code == codeInvalidCatalogName:
		return withHint(wrapped, remedy("check the database name in the ", roleOption(role), " connection string"))
	case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &netErr) && netErr.Timeout()):
		return withHint(wrapped, remedyf("the %s did not answer in time: check the host and port, and that a firewall or security group lets this machine reach it", role))
	case errors.Is(err, context.Canceled):
		return wrapped
	default:
		return withHint(wrapped, remedyf("check that the %s is running and reachable at %s:%d from this machine", role, dsn.Host(), dsn.Port()))
	}
}

// unwrapConnect keeps the server's or network's reason and drops pgx's preamble, which
// repeats the host and user.
func unwrapConnect(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr
	}
	var connErr *pgconn.ConnectError
	if errors.As(err, &connErr) && connErr.Unwrap() != nil {
		return connErr.Unwrap()
	}
	return err
}

// queryStrings runs a query returning one text column.
func (s *server) queryStrings(ctx context.Context, sql string, args ...any) ([]string, error) {
	rows, err := s.conn.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// exists runs a query returning one boolean.
func (s *server) exists(ctx context.Context, sql string, args ...any) (bool, error) {
	var ok bool
	err := s.conn.QueryRow(ctx, sql, args...).Scan(&ok)
	return ok, err
}

var errNoRows = pgx.ErrNoRows

// forEachRow calls fn for every row, then closes the rows.
func forEachRow(rows pgx.Rows, fn func(pgx.CollectableRow) error) error {
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}
