package core

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/jackc/pgx/v5"
)

// lockClass is the first key of every pghandoff advisory lock ("pgho"); the second is a hash
// of the migration name. The CLI, the bot and the Action all take this lock before changing
// anything, so two people cannot run a cutover of one migration at once.
const lockClass int32 = 0x7067686f

// LockHolder describes the session that holds a migration's operation lock.
type LockHolder struct {
	PID             int       `json:"pid"`
	ApplicationName string    `json:"application_name"`
	User            string    `json:"user"`
	ClientAddr      string    `json:"client_addr,omitempty"`
	Since           time.Time `json:"since"`
}

func (h LockHolder) String() string {
	s := fmt.Sprintf("%q (pid %d, user %s", h.ApplicationName, h.PID, h.User)
	if h.ClientAddr != "" {
		s += " from " + h.ClientAddr
	}
	return s + ", since " + h.Since.UTC().Format(time.RFC3339) + ")"
}

// LockedError says who holds the lock. It matches ErrLocked.
type LockedError struct {
	Name   string
	Holder *LockHolder // nil when the holder could not be read
}

func (e *LockedError) Error() string {
	if e.Holder == nil {
		return fmt.Sprintf("migration %s is locked by another pghandoff operation", e.Name)
	}
	return fmt.Sprintf("migration %s is locked by %s", e.Name, e.Holder)
}

func (e *LockedError) Is(target error) bool { return target == ErrLocked }

func lockKey(name string) int32 {
	h := fnv.New32a()
	h.Write([]byte(name))
	return int32(h.Sum32())
}

// opLock is a held operation lock: a transaction-level advisory lock, held by a transaction
// left open on a connection of its own for as long as the operation runs. A crash ends the
// connection and frees it. Being held by a transaction rather than a session, it is as
// exclusive through a pooler (PgBouncer in transaction mode keeps a server connection for a
// client while its transaction is open) as directly: a session-level lock taken through such a
// pooler would stay on the server connection for its next client, or be taken twice. A
// statement-mode pooler refuses the transaction, with an error that says so.
type opLock struct{ srv *server }

// lockSessionSettings keep the lock's connection for the operation, however long: no
// server-side timeout may end its idle transaction, and keepalives find a client that
// vanished with its network within a minute instead of the operating system's two hours.
const lockSessionSettings = `BEGIN; SET LOCAL idle_in_transaction_session_timeout = 0; SET LOCAL statement_timeout = 0;
SET tcp_keepalives_idle = 20; SET tcp_keepalives_interval = 10; SET tcp_keepalives_count = 3`

// acquireLock takes the operation lock of migration name on the server dsn points at, or
// fails at once with who holds it.
func acquireLock(ctx context.Context, role string, dsn DSN, name, operation string) (*opLock, error) {
	srv, err := openServer(ctx, role, dsn, operation+" (lock "+name+")")
	if err != nil {
		return nil, err
	}
	if _, err := srv.conn.Exec(ctx, lockSessionSettings); err != nil {
		srv.close()
		return nil, withHint(fmt.Errorf("take operation lock: %w", err),
			remedy("if the ", roleOption(role), " connection string goes through a pooler in statement mode, give pghandoff the server's own address, or a session or transaction pool"))
	}
	// By the simple protocol: the extended protocol's unnamed portal would outlive the query
	// in the open transaction, and hold its snapshot, and with it the primary's xmin horizon,
	// for the whole operation: vacuum could not clean up behind it, and CREATE INDEX
	// CONCURRENTLY (ddl) would wait for it forever.
	ok, err := srv.exists(ctx, "SELECT pg_try_advisory_xact_lock($1, $2)", pgx.QueryExecModeSimpleProtocol, lockClass, lockKey(name))
	if err != nil {
		srv.close()
		return nil, fmt.Errorf("take operation lock: %w", err)
	}
	if !ok {
		holder, _ := lockHolder(ctx, srv, name)
		srv.close()
		return nil, withHint(&LockedError{Name: name, Holder: holder},
			remedyf("wait for that operation to finish; if its process is gone for good, end its session on the %s (SELECT pg_terminate_backend(pid)) to free the lock", role))
	}
	return &opLock{srv: srv}, nil
}

// release frees the lock by closing its connection, which ends its transaction.
func (l *opLock) release() {
	if l != nil {
		l.srv.close()
	}
}

// LockStatus reports who holds the migration's operation lock, on its primary;
// nil when nobody does.
func LockStatus(ctx context.Context, m Migration) (*LockHolder, error) {
	if err := m.requireRoles(rolePrimary); err != nil {
		return nil, err
	}
	ctx, end, err := m.reserve(ctx, "who", need{rolePrimary: 1})
	if err != nil {
		return nil, err
	}
	defer end()
	srv, err := openServer(ctx, rolePrimary, m.Primary, "who")
	if err != nil {
		return nil, err
	}
	defer srv.close()
	return lockHolder(ctx, srv, m.name())
}

func lockHolder(ctx context.Context, srv *server, name string) (*LockHolder, error) {
	var h LockHolder
	err := srv.conn.QueryRow(ctx, `
		SELECT a.pid, coalesce(a.application_name, ''), coalesce(a.usename::text, ''),
		       coalesce(host(a.client_addr), ''), a.backend_start
		FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
		WHERE l.locktype = 'advisory' AND l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
		  AND l.classid = $1::bigint::oid AND l.objid = $2::bigint::oid AND l.objsubid = 2`,
		int64(uint32(lockClass)), int64(uint32(lockKey(name)))).
		Scan(&h.PID, &h.ApplicationName, &h.User, &h.ClientAddr, &h.Since)
	if err != nil {
		if errors.Is(err, errNoRows) {
			return nil, nil
		}
		return nil, fmt.Errorf("read lock holder: %w", err)
	}
	return &h, nil
}
