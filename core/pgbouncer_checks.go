package core

import (
	"context"
	"fmt"
	"time"
)

// BouncerCheckOptions are what `proxy create --pgbouncer` checks before it owns an entry.
type BouncerCheckOptions struct {
	Migration // Primary: where the entry points now; Replica: where cutover will point it
	Admin     DSN
	File      string // the file pghandoff owns, which PgBouncer's configuration %includes
	// Database names the entry: the database the application asks PgBouncer for. The
	// primary's database name when empty.
	Database string
	// ForceUser writes the DSN's user and password into the entry (PgBouncer's forced user):
	// every client then reaches the server as that user.
	ForceUser bool
	// AppRoles are the application's roles, which must be able to log in through PgBouncer
	// to the new primary too. The users of the entry's pools when empty.
	AppRoles []string
	MaxPause time.Duration // the cutover's; 5s when 0
	// DryRun checks without writing the file or reloading PgBouncer.
	DryRun bool
}

// BouncerCheckResult is every finding, and the entry as checked (its password never
// marshalled).
type BouncerCheckResult struct {
	OK      bool             `json:"ok"` // no check failed
	Checks  []Check          `json:"checks"`
	Version string           `json:"version,omitempty"`
	Entry   BouncerEntry     `json:"entry"`
	Loaded  *BouncerDatabase `json:"loaded,omitempty"` // the entry as PgBouncer has it after RELOAD
	Roles   []string         `json:"roles,omitempty"`  // the application roles checked
	// Settings are PgBouncer's settings that the checks read.
	Settings map[string]string `json:"settings,omitempty"`
}

// CheckBouncer makes the checks of `proxy create --pgbouncer`, read-only ones first, then
// (unless DryRun, and only if none failed) writes the entry pointing at the primary,
// RELOADs and confirms it in SHOW DATABASES: the proof that the file is writable and
// included. It returns the result, and an ErrRefused error naming the first failure.
func CheckBouncer(ctx context.Context, opts BouncerCheckOptions) (*BouncerCheckResult, error) {
	if err := opts.requireRoles(rolePrimary, roleReplica); err != nil {
		return nil, err
	}
	if opts.Database == "" {
		opts.Database = opts.Primary.Database()
	}
	if opts.MaxPause <= 0 {
		opts.MaxPause = 5 * time.Second
	}
	b, err := OpenBouncer(ctx, opts.Admin)
	if err != nil {
		return nil, err
	}
	defer b.Close()
	s, err := beginOperation(ctx, "proxy create", opts.Migration, Execution{DryRun: true}, rolePrimary, roleReplica)
	if err != nil {
		return nil, err
	}
	defer s.close()
	c := &bouncerChecker{opts: opts, b: b, primary: s.primary, replica: s.replica, res: &BouncerCheckResult{OK: true}}
	if err := c.run(ctx); err != nil {
		return c.res, err
	}
	if failed := c.failed(); len(failed) > 0 {
		return c.res, refused(failed[0].Remedy, "%s", failed[0].Detail)
	}
	return c.res, nil
}

type bouncerChecker struct {
	opts             BouncerCheckOptions
	b                *Bouncer
	primary, replica *server
	res              *BouncerCheckResult
	cfg              map[string]string
}

func (c *bouncerChecker) add(name, status, detail string, remedy Remedy) {
	c.res.Checks = append(c.res.Checks, Check{Name: name, Status: status, Detail: detail, Remedy: remedy})
	if status == CheckFail {
		c.res.OK = false
	}
}

func (c *bouncerChecker) failed() []Check {
	var out []Check
	for _, ch := range c.res.Checks {
		if ch.Status == CheckFail {
			out = append(out, ch)
		}
	}
	return out
}

func (c *bouncerChecker) run(ctx context.Context) error {
	var err error
	if c.res.Entry, err = BouncerEntryFor(c.opts.Database, c.opts.Primary, c.opts.ForceUser); err != nil {
		return err
	}
	if _, err := BouncerEntryFor(c.opts.Database, c.opts.Replica, c.opts.ForceUser); err != nil {
		return fmt.Errorf("replica: %w", err)
	}
	if c.cfg, err = c.b.Config(ctx); err != nil {
		return err
	}
	c.res.Settings = pick(c.cfg, "pool_mode", "auth_type", "auth_file", "auth_query", "auth_user",
		"server_tls_sslmode", "query_wait_timeout", "idle_transaction_timeout", "conffile")
	for _, check := range []func(context.Context) error{c.checkAdmin, c.checkVersion, c.checkPoolMode,
		c.checkTLS, c.checkWaitTimeout, c.checkDefinedOnce, c.checkRoles, c.checkServerAuth} {
		if err := check(ctx); err != nil {
			return err
		}
	}
	if len(c.failed()) > 0 || c.opts.DryRun {
		return c.checkFileDry()
	}
	return c.checkFile(ctx)
}
