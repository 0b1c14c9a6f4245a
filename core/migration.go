package core

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// sentinelSchema holds the sentinel table, where the scripts put it.
const sentinelSchema = "public"

// Migration names one migration: its servers and the name of its objects.
type Migration struct {
	Name    string // DefaultName when empty
	Primary DSN    // the old primary: the source of replication
	Replica DSN    // the new primary: the target of replication
	Proxy   DSN    // the postgres_fdw proxy in front of the primary, when there is one
	// PrimaryForReplica is how the replica reaches the primary, when not as pghandoff does
	// (pghandoff through a bastion, the replica through a public endpoint, say): the
	// subscription connects there. The primary's own when zero.
	PrimaryForReplica DSN
	// ReplicaForPrimary is how the old primary reaches the replica, for the failsafe's
	// subscription. The replica's own when zero.
	ReplicaForPrimary DSN
	// PgBouncer is the PgBouncer in front of the primary, when traffic switches through one
	// instead of the proxy.
	PgBouncer PgBouncer
	// Client is who connects: it names every connection, and bounds how many are open at
	// once on each server.
	Client Client
}

// reserve reserves what operation needs of the client's connection budget; see Client.begin.
func (m Migration) reserve(ctx context.Context, operation string, n need) (context.Context, func(), error) {
	return m.Client.begin(ctx, operation, n)
}

// primaryForReplica is the connection string the replica's subscription uses.
func (m Migration) primaryForReplica() DSN {
	if m.PrimaryForReplica.IsZero() {
		return m.Primary
	}
	return m.PrimaryForReplica
}

// replicaForPrimary is the connection string the failsafe's subscription uses.
func (m Migration) replicaForPrimary() DSN {
	if m.ReplicaForPrimary.IsZero() {
		return m.Replica
	}
	return m.ReplicaForPrimary
}

// ConnectionOptions are the options that give a migration's servers: the primary, the
// replica, the proxy, the addresses they reach each other at, and PgBouncer's admin console.
// Their values hold secrets.
var ConnectionOptions = []Option{OptPrimary, OptReplica, OptProxy, OptPrimaryForReplica, OptReplicaForPrimary, OptPgBouncer}

// NewMigration builds a migration from its name and the connection string given for each of
// its servers, keyed by ConnectionOptions (a server left out, or given "", is not set), and
// PgBouncer's other settings, keyed by PgBouncerSettings (which are not secret). Every front
// end builds its migrations here; mask ConnectionSecrets of the connection strings first. The
// error names each option that cannot be used (InvalidOptionError, several joined), never
// the string.
func NewMigration(name string, conns map[Option]string) (Migration, error) {
	m := Migration{Name: name}
	var errs []error
	if err := ValidateName(name); err != nil {
		errs = append(errs, &InvalidOptionError{Option: OptName, Reason: err.Error()})
	}
	for opt := range conns {
		if !slices.Contains(ConnectionOptions, opt) && !slices.Contains(PgBouncerSettings, opt) {
			errs = append(errs, &InvalidOptionError{Option: opt, Reason: "is not a connection option"})
		}
	}
	m.PgBouncer.Config, m.PgBouncer.Database = strings.TrimSpace(conns[OptPgBouncerConfig]), strings.TrimSpace(conns[OptPgBouncerDatabase])
	targets := []*DSN{&m.Primary, &m.Replica, &m.Proxy, &m.PrimaryForReplica, &m.ReplicaForPrimary, &m.PgBouncer.Admin} // in the order of ConnectionOptions
	for i, opt := range ConnectionOptions {
		raw := conns[opt]
		if strings.TrimSpace(raw) == "" {
			continue
		}
		d, err := ParseDSN(raw)
		if err != nil {
			errs = append(errs, &InvalidOptionError{Option: opt, Reason: err.Error()})
		}
		*targets[i] = d
	}
	return m, errors.Join(append(errs, m.checkStrategy()...)...)
}

// validName: the name becomes a replication slot name, which allows only these characters.
var validName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// ValidateName checks a migration name.
func ValidateName(name string) error {
	if name == "" || validName.MatchString(name) {
		return nil
	}
	return fmt.Errorf("invalid migration name %q: use lower-case letters, digits and underscores, at most 63 characters (it names a replication slot)", name)
}

func (m Migration) name() string {
	if m.Name == "" {
		return DefaultName
	}
	return m.Name
}

// sentinel is the table whose rows prove that replication delivers writes.
func (m Migration) sentinel() TableName { return TableName{Schema: sentinelSchema, Name: m.name()} }

// requireRoles checks the name, and that the connection strings of roles were given.
func (m Migration) requireRoles(roles ...string) error {
	if err := ValidateName(m.Name); err != nil {
		return err
	}
	for _, role := range roles {
		if m.dsn(role).IsZero() {
			return &InvalidOptionError{Option: Option(role), Reason: "no connection string given"}
		}
	}
	return nil
}

// dsn is the connection string of the server playing role.
func (m Migration) dsn(role string) DSN {
	switch role {
	case rolePrimary:
		return m.Primary
	case roleReplica:
		return m.Replica
	case roleProxy:
		return m.Proxy
	case roleBouncer:
		return m.PgBouncer.Admin
	}
	return DSN{}
}
