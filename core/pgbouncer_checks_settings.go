package core

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// The checks of PgBouncer's own settings: who may pause, which version, which pooling, TLS
// to the servers, how long clients may queue.

// minBouncer is the oldest PgBouncer with what the strategy reads: SHOW DATABASES's paused
// column (1.8), by which every pause and resume is confirmed.
var minBouncer = BouncerVersion{Major: 1, Minor: 8}

func (c *bouncerChecker) checkAdmin(context.Context) error {
	user := c.opts.Admin.User()
	if !slices.Contains(splitList(c.cfg["admin_users"]), user) {
		c.add("pgbouncer admin", CheckFail, fmt.Sprintf("%s is not in PgBouncer's admin_users: it cannot PAUSE, RESUME or RELOAD", user),
			remedy("add the user to admin_users in PgBouncer's configuration and reload it, or connect as one listed there"))
		return nil
	}
	c.add("pgbouncer admin", CheckPass, fmt.Sprintf("connected to PgBouncer's admin console as %s", user), Remedy{})
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
			remedy("upgrade PgBouncer (Debian 12 ships 1.18), or switch traffic with the postgres_fdw proxy"))
	case !v.AtLeast(1, 18):
		c.add("pgbouncer version", CheckWarn, fmt.Sprintf("PgBouncer %s does not show application names: a later run cannot tell whether a cutover's watchdog still holds a pause", v),
			remedy("upgrade to PgBouncer 1.18 or newer"))
	default:
		c.add("pgbouncer version", CheckPass, "PgBouncer "+v.String(), Remedy{})
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
			remedy("set pool_mode = transaction (or statement) for that database in PgBouncer, if the application allows it; otherwise switch traffic with the postgres_fdw proxy (", CmdProxyCreate, " with the proxy instead of PgBouncer)"))
		return nil
	}
	c.add("pool mode", CheckPass, fmt.Sprintf("%s pooling: PAUSE waits for transactions in flight, not for clients to leave", strings.Join(modes, ", ")), Remedy{})
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
			remedy("set server_tls_sslmode = require (or verify-full, with server_tls_ca_file) in PgBouncer, and reload it"))
	case verifies[want] && !verifies[have]:
		c.add("server tls", CheckWarn, fmt.Sprintf("the replica's connection string verifies the server's certificate (sslmode=%s); PgBouncer will not (server_tls_sslmode=%s)", want, have),
			remedy("set server_tls_sslmode = verify-full and server_tls_ca_file in PgBouncer"))
	default:
		c.add("server tls", CheckPass, "PgBouncer's server_tls_sslmode is "+have, Remedy{})
	}
	return nil
}

// checkWaitTimeout: PgBouncer disconnects a client that has waited query_wait_timeout for a
// server connection, which during a pause is every client with work to do.
func (c *bouncerChecker) checkWaitTimeout(context.Context) error {
	d, err := parseBouncerSeconds(c.cfg["query_wait_timeout"])
	switch {
	case err != nil:
		c.add("query wait timeout", CheckWarn, "could not read query_wait_timeout: "+err.Error(), Remedy{})
	case d > 0 && d <= c.opts.MaxPause:
		c.add("query wait timeout", CheckFail, fmt.Sprintf("PgBouncer disconnects clients that wait %s (query_wait_timeout), no longer than the cutover's longest pause (%s)", d, c.opts.MaxPause),
			remedy("raise query_wait_timeout in PgBouncer well above the cutover's ", OptMaxPause, ", or cut over with a shorter one"))
	default:
		c.add("query wait timeout", CheckPass, fmt.Sprintf("clients may wait %s for a server connection (query_wait_timeout), longer than the longest pause (%s)", orNone(d), c.opts.MaxPause), Remedy{})
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
