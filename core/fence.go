package core

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// FenceOptions configures Fence.
type FenceOptions struct {
	Migration
	Roles []string // the roles the application writes as
	Undo  bool     // give the roles back exactly what they had before the fence
	// Force goes on when some of the roles' sessions could not be ended: they can still
	// write until they reconnect. Without it, Fence fails and names them.
	Force bool
	Execution
}

// FenceResult is what Fence did to each role.
type FenceResult struct {
	Name       string       `json:"name"`
	DryRun     bool         `json:"dry_run"`
	Undo       bool         `json:"undo"`
	Method     string       `json:"method"`
	Database   string       `json:"database"`
	Roles      []FencedRole `json:"roles"`
	Terminated int          `json:"sessions_terminated"`
	Warnings   []string     `json:"warnings,omitempty"`
	Statements []Statement  `json:"statements"`
}

// FencedRole is one role's fence.
type FencedRole struct {
	Role string `json:"role"`
	// Prior is the role's own default_transaction_read_only in this database before the
	// fence: null when it had none. Undo restores exactly this.
	Prior      *string `json:"prior"`
	Changed    bool    `json:"changed"` // false: already fenced (or, on undo, not fenced)
	Terminated int     `json:"sessions_terminated"`
	// Surviving are the role's sessions from before the fence that could not be ended: they
	// can still write until they reconnect.
	Surviving []Session `json:"surviving_sessions,omitempty"`
}

// Session is a server session, as pg_stat_activity shows it.
type Session struct {
	PID             int       `json:"pid"`
	ApplicationName string    `json:"application_name"`
	ClientAddr      string    `json:"client_addr,omitempty"`
	Since           time.Time `json:"since"`
}

// ErrFenceIncomplete: some sessions of a fenced role from before the fence are still there.
var ErrFenceIncomplete = errors.New("some sessions from before the fence could not be ended and can still write")

// fenceMethod says what a fence is. The choice, over revoking write privileges: the setting
// is one value per role, so recording it and putting it back is exact, while privileges are
// many (per table, sequence, function, default privileges, inherited through memberships and
// PUBLIC), and an application that owns its tables, as most do, keeps an owner's rights that
// a REVOKE does not take away for good. The setting stops every write an application makes
// (INSERT, UPDATE, DELETE, DDL, nextval) at once; what it does not stop is a client that
// deliberately sets transaction_read_only off, which is what an operator may want anyway.
const fenceMethod = "ALTER ROLE ... IN DATABASE ... SET default_transaction_read_only = on, then end the role's sessions in the database so that they reconnect read-only"

// Fence stops the given roles from writing on the primary, for the switch without a proxy:
// each role's sessions in the migration's database become read-only, and the running ones
// are ended so that they reconnect under the new default. Undo puts each role's previous
// setting back, recorded when it was fenced, and ends the sessions again so that they
// reconnect writable. Running it twice changes nothing more.
func Fence(ctx context.Context, opts FenceOptions) (*FenceResult, error) {
	if len(opts.Roles) == 0 {
		return nil, &InvalidOptionError{Option: OptRole, Reason: "no role given: name the roles the application writes as"}
	}
	servers := []string{rolePrimary}
	if !opts.Replica.IsZero() {
		servers = append(servers, roleReplica) // to check the roles there (fence_roles.go)
	}
	ctx, end, err := opts.reserve(ctx, "fence", need{rolePrimary: 2, roleReplica: 1})
	if err != nil {
		return nil, err
	}
	defer end()
	op, err := beginOperation(ctx, "fence", opts.Migration, opts.Execution, servers...)
	if err != nil {
		return nil, err
	}
	defer op.close()
	res := &FenceResult{Name: opts.name(), DryRun: opts.DryRun, Undo: opts.Undo, Method: fenceMethod,
		Database: opts.Primary.Database(), Roles: []FencedRole{},
		Warnings: []string{"a fenced role's client can still write if it sets transaction_read_only off itself: the fence stops applications, not people"}}
	f := &fencer{opts: opts, primary: op.primary, replica: op.replica, res: res, r: op.r}
	err = f.run(ctx)
	res.Statements = op.statements()
	return res, err
}

type fencer struct {
	opts    FenceOptions
	primary *server
	replica *server // nil when not given
	r       *runner
	res     *FenceResult
}

func (f *fencer) table() string { return ident(f.opts.helperSchema(), "fence") }

