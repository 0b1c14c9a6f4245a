package core

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
)

// BouncerVersion is PgBouncer's version, e.g. 1.18.0.
type BouncerVersion struct {
	Major, Minor, Patch int
	Text                string // as SHOW VERSION gives it, e.g. "PgBouncer 1.18.0"
}

func (v BouncerVersion) String() string { return fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch) }

// AtLeast reports whether v is major.minor or newer.
func (v BouncerVersion) AtLeast(major, minor int) bool {
	return v.Major > major || (v.Major == major && v.Minor >= minor)
}

var versionNumbers = regexp.MustCompile(`(\d+)\.(\d+)(?:\.(\d+))?`)

// Version reads SHOW VERSION.
func (b *Bouncer) Version(ctx context.Context) (BouncerVersion, error) {
	rows, err := b.show(ctx, "VERSION")
	if err != nil {
		return BouncerVersion{}, err
	}
	if len(rows) != 1 {
		return BouncerVersion{}, fmt.Errorf("pgbouncer SHOW VERSION: %d rows", len(rows))
	}
	v, err := parseBouncerVersion(rows[0]["version"])
	if err != nil {
		return v, fmt.Errorf("pgbouncer SHOW VERSION: %w", err)
	}
	return v, nil
}

// parseBouncerVersion reads a version: "PgBouncer 1.18.0", or "1.18.0".
func parseBouncerVersion(text string) (BouncerVersion, error) {
	v := BouncerVersion{Text: text}
	m := versionNumbers.FindStringSubmatch(text)
	if m == nil {
		return v, fmt.Errorf("no version number in %q", text)
	}
	v.Major, _ = strconv.Atoi(m[1])
	v.Minor, _ = strconv.Atoi(m[2])
	v.Patch, _ = strconv.Atoi(m[3])
	return v, nil
}

// Config reads SHOW CONFIG: every setting's current value by name (pool_mode, auth_type,
// auth_file, auth_query, auth_user, server_tls_sslmode, query_wait_timeout, ...).
func (b *Bouncer) Config(ctx context.Context) (map[string]string, error) {
	rows, err := b.show(ctx, "CONFIG")
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(rows))
	for _, r := range rows {
		out[r["key"]] = r["value"]
	}
	return out, nil
}

// BouncerDatabase is one row of SHOW DATABASES: a database entry as PgBouncer has loaded it.
type BouncerDatabase struct {
	Name      string `json:"name"`
	Host      string `json:"host"` // "" for a Unix socket
	Port      int    `json:"port"`
	Database  string `json:"database"`
	ForceUser string `json:"force_user,omitempty"`
	// PoolMode is the entry's own pool_mode, "" when it inherits the global one.
	PoolMode           string `json:"pool_mode,omitempty"`
	Paused             bool   `json:"paused"`
	Disabled           bool   `json:"disabled"`
	CurrentConnections int    `json:"current_connections"`
}

// Databases reads SHOW DATABASES.
func (b *Bouncer) Databases(ctx context.Context) ([]BouncerDatabase, error) {
	rows, err := b.show(ctx, "DATABASES")
	if err != nil {
		return nil, err
	}
	out := make([]BouncerDatabase, 0, len(rows))
	for _, r := range rows {
		out = append(out, BouncerDatabase{Name: r["name"], Host: r["host"], Port: atoi(r["port"]),
			Database: r["database"], ForceUser: r["force_user"], PoolMode: r["pool_mode"],
			Paused: r["paused"] == "1", Disabled: r["disabled"] == "1", CurrentConnections: atoi(r["current_connections"])})
	}
	return out, nil
}

// Database returns the entry called name as PgBouncer has loaded it, and whether it has one.
func (b *Bouncer) Database(ctx context.Context, name string) (BouncerDatabase, bool, error) {
	dbs, err := b.Databases(ctx)
	if err != nil {
		return BouncerDatabase{}, false, err
	}
	for _, d := range dbs {
		if d.Name == name {
			return d, true, nil
		}
	}
	return BouncerDatabase{}, false, nil
}

// BouncerPool is one row of SHOW POOLS: a database and user pair's clients and server
// connections.
type BouncerPool struct {
	Database string `json:"database"`
	User     string `json:"user"`
	// ClientsActive are linked to a server connection or idle; ClientsWaiting wait for
	// one, which is where a paused database's clients queue.
	ClientsActive  int `json:"cl_active"`
	ClientsWaiting int `json:"cl_waiting"`
	// ServersActive are linked to a client: in transaction pooling, inside a transaction.
	ServersActive int `json:"sv_active"`
	ServersIdle   int `json:"sv_idle"`
	ServersUsed   int `json:"sv_used"`
	// MaxWaitMicros is how long the oldest waiting client has waited.
	MaxWaitMicros int64  `json:"maxwait_us"`
	PoolMode      string `json:"pool_mode"` // the pool's effective pool_mode
}

// Pools reads SHOW POOLS.
func (b *Bouncer) Pools(ctx context.Context) ([]BouncerPool, error) {
	rows, err := b.show(ctx, "POOLS")
	if err != nil {
		return nil, err
	}
	out := make([]BouncerPool, 0, len(rows))
	for _, r := range rows {
		out = append(out, BouncerPool{Database: r["database"], User: r["user"],
			ClientsActive: atoi(r["cl_active"]), ClientsWaiting: atoi(r["cl_waiting"]),
			ServersActive: atoi(r["sv_active"]), ServersIdle: atoi(r["sv_idle"]), ServersUsed: atoi(r["sv_used"]),
			MaxWaitMicros: int64(atoi(r["maxwait"]))*1_000_000 + int64(atoi(r["maxwait_us"])), PoolMode: r["pool_mode"]})
	}
	return out, nil
}

// BouncerClients sums SHOW POOLS over one database entry's pools.
type BouncerClients struct {
	Active, Waiting, ServersActive int
	PoolModes                      []string // the effective pool modes of its pools, each once
}

// Clients sums the pools of the database entry called name: how many clients wait (the
// ones a pause holds), how many are linked, and which pool modes serve them.
func (b *Bouncer) Clients(ctx context.Context, name string) (BouncerClients, error) {
	pools, err := b.Pools(ctx)
	if err != nil {
		return BouncerClients{}, err
	}
	var c BouncerClients
	for _, p := range pools {
		if p.Database != name {
			continue
		}
		c.Active, c.Waiting, c.ServersActive = c.Active+p.ClientsActive, c.Waiting+p.ClientsWaiting, c.ServersActive+p.ServersActive
		c.PoolModes = dedupe(append(c.PoolModes, p.PoolMode))
	}
	return c, nil
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
