package core

import (
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// DSN is a parsed connection string. Its String form never holds the password; the full
// string is only handed to pgx, to libpq-based tools through their environment, and to the
// servers that need it (a subscription, a foreign server).
type DSN struct {
	raw      string
	config   *pgx.ConnConfig
	settings map[string]string // the keywords given in raw, canonical names
}

// ParseDSN parses a connection string in URL or keyword/value form with pgx, as libpq would.
func ParseDSN(s string) (DSN, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return DSN{}, fmt.Errorf("empty connection string")
	}
	config, err := pgx.ParseConfig(s)
	if err != nil {
		// pgx's message quotes the input with its password masked on a best-effort basis;
		// keep only what does not depend on that.
		return DSN{}, fmt.Errorf("invalid connection string (%s): expected postgres://user:password@host:port/db or host=... user=... dbname=...", describeParseError(err))
	}
	settings, err := connSettings(s)
	if err != nil {
		return DSN{}, fmt.Errorf("invalid connection string: %w", err)
	}
	return DSN{raw: s, config: config, settings: settings}, nil
}

// MustParseDSN is ParseDSN for tests and constants; it panics on error.
func MustParseDSN(s string) DSN {
	d, err := ParseDSN(s)
	if err != nil {
		panic(err)
	}
	return d
}

// IsZero reports whether no connection string was given.
func (d DSN) IsZero() bool { return d.config == nil }

// String describes the server without secrets: user@host:port/dbname.
func (d DSN) String() string {
	if d.config == nil {
		return "(none)"
	}
	return fmt.Sprintf("%s@%s:%d/%s", d.config.User, d.config.Host, d.config.Port, d.config.Database)
}

// User is the login name the DSN connects as.
func (d DSN) User() string { return d.config.User }

// Database is the database the DSN connects to.
func (d DSN) Database() string { return d.config.Database }

// Host and Port of the server, as resolved by pgx.
func (d DSN) Host() string { return d.config.Host }
func (d DSN) Port() uint16 { return d.config.Port }

// Password is the resolved password (from the string, PGPASSWORD or a password file).
func (d DSN) Password() string { return d.config.Password }

// Secrets lists every form in which this DSN's password could appear in text: the whole
// string, the password, and its URL and conninfo encodings. Front ends mask them.
func (d DSN) Secrets() []string {
	if d.config == nil {
		return nil
	}
	out := []string{d.raw}
	if p := d.config.Password; p != "" {
		out = append(out, p, url.QueryEscape(p), url.PathEscape(p), conninfoQuote(p),
			strings.ReplaceAll(url.QueryEscape(p), "+", "%20"))
		out = append(out, url.UserPassword("x", p).String()[2:])
	}
	return dedupe(out)
}

// connConfig returns a copy of the pgx configuration for one connection.
func (d DSN) connConfig() *pgx.ConnConfig { return d.config.Copy() }

// libpqSettings are the keywords a libpq client elsewhere (a subscription, postgres_fdw,
// pg_dump) needs to reach the same server: the resolved host, port, database, user and
// password, plus the TLS and connection keywords given in the string, as given.
func (d DSN) libpqSettings(withPassword bool) map[string]string {
	out := map[string]string{
		"host":   d.config.Host,
		"port":   strconv.Itoa(int(d.config.Port)),
		"dbname": d.config.Database,
		"user":   d.config.User,
	}
	// A multi-host string keeps its host list: libpq does the fallback itself.
	for _, k := range []string{"host", "port"} {
		if v, ok := d.settings[k]; ok && strings.Contains(v, ",") {
			out[k] = v
		}
	}
	for k, v := range d.settings {
		if forwardedKeywords[k] {
			out[k] = v
		}
	}
	if withPassword && d.config.Password != "" {
		out["password"] = d.config.Password
	}
	return out
}

// forwardedKeywords are the libpq keywords passed on as given; pgx-only keywords are not.
var forwardedKeywords = map[string]bool{
	"sslmode": true, "sslrootcert": true, "sslcert": true, "sslkey": true, "sslcrl": true,
	"sslsni": true, "sslnegotiation": true, "channel_binding": true, "require_auth": true,
	"gssencmode": true, "krbsrvname": true, "target_session_attrs": true,
	"connect_timeout": true, "keepalives": true, "keepalives_idle": true,
	"keepalives_interval": true, "keepalives_count": true, "tcp_user_timeout": true,
	"options": true,
}

// ConnInfo is the keyword/value connection string for a libpq client on another machine,
// password included. It is a secret.
func (d DSN) ConnInfo() string { return formatConnInfo(d.libpqSettings(true)) }

// redactedConnInfo is ConnInfo with the password replaced, for display.
func (d DSN) redactedConnInfo() string {
	s := d.libpqSettings(false)
	if d.config.Password != "" {
		s["password"] = "********"
	}
	return formatConnInfo(s)
}

func formatConnInfo(settings map[string]string) string {
	keys := make([]string, 0, len(settings))
	for k := range settings {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+"="+conninfoQuote(settings[k]))
	}
	return strings.Join(parts, " ")
}

// conninfoQuote quotes a value for a keyword/value connection string: single quotes, with
// backslash and quote escaped, as libpq reads them.
func conninfoQuote(v string) string {
	v = strings.ReplaceAll(v, `\`, `\\`)
	v = strings.ReplaceAll(v, `'`, `\'`)
	return "'" + v + "'"
}
