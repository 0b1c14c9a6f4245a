package core

import (
	"fmt"
	"regexp"
)

// DefaultName is the name the seed scripts give the sentinel table, the publication, the
// subscription and the replication slot, so that a migration started with the scripts can be
// watched and finished with pghandoff.
const DefaultName = "_planetscale_import"

// sentinelSchema holds the sentinel table, where the scripts put it.
const sentinelSchema = "public"

// Migration names one migration: its servers and the name of its objects.
type Migration struct {
	Name    string // DefaultName when empty
	Primary DSN    // the old primary: the source of replication
	Replica DSN    // the new primary: the target of replication
	Proxy   DSN    // the postgres_fdw proxy in front of the primary, when there is one
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

// require checks that the servers an operation needs were given.
func (m Migration) require(primary, replica, proxy bool) error {
	if err := ValidateName(m.Name); err != nil {
		return err
	}
	missing := func(role string) error {
		return fmt.Errorf("no %s connection string given", role)
	}
	switch {
	case primary && m.Primary.IsZero():
		return missing("primary")
	case replica && m.Replica.IsZero():
		return missing("replica")
	case proxy && m.Proxy.IsZero():
		return missing("proxy")
	}
	return nil
}
