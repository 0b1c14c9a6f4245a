package core

import (
	"context"
	"fmt"
	"time"
)

// bouncerCheckOptions are what `proxy create` with PgBouncer checks before it owns an entry.
type bouncerCheckOptions struct {
	Migration // Primary: where the entry points now; Replica: where cutover will point it
	Admin     DSN
	File      string // the file pghandoff owns, which PgBouncer's configuration %includes
	Database  string // the entry's name: the database the application asks PgBouncer for
	// ForceUser writes the DSN's user and password into the entry (PgBouncer's forced user):
	// every client then reaches the server as that user. Kept from the file's entry, when it
	// has one.
	ForceUser bool
	// AppRoles are the application's roles, which must be able to log in through PgBouncer
	// to the new primary too. The users of the entry's pools when empty.
	AppRoles []string
	MaxPause time.Duration // the cutover's
	// DryRun checks without writing the file or reloading PgBouncer.
	DryRun bool
}

// newBouncerCheckOptions are the checks' options for migration m.
func newBouncerCheckOptions(m Migration, maxPause time.Duration) bouncerCheckOptions {
	return bouncerCheckOptions{Migration: m, Admin: m.PgBouncer.Admin, File: m.PgBouncer.Config, Database: m.bouncerEntry(),
		MaxPause: maxPause}
}

// BouncerCheckResult is every finding of proxy create's checks with PgBouncer, and the entry
// as checked (its password never marshalled).
type BouncerCheckResult struct {
	OK      bool             `json:"ok"` // no check failed
	Checks  []Check          `json:"checks"`
	Version string           `json:"version,omitempty"`
	Entry   BouncerEntry     `json:"entry"`
	Loaded  *BouncerDatabase `json:"loaded,omitempty"` // the entry as PgBouncer has it after RELOAD
	Roles   []string         `json:"roles,omitempty"`  // the application roles checked
	// Written: the file was written and reloaded; false when the entry was already in place.
	Written bool `json:"written"`
	// Settings are PgBouncer's settings that the checks read.
	Settings map[string]string `json:"settings,omitempty"`
}

// bouncerChecker makes the checks of `proxy create` with PgBouncer, read-only ones first,
// then (unless DryRun, and only if none failed) writes the entry pointing at the primary,
// RELOADs and confirms it in SHOW DATABASES: the proof that the file is writable and
// included. It never takes over an entry that points elsewhere than the primary.
type bouncerChecker struct {
	opts             bouncerCheckOptions
	b                *Bouncer
	primary, replica *server
	r                *runner
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

// refusal is an ErrRefused error naming the first failed check, or nil.
func (c *bouncerChecker) refusal() error {
	if failed := c.failed(); len(failed) > 0 {
		return refused(failed[0].Remedy, "%s", failed[0].Detail)
	}
	return nil
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
		return c.checkFileDry(ctx)
	}
	return c.checkFile(ctx)
}

// checkSwitchSettings refuses a switch through PgBouncer whose settings have changed since
// proxy create checked them: session pooling, or clients dropped before the pause can end.
func checkSwitchSettings(ctx context.Context, b *Bouncer, m Migration, maxPause time.Duration) error {
	c := &bouncerChecker{opts: newBouncerCheckOptions(m, maxPause), b: b, res: &BouncerCheckResult{OK: true}}
	var err error
	if c.cfg, err = b.Config(ctx); err != nil {
		return err
	}
	for _, check := range []func(context.Context) error{c.checkPoolMode, c.checkWaitTimeout} {
		if err := check(ctx); err != nil {
			return err
		}
	}
	return c.refusal()
}
