package core

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
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

// minBouncer is the oldest PgBouncer with what the strategy reads: SHOW DATABASES's paused
// column (1.8), by which every pause and resume is confirmed.
var minBouncer = BouncerVersion{Major: 1, Minor: 8}

// CheckBouncer makes the checks of `proxy create --pgbouncer`, read-only ones first, then
// (unless DryRun, and only if none failed) writes the entry pointing at the primary,
// RELOADs and confirms it in SHOW DATABASES: the proof that the file is writable and
// included. It returns the result, and an ErrRefused error naming the first failure.
func CheckBouncer(ctx context.Context, opts BouncerCheckOptions) (*BouncerCheckResult, error) {
	if err := opts.require(true, true, false); err != nil {
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
	s, err := openSession(ctx, opts.Migration, "proxy create", true, rolePrimary, roleReplica)
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

func (c *bouncerChecker) add(name, status, detail, remedy string) {
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

func (c *bouncerChecker) checkAdmin(context.Context) error {
	user := c.opts.Admin.User()
	if !slices.Contains(splitList(c.cfg["admin_users"]), user) {
		c.add("pgbouncer admin", CheckFail, fmt.Sprintf("%s is not in PgBouncer's admin_users: it cannot PAUSE, RESUME or RELOAD", user),
			"add the user to admin_users in PgBouncer's configuration and reload it, or connect as one listed there")
		return nil
	}
	c.add("pgbouncer admin", CheckPass, fmt.Sprintf("connected to PgBouncer's admin console as %s", user), "")
	return nil
}

func (c *bouncerChecker) checkVersion(ctx context.Context) error {
	v, err := c.b.Version(ctx)
	if err != nil {
		return err
	}
	c.res.Version = v.String()
	switch {
	case !v.AtLeast(minBouncer.Major, minBouncer.Minor):
		c.add("pgbouncer version", CheckFail, fmt.Sprintf("PgBouncer %s is older than %d.%d, whose SHOW DATABASES first shows whether a database is paused", v, minBouncer.Major, minBouncer.Minor),
			"upgrade PgBouncer (Debian 12 ships 1.18), or switch traffic with the postgres_fdw proxy")
	case !v.AtLeast(1, 18):
		c.add("pgbouncer version", CheckWarn, fmt.Sprintf("PgBouncer %s does not show application names: a later run cannot tell whether a cutover's watchdog still holds a pause", v),
			"upgrade to PgBouncer 1.18 or newer")
	default:
		c.add("pgbouncer version", CheckPass, "PgBouncer "+v.String(), "")
	}
	return nil
}

// checkPoolMode refuses session pooling anywhere on the entry: PAUSE waits until every
// server connection is released, which in session pooling means until every client
// disconnects, so the pause would last as long as the application's connections do.
func (c *bouncerChecker) checkPoolMode(ctx context.Context) error {
	modes, err := c.poolModes(ctx)
	if err != nil {
		return err
	}
	if slices.Contains(modes, "session") {
		c.add("pool mode", CheckFail, fmt.Sprintf("the entry %s is served in session pooling (pool modes: %s): PAUSE would wait for every client to disconnect, not for transactions to end",
			c.opts.Database, strings.Join(modes, ", ")),
			"set pool_mode = transaction (or statement) for that database in PgBouncer, if the application allows it; otherwise switch traffic with the postgres_fdw proxy (pghandoff proxy create without --pgbouncer)")
		return nil
	}
	c.add("pool mode", CheckPass, fmt.Sprintf("%s pooling: PAUSE waits for transactions in flight, not for clients to leave", strings.Join(modes, ", ")), "")
	return nil
}

// poolModes are the pool modes that serve the entry: its own (in the file or as loaded),
// else the global one, and those of its pools (a [users] pool_mode overrides per user).
func (c *bouncerChecker) poolModes(ctx context.Context) ([]string, error) {
	mode := c.cfg["pool_mode"]
	if db, found, err := c.b.Database(ctx, c.opts.Database); err != nil {
		return nil, err
	} else if found && db.PoolMode != "" {
		mode = db.PoolMode
	}
	if entries, err := ReadBouncerFile(c.opts.File); err == nil {
		for _, e := range entries {
			if e.Name == c.opts.Database && e.Extra["pool_mode"] != "" {
				mode = e.Extra["pool_mode"]
			}
		}
	}
	clients, err := c.b.Clients(ctx, c.opts.Database)
	if err != nil {
		return nil, err
	}
	modes := append([]string{mode}, clients.PoolModes...)
	slices.Sort(modes)
	return slices.Compact(modes), nil
}

// checkTLS compares what the replica's connection string asks of TLS with what PgBouncer
// does to its servers: PgBouncer takes no sslmode in an entry, only server_tls_sslmode.
func (c *bouncerChecker) checkTLS(context.Context) error {
	want := c.opts.Replica.libpqSettings(false)["sslmode"]
	have := c.cfg["server_tls_sslmode"]
	needs, verifies := map[string]bool{"require": true, "verify-ca": true, "verify-full": true}, map[string]bool{"verify-ca": true, "verify-full": true}
	switch {
	case needs[want] && (have == "disable" || have == "allow"):
		c.add("server tls", CheckFail, fmt.Sprintf("the replica's connection string asks for sslmode=%s, but PgBouncer connects to servers with server_tls_sslmode=%s", want, have),
			"set server_tls_sslmode = require (or verify-full, with server_tls_ca_file) in PgBouncer, and reload it")
	case verifies[want] && !verifies[have]:
		c.add("server tls", CheckWarn, fmt.Sprintf("the replica's connection string verifies the server's certificate (sslmode=%s); PgBouncer will not (server_tls_sslmode=%s)", want, have),
			"set server_tls_sslmode = verify-full and server_tls_ca_file in PgBouncer")
	default:
		c.add("server tls", CheckPass, "PgBouncer's server_tls_sslmode is "+have, "")
	}
	return nil
}

// checkWaitTimeout: PgBouncer disconnects a client that has waited query_wait_timeout for a
// server connection, which during a pause is every client with work to do.
func (c *bouncerChecker) checkWaitTimeout(context.Context) error {
	d, err := parseBouncerSeconds(c.cfg["query_wait_timeout"])
	switch {
	case err != nil:
		c.add("query wait timeout", CheckWarn, "could not read query_wait_timeout: "+err.Error(), "")
	case d > 0 && d <= c.opts.MaxPause:
		c.add("query wait timeout", CheckFail, fmt.Sprintf("PgBouncer disconnects clients that wait %s (query_wait_timeout), no longer than the cutover's longest pause (%s)", d, c.opts.MaxPause),
			"raise query_wait_timeout in PgBouncer well above --max-pause, or cut over with a shorter --max-pause")
	default:
		c.add("query wait timeout", CheckPass, fmt.Sprintf("clients may wait %s for a server connection (query_wait_timeout), longer than the longest pause (%s)", orNone(d), c.opts.MaxPause), "")
	}
	return nil
}

func parseBouncerSeconds(s string) (time.Duration, error) {
	if s == "" {
		return 0, errors.New("not shown")
	}
	// SHOW CONFIG gives times in seconds, with a fraction on some versions.
	d, err := time.ParseDuration(s + "s")
	if err != nil {
		return time.ParseDuration(s)
	}
	return d, nil
}

func orNone(d time.Duration) string {
	if d == 0 {
		return "without limit"
	}
	return d.String()
}

func pick(m map[string]string, keys ...string) map[string]string {
	out := map[string]string{}
	for _, k := range keys {
		if v, ok := m[k]; ok {
			out[k] = v
		}
	}
	return out
}

// splitList reads one of PgBouncer's user lists (admin_users, stats_users): names
// separated by commas or spaces.
func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' })
}
