package core_test

import (
	"context"
	"errors"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/pghandoff/pghandoff/core"
	"github.com/pghandoff/pghandoff/internal/pgtest"
)

// Fence makes the application's roles read-only on the primary and ends their sessions;
// undo restores each role's own prior setting exactly, whether it had one or not.
func TestFenceAndUndo(t *testing.T) {
	e := newEnv(t, pgtest.Pairs(t)[0])
	writer, other := "w_"+e.primaryDB, "o_"+e.primaryDB
	e.execPrimary(`CREATE TABLE public.notes (id serial PRIMARY KEY, body text)`)
	for _, role := range []string{writer, other} {
		e.execPrimary(`CREATE ROLE ` + role + ` LOGIN PASSWORD 'pw'; GRANT ALL ON public.notes, public.notes_id_seq TO ` + role)
		t.Cleanup(func() {
			_ = e.pair.Primary.Exec(context.Background(), "postgres", "DROP OWNED BY "+role+"; DROP ROLE IF EXISTS "+role)
		})
	}
	// The writer's role has a setting of its own in this database: undo must put it back.
	e.execPrimary(`ALTER ROLE ` + writer + ` IN DATABASE ` + e.primaryDB + ` SET default_transaction_read_only = off`)
	connect := func(role string) *pgx.Conn {
		conn, err := pgx.Connect(ctxFor(t, time.Minute), e.pair.Primary.DSNFor(role, "pw", e.primaryDB))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close(context.Background()) })
		return conn
	}
	write := func(conn *pgx.Conn) error {
		_, err := conn.Exec(context.Background(), `INSERT INTO public.notes (body) VALUES ('x')`)
		return err
	}
	// Without the replica: the roles exist on the primary only, and fence says it could not
	// check them there (roles_test.go checks fence with the replica).
	m := e.m
	m.Replica = core.DSN{}
	opts := core.FenceOptions{Migration: m, Roles: []string{writer, other}, Execution: core.Execution{Observer: core.Observer{Logger: testLogger(t)}}}

	session := connect(writer)
	if err := write(session); err != nil {
		t.Fatalf("write before the fence: %v", err)
	}
	dry := opts
	dry.DryRun = true
	if res, err := core.Fence(ctxFor(t, time.Minute), dry); err != nil || len(res.Statements) == 0 || write(session) != nil {
		t.Fatalf("dry run: %v, or it changed something", err)
	}

	res, err := core.Fence(ctxFor(t, time.Minute), opts)
	if err != nil {
		t.Fatalf("fence: %v (%s)", err, core.Hint(err))
	}
	if res.Terminated < 1 || len(res.Roles) != 2 || res.Roles[0].Prior == nil || *res.Roles[0].Prior != "off" || res.Roles[1].Prior != nil || res.Method == "" ||
		!contains(res.Warnings, "not checked on the replica") {
		t.Fatalf("fence result: %s", statementsText(res))
	}
	if err := write(session); err == nil {
		t.Fatal("a session of the fenced role survived the fence")
	}
	for _, role := range []string{writer, other} {
		var pgErr *pgconn.PgError
		if err := write(connect(role)); !errors.As(err, &pgErr) || pgErr.Code != "25006" {
			t.Fatalf("%s wrote through the fence: %v", role, err)
		}
	}
	again, err := core.Fence(ctxFor(t, time.Minute), opts)
	if err != nil || again.Roles[0].Changed || *again.Roles[0].Prior != "off" {
		t.Fatalf("second fence: %v %s", err, statementsText(again))
	}

	if _, err := core.Fence(ctxFor(t, time.Minute), core.FenceOptions{Migration: m, Roles: []string{"postgres"}}); !errors.Is(err, core.ErrRefused) {
		t.Fatalf("fencing pghandoff's own role: %v, want a refusal", err)
	}

	undo := opts
	undo.Undo = true
	if _, err := core.Fence(ctxFor(t, time.Minute), undo); err != nil {
		t.Fatalf("undo: %v", err)
	}
	for _, role := range []string{writer, other} {
		if err := write(connect(role)); err != nil {
			t.Fatalf("%s cannot write after undo: %v", role, err)
		}
	}
	if n := e.queryInt(false, `SELECT count(*) FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole
		WHERE r.rolname = $1 AND s.setconfig = '{default_transaction_read_only=off}'`, writer); n != 1 {
		t.Fatal("undo did not restore the writer's own setting")
	}
	if n := e.queryInt(false, `SELECT count(*) FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole WHERE r.rolname = $1`, other); n != 0 {
		t.Fatal("undo left a setting on a role that had none")
	}
	if n := e.queryInt(false, `SELECT count(*) FROM pg_namespace WHERE nspname = 'pghandoff_' || $1::text`, e.m.Name); n != 0 {
		t.Fatal("undo left the fence records behind")
	}
}

// A session of a fenced role that cannot be ended (here: its backend is stopped, so it
// cannot act on the termination) is named, and fails the fence unless forced: it can still
// write until it reconnects.
func TestFenceNamesSurvivingSessions(t *testing.T) {
	e := newEnv(t, pgtest.Pairs(t)[0])
	writer := "s_" + e.primaryDB
	e.execPrimary(`CREATE ROLE ` + writer + ` LOGIN PASSWORD 'pw'`)
	e.execReplica(`CREATE ROLE ` + writer + ` LOGIN PASSWORD 'pw'`) // fence checks the role on the new primary too
	t.Cleanup(func() {
		_ = e.pair.Primary.Exec(context.Background(), "postgres", "DROP ROLE IF EXISTS "+writer)
		_ = e.pair.Replica.Exec(context.Background(), "postgres", "DROP ROLE IF EXISTS "+writer)
	})
	conn, err := pgx.Connect(ctxFor(t, time.Minute), e.pair.Primary.DSNFor(writer, "pw", e.primaryDB))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var pid int
	if err := conn.QueryRow(ctxFor(t, time.Minute), "SELECT pg_backend_pid()").Scan(&pid); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatalf("stop the backend: %v", err)
	}
	defer syscall.Kill(pid, syscall.SIGCONT)
	opts := core.FenceOptions{Migration: e.m, Roles: []string{writer}}
	res, err := core.Fence(ctxFor(t, time.Minute), opts)
	if !errors.Is(err, core.ErrFenceIncomplete) || len(res.Roles) != 1 || len(res.Roles[0].Surviving) != 1 || res.Roles[0].Surviving[0].PID != pid {
		t.Fatalf("fence with a session that cannot end: %v, %+v", err, res)
	}
	opts.Force = true
	res, err = core.Fence(ctxFor(t, time.Minute), opts)
	if err != nil || len(res.Warnings) < 2 {
		t.Fatalf("fence --force: %v, warnings %v", err, res.Warnings)
	}
	_ = syscall.Kill(pid, syscall.SIGCONT)
	opts.Undo, opts.Force = true, false
	if _, err := core.Fence(ctxFor(t, time.Minute), opts); err != nil {
		t.Fatalf("fence --undo: %v", err)
	}
}
