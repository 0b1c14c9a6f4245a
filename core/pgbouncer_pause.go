package core

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// Pause runs PAUSE on the database entry called name and returns when PgBouncer answers.
//
// What PAUSE does in PgBouncer 1.18, read in its source (src/admin.c admin_cmd_pause and
// admin_pause_done, src/janitor.c per_loop_pause and per_loop_maint, src/objects.c
// find_server) and measured against it: the first four points are tests in
// pgbouncer_pause_test.go; the others were seen in experiments and in the source.
//
//   - It sets a flag on the database (db_paused) at once, then answers only when the
//     database has no server connection left: every loop, idle and used server
//     connections are closed, and linked ones (in transaction pooling: inside a
//     transaction) are waited for. So PAUSE returns when the last in-flight transaction has
//     committed or rolled back and its server connection is closed; with none in flight it
//     answers at once. A transaction left open by its client holds PAUSE for as long as it
//     stays open (PgBouncer's idle_transaction_timeout, off by default, is the only bound).
//   - From the flag on, a client asking for a server connection (a new transaction, or a
//     new client) queues: cl_waiting in SHOW POOLS. A client inside a transaction keeps its
//     server connection until the transaction ends. Queued clients wait for RESUME, or
//     until query_wait_timeout (120 s by default) disconnects them with an error.
//   - The flag belongs to the database, not to the connection that issued PAUSE: if that
//     connection closes, dies or times out while PAUSE waits, or after it answered, the
//     database stays paused. Nothing in PgBouncer ever resumes it by itself (only SUSPEND is
//     undone when the last admin connection goes; PAUSE never is), so whoever pauses must
//     make sure that RESUME comes: see BouncerWatchdog.
//   - A PAUSE cut short on the client side (a context deadline here) leaves the flag set:
//     Pause then returns the context's error and the database is paused, perhaps still
//     waiting for server connections to close. Only RESUME clears it.
//   - RESUME from any admin connection clears the flag, including while another
//     connection's PAUSE still waits; that PAUSE then never answers (admin_pause_done runs
//     only while some database is paused): close its connection.
//   - PAUSE of a database that is already paused waits like the first one and succeeds;
//     PAUSE while the whole pooler is paused or suspended fails ("already suspended/paused").
//
// Pause therefore takes the caller's context as the bound of the wait, and on any failure
// the caller must RESUME on a fresh connection (Resume is idempotent) unless it means the
// database to stay paused.
func (b *Bouncer) Pause(ctx context.Context, name string) error {
	q, err := bouncerIdent(name)
	if err != nil {
		return err
	}
	return b.command(ctx, "PAUSE "+q)
}

// Resume runs RESUME on the database entry called name. A database that is not paused is
// not an error: resuming is what every way out of a pause does, and it must be safe to do
// twice (the watchdog and the cutover may both do it).
func (b *Bouncer) Resume(ctx context.Context, name string) error {
	q, err := bouncerIdent(name)
	if err != nil {
		return err
	}
	err = b.command(ctx, "RESUME "+q)
	if isBouncerError(err, "is not paused") {
		return nil
	}
	return err
}

// Reload runs RELOAD: PgBouncer reads its configuration files again, %included ones too.
//
// Before 1.25, RELOAD answers "RELOAD" even when the files could not be read or parsed: on a
// syntax error PgBouncer keeps every database as it was and only logs it (src/main.c
// load_config). A changed entry must therefore be confirmed in SHOW DATABASES (see
// ReloadAndConfirm), never inferred from RELOAD's answer. A database whose host, port,
// dbname, user or connect_query changed has its server connections closed as they are
// released; one that disappeared from the files is dropped and its clients disconnected.
func (b *Bouncer) Reload(ctx context.Context) error { return b.command(ctx, "RELOAD") }

// ReloadAndConfirm reloads and reads the entry called name back from SHOW DATABASES,
// returning an error unless it points where want says.
func (b *Bouncer) ReloadAndConfirm(ctx context.Context, want BouncerEntry) (BouncerDatabase, error) {
	if err := b.Reload(ctx); err != nil {
		return BouncerDatabase{}, err
	}
	db, found, err := b.Database(ctx, want.Name)
	if err != nil {
		return db, err
	}
	if !found {
		return db, withHint(fmt.Errorf("after RELOAD, PgBouncer has no database entry %q", want.Name),
			remedy("check that PgBouncer's configuration %%includes the file pghandoff writes, inside its [databases] section, and PgBouncer's log for errors in that file"))
	}
	if want.matchesTarget(db) && db.ForceUser != want.User {
		return db, withHint(fmt.Errorf("after RELOAD, PgBouncer's entry %q logs in to the server as %q, not as %q", want.Name, db.ForceUser, want.User),
			remedy("PgBouncer keeps an entry's forced user when a RELOAD drops it: restart PgBouncer to drop it, or keep the entry's forced user"))
	}
	if !want.matches(db) {
		return db, withHint(fmt.Errorf("after RELOAD, PgBouncer's entry %q points at %s:%d/%s, not at %s:%d/%s",
			want.Name, db.Host, db.Port, db.Database, want.Host, want.Port, want.DBName),
			remedy("PgBouncer did not load the file: check its log for an error in the file, and that it %%includes the file pghandoff writes"))
	}
	return db, nil
}

// isBouncerError reports an error the admin console answered with this text in its message
// (it has no SQLSTATE but 08P01 to tell its errors apart).
func isBouncerError(err error, text string) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && strings.Contains(pgErr.Message, text)
}