func (f *fencer) run(ctx context.Context) error {
	if err := f.checkRoles(ctx); err != nil {
		return err
	}
	if err := f.checkReplica(ctx); err != nil {
		return err
	}
	records, err := f.records(ctx)
	if err != nil {
		return err
	}
	for _, role := range f.opts.Roles {
		prior, fenced := records[role]
		var fr FencedRole
		if f.opts.Undo {
			fr, err = f.unfence(ctx, role, prior, fenced)
		} else {
			fr, err = f.fence(ctx, role, prior, fenced)
		}
		if err != nil {
			return err
		}
		if fr.Changed || !f.opts.Undo {
			if fr.Terminated, err = f.terminate(ctx, role); err != nil {
				return err
			}
			f.res.Terminated += fr.Terminated
		}
		if !f.opts.Undo && !f.opts.DryRun {
			if fr.Surviving, err = f.surviving(ctx, role); err != nil {
				return err
			}
		}
		f.res.Roles = append(f.res.Roles, fr)
	}
	if f.opts.Undo {
		return f.dropRecordsIfEmpty(ctx)
	}
	return f.checkSurvivors()
}

// surviving lists the role's sessions in the database that began before its fence and are
// still there: the ones that reconnected since are read-only.
func (f *fencer) surviving(ctx context.Context, role string) ([]Session, error) {
	rows, err := f.primary.conn.Query(ctx, `SELECT a.pid, coalesce(a.application_name, ''), coalesce(host(a.client_addr), ''), a.backend_start
		FROM pg_stat_activity a, `+f.table()+` r
		WHERE a.usename = $1 AND a.datname = current_database() AND a.pid <> pg_backend_pid()
		  AND r.role = $1 AND a.backend_start <= r.fenced_at ORDER BY a.pid`, role)
	if err != nil {
		return nil, fmt.Errorf("primary: read the sessions of %s: %w", role, err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (Session, error) {
		var s Session
		return s, row.Scan(&s.PID, &s.ApplicationName, &s.ClientAddr, &s.Since)
	})
}

// checkSurvivors fails when sessions from before the fence are left, unless told to go on.
func (f *fencer) checkSurvivors() error {
	var left []string
	for _, fr := range f.res.Roles {
		for _, s := range fr.Surviving {
			left = append(left, fmt.Sprintf("%s (pid %d, %q, since %s)", fr.Role, s.PID, s.ApplicationName, s.Since.Format(time.RFC3339)))
		}
	}
	if len(left) == 0 {
		return nil
	}
	msg := fmt.Sprintf("%d session(s) from before the fence are still there and can write: %s", len(left), joinList(left, 10))
	if f.opts.Force {
		f.res.Warnings = append(f.res.Warnings, msg)
		return nil
	}
	return withHint(fmt.Errorf("%w: %s", ErrFenceIncomplete, msg),
		remedy("end them (SELECT pg_terminate_backend(pid) on the primary, or stop what holds them), then run ", CmdFence,
			" again; or run it with ", OptForce, " to go on, knowing they can write until they reconnect"))
}

// checkRoles refuses unknown roles, and the role pghandoff itself connects as: fencing it
// would stop pghandoff's own writes (the sentinel, the fence records).
func (f *fencer) checkRoles(ctx context.Context) error {
	var self string
	if err := f.primary.conn.QueryRow(ctx, "SELECT session_user::text").Scan(&self); err != nil {
		return fmt.Errorf("primary: read session user: %w", err)
	}
	known, err := f.primary.queryStrings(ctx, "SELECT rolname::text FROM pg_roles WHERE rolname = ANY($1)", f.opts.Roles)
	if err != nil {
		return fmt.Errorf("primary: read roles: %w", err)
	}
	for _, role := range f.opts.Roles {
		switch {
		case role == self && !f.opts.Undo:
			return refused(remedy("connect pghandoff as another role (an administrator) and fence the application's roles"),
				"%s is the role pghandoff connects as", ident(role))
		case !slices.Contains(known, role):
			return refused(remedy("check the role names: they are matched exactly, case included"),
				"role %s does not exist on the primary", ident(role))
		}
	}
	return nil
}

// records reads the prior settings recorded by earlier fences: role → prior (nil: none).
func (f *fencer) records(ctx context.Context) (map[string]*string, error) {
	out := map[string]*string{}
	exists, err := f.primary.exists(ctx, "SELECT to_regclass($1) IS NOT NULL", f.table())
	if err != nil || !exists {
		return out, err
	}
	rows, err := f.primary.conn.Query(ctx, "SELECT role, prior FROM "+f.table())
	if err != nil {
		return nil, fmt.Errorf("primary: read fence records: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var role string
		var prior *string
		if err := rows.Scan(&role, &prior); err != nil {
			return nil, err
		}
		out[role] = prior
	}
	return out, rows.Err()
}

// currentSetting is the role's own default_transaction_read_only in this database, or nil.
func (f *fencer) currentSetting(ctx context.Context, role string) (*string, error) {
	configs, err := f.primary.queryStrings(ctx, `SELECT unnest(s.setconfig) FROM pg_db_role_setting s
		WHERE s.setrole = (SELECT oid FROM pg_roles WHERE rolname = $1)
		  AND s.setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())`, role)
	if err != nil {
		return nil, fmt.Errorf("primary: read settings of role %s: %w", role, err)
	}
	for _, c := range configs {
		if v, ok := strings.CutPrefix(c, "default_transaction_read_only="); ok {
			return &v, nil
		}
	}
	return nil, nil
}

func (f *fencer) alterRole(role string, value *string) string {
	prefix := fmt.Sprintf("ALTER ROLE %s IN DATABASE %s ", ident(role), ident(f.opts.Primary.Database()))
	if value == nil {
		return prefix + "RESET default_transaction_read_only"
	}
	return prefix + "SET default_transaction_read_only = " + literal(*value)
}

// fence records the role's prior setting and sets it read-only, in one transaction, so that
// the record exists exactly when the fence does.
func (f *fencer) fence(ctx context.Context, role string, recorded *string, fenced bool) (FencedRole, error) {
	fr := FencedRole{Role: role, Prior: recorded}
	current, err := f.currentSetting(ctx, role)
	if err != nil {
		return fr, err
	}
	if fenced && current != nil && *current == "on" {
		return fr, nil
	}
	stmts := []string{"BEGIN"}
	if !fenced {
		fr.Prior = current
		if err := ensureHelperSchema(ctx, f.r, f.primary, f.opts.Migration); err != nil {
			return fr, err
		}
		stmts = append(stmts,
			"CREATE TABLE IF NOT EXISTS "+f.table()+" (role text PRIMARY KEY, prior text, fenced_at timestamptz NOT NULL DEFAULT now())",
			fmt.Sprintf("INSERT INTO %s (role, prior) VALUES (%s, %s)", f.table(), literal(role), nullableLiteral(current)))
	}
	on := "on"
	stmts = append(stmts, f.alterRole(role, &on), "COMMIT")
	fr.Changed = true
	return fr, f.inTransaction(ctx, stmts)
}

func (f *fencer) unfence(ctx context.Context, role string, prior *string, fenced bool) (FencedRole, error) {
	fr := FencedRole{Role: role, Prior: prior}
	if !fenced {
		f.r.note(ctx, rolePrimary, "role %s was not fenced by pghandoff: nothing to undo", role)
		return fr, nil
	}
	fr.Changed = true
	return fr, f.inTransaction(ctx, []string{"BEGIN", f.alterRole(role, prior),
		fmt.Sprintf("DELETE FROM %s WHERE role = %s", f.table(), literal(role)), "COMMIT"})
}

func (f *fencer) inTransaction(ctx context.Context, stmts []string) error {
	for _, stmt := range stmts {
		if err := f.r.exec(ctx, f.primary, stmt, ""); err != nil {
			rollback(f.primary)
			return err
		}
	}
	return nil
}

// terminate ends the role's sessions in the migration's database and waits for them to go.
func (f *fencer) terminate(ctx context.Context, role string) (int, error) {
	sql := fmt.Sprintf(`SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 5000)) FROM pg_stat_activity
		WHERE usename = %s AND datname = current_database() AND pid <> pg_backend_pid()`, literal(role))
	n, err := f.r.queryInt(ctx, f.primary, sql)
	if err != nil && sqlState(err) == codeInsufficientPriv {
		return 0, withHint(err, remedy("grant the pg_signal_backend role to the user of the ", OptPrimary, " connection string, or end the sessions of "+role+" yourself"))
	}
	return int(n), err
}

// dropRecordsIfEmpty removes the fence records once no role is fenced, and the helper schema
// with them when nothing else is in it.
func (f *fencer) dropRecordsIfEmpty(ctx context.Context) error {
	records, err := f.records(ctx)
	if err != nil || len(records) > 0 || f.opts.DryRun {
		return err
	}
	if err := f.r.exec(ctx, f.primary, "DROP TABLE IF EXISTS "+f.table(), ""); err != nil {
		return err
	}
	_, err = dropHelperSchemaIfEmpty(ctx, f.r, f.primary, f.opts.Migration)
	return err
}
