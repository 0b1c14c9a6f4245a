package core

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// BouncerEntry is one database entry of PgBouncer's [databases] section:
//
//	name = host='...' port='...' dbname='...' user='...' password='...'
//
// The entry pghandoff owns names the database the application asks PgBouncer for, and
// where PgBouncer takes its connections: the old primary, then the new one.
type BouncerEntry struct {
	Name   string `json:"name"`
	Host   string `json:"host"` // a host name, an address, or a Unix socket directory
	Port   int    `json:"port"`
	DBName string `json:"dbname"`
	// User and Password, when set, make every client's server connection log in as User
	// with Password (PgBouncer's forced user). When empty, each client logs in to the
	// server as itself, with the password PgBouncer has for it from auth_file or auth_query.
	// The password is never marshalled: a result holding an entry can be shown.
	User     string `json:"user,omitempty"`
	Password string `json:"-"`
	// Extra are the entry's other keywords (pool_size, pool_mode, auth_user, ...): kept as
	// they were when pghandoff rewrites where the entry points.
	Extra map[string]string `json:"extra,omitempty"`
}

// BouncerEntryFor is an entry called name pointing where dsn points. With forceUser, the
// DSN's user and password become the entry's forced user.
//
// PgBouncer takes only its own keywords in an entry and rejects the whole entry on any other
// (src/loader.c parse_database), so TLS and connection keywords of the DSN are not carried:
// TLS to the servers is PgBouncer's server_tls_* settings (checked by CheckBouncer). A
// multi-host DSN is refused: PgBouncer (1.17+) takes turns between the hosts, where libpq
// tries them in order, and a primary is one host.
func BouncerEntryFor(name string, dsn DSN, forceUser bool) (BouncerEntry, error) {
	if dsn.IsZero() {
		return BouncerEntry{}, errors.New("no connection string for the PgBouncer entry")
	}
	if s := dsn.libpqSettings(false); strings.Contains(s["host"], ",") || strings.Contains(s["port"], ",") {
		return BouncerEntry{}, withHint(fmt.Errorf("%s names several hosts", dsn),
			remedy("give the one host PgBouncer must connect to: PgBouncer takes turns between the hosts of an entry"))
	}
	e := BouncerEntry{Name: name, Host: dsn.Host(), Port: int(dsn.Port()), DBName: dsn.Database()}
	if forceUser {
		e.User, e.Password = dsn.User(), dsn.Password()
	}
	return e, e.validate()
}

// pointsAt reports whether the entry points at the server and database of dsn.
func (e BouncerEntry) pointsAt(dsn DSN) bool {
	return e.Host == dsn.Host() && e.Port == int(dsn.Port()) && e.DBName == dsn.Database()
}

// matches reports whether PgBouncer's loaded entry points where e does.
func (e BouncerEntry) matches(db BouncerDatabase) bool {
	// A forced user must match both ways: PgBouncer keeps an entry's forced user when a
	// RELOAD finds it gone ("losing forced user not supported"), with its old password.
	return db.Name == e.Name && db.Host == e.Host && db.Port == e.Port && db.Database == e.DBName && db.ForceUser == e.User
}

// String describes the entry without its password.
func (e BouncerEntry) String() string {
	s := fmt.Sprintf("%s → %s:%d/%s", e.Name, e.Host, e.Port, e.DBName)
	if e.User != "" {
		s += " as " + e.User
	}
	return s
}

// bouncerKeywords are the keywords PgBouncer 1.18 takes in an entry; any other makes it
// drop the entry (and log its whole line, password included).
var bouncerKeywords = map[string]bool{
	"dbname": true, "host": true, "port": true, "user": true, "password": true, "auth_user": true,
	"client_encoding": true, "datestyle": true, "timezone": true, "pool_size": true,
	"min_pool_size": true, "reserve_pool": true, "max_db_connections": true, "pool_mode": true,
	"connect_query": true, "application_name": true,
}

// validEntryName checks that a name can be written as an entry's key: PgBouncer's ini
// parser takes letters, digits and "_.-*" bare, anything else between single quotes, with no
// way to write a quote or a line break inside; "pgbouncer" is the admin console, "*" the
// fallback entry.
func validEntryName(name string) error {
	if name == "" || name == "pgbouncer" || name == "*" {
		return fmt.Errorf("%q cannot name a PgBouncer database entry", name)
	}
	if strings.ContainsAny(name, "'\"") || strings.IndexFunc(name, isControl) >= 0 {
		return withHint(fmt.Errorf("the PgBouncer database entry name %q has a quote or a control character", name),
			remedy("name the entry without quotes"))
	}
	return nil
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// validate checks that PgBouncer will load the entry as written: its own keywords only,
// values on one line, no empty value (PgBouncer rejects those). Errors name the keyword,
// never the value: it may be the password.
func (e BouncerEntry) validate() error {
	if err := validEntryName(e.Name); err != nil {
		return err
	}
	if e.Port <= 0 || e.Port > 65535 {
		return fmt.Errorf("PgBouncer entry %s: invalid port %d", e.Name, e.Port)
	}
	for k, v := range e.settings() {
		if !bouncerKeywords[k] {
			return fmt.Errorf("PgBouncer entry %s: PgBouncer does not take the keyword %q in a database entry", e.Name, k)
		}
		if strings.IndexFunc(v, isControl) >= 0 {
			return fmt.Errorf("PgBouncer entry %s: the %s has a line break or control character, which PgBouncer's configuration cannot hold", e.Name, k)
		}
	}
	if e.Host == "" || e.DBName == "" {
		return fmt.Errorf("PgBouncer entry %s: no host or database name", e.Name)
	}
	return nil
}

// settings are the entry's keywords and values, empty ones left out.
func (e BouncerEntry) settings() map[string]string {
	out := map[string]string{}
	for k, v := range e.Extra {
		out[k] = v
	}
	for k, v := range map[string]string{"host": e.Host, "port": strconv.Itoa(e.Port), "dbname": e.DBName,
		"user": e.User, "password": e.Password} {
		delete(out, k)
		if v != "" {
			out[k] = v
		}
	}
	return out
}

// line is the entry as a line of PgBouncer's configuration. It holds the password.
func (e BouncerEntry) line() (string, error) {
	if err := e.validate(); err != nil {
		return "", err
	}
	s := e.settings()
	var parts []string
	for _, k := range append([]string{"host", "port", "dbname", "user", "password"}, slices.Sorted(maps.Keys(e.Extra))...) {
		if v, ok := s[k]; ok {
			parts = append(parts, k+"="+bouncerQuote(v))
			delete(s, k)
		}
	}
	return bouncerKey(e.Name) + " = " + strings.Join(parts, " "), nil
}

// bouncerQuote quotes a value the way PgBouncer's connection-string parser reads it
// (src/loader.c cstr_get_value): between single quotes, a quote doubled. Unlike libpq, a
// backslash is an ordinary character, so DSN's conninfoQuote would corrupt a password with
// a backslash or a quote.
func bouncerQuote(v string) string { return "'" + strings.ReplaceAll(v, "'", "''") + "'" }

// bouncerKey writes an entry's name as an ini key: bare when the parser takes it bare.
func bouncerKey(name string) string {
	for _, r := range name {
		if !(r == '_' || r == '.' || r == '-' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9')) {
			return "'" + name + "'"
		}
	}
	return name
}
