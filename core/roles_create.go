package core

import (
	"fmt"
	"strings"
	"time"
)

// createRole is a CREATE ROLE statement for the replica, and what it could not carry.
type createRole struct {
	name        string // on the replica
	from        string // on the primary
	sql, shown  string // shown masks the password
	notes       []string
	noPassword  bool // a login role created without the primary's password
	withoutAttr []string
}

// roleCreation writes the CREATE ROLE that gives the replica the primary's role r under
// name, with the attributes the primary shows. What the replica's user may not grant
// (SUPERUSER, REPLICATION and BYPASSRLS on a managed service; CREATEDB or CREATEROLE when it
// lacks them itself) is left out and said, as is a password the primary does not let
// pghandoff read: a superuser can read pg_authid, a managed service's users cannot.
func roleCreation(r *roleInfo, name string, powers replicaPowers, passwordsRead bool) createRole {
	c := createRole{name: name, from: r.name}
	attrs := []string{choose(r.login, "LOGIN", "NOLOGIN"), choose(r.inherit, "INHERIT", "NOINHERIT")}
	for _, a := range []struct {
		has, may bool
		word     string
	}{
		{r.super, powers.super, "SUPERUSER"}, {r.createDB, powers.super || powers.createDB, "CREATEDB"},
		{r.createRole, powers.super || powers.createRole, "CREATEROLE"}, {r.replication, powers.super, "REPLICATION"},
		{r.bypassRLS, powers.super, "BYPASSRLS"},
	} {
		switch {
		case a.has && a.may:
			attrs = append(attrs, a.word)
		case a.has:
			c.withoutAttr = append(c.withoutAttr, a.word)
		}
	}
	if r.connLimit >= 0 {
		attrs = append(attrs, fmt.Sprintf("CONNECTION LIMIT %d", r.connLimit))
	}
	if r.validUntil != nil {
		attrs = append(attrs, "VALID UNTIL "+literal(r.validUntil.UTC().Format(time.RFC3339)))
	}
	base := "CREATE ROLE " + ident(name) + " WITH " + strings.Join(attrs, " ")
	c.sql, c.shown = base, base
	if pw := c.password(r, passwordsRead); pw != "" {
		c.sql += " PASSWORD " + literal(pw)
		c.shown += " PASSWORD '********'"
	}
	if len(c.withoutAttr) > 0 {
		c.notes = append(c.notes, fmt.Sprintf("role %s was created without %s: %s may not grant it on the replica (managed services keep these to themselves); "+
			"if the application needs it, ask the provider", ident(name), strings.Join(c.withoutAttr, ", "), ident(powers.user)))
	}
	return c
}

// password is the stored password to carry, or "" with a note saying why not.
func (c *createRole) password(r *roleInfo, read bool) string {
	set := fmt.Sprintf("ALTER ROLE %s PASSWORD '…'", ident(c.name))
	switch {
	case !r.login:
		return ""
	case !read:
		c.noPassword = true
		c.notes = append(c.notes, fmt.Sprintf("role %s was created without a password: the primary does not let pghandoff's user read pg_authid "+
			"(only a superuser may, and a managed service has none); set one on the replica: %s", ident(c.name), set))
	case r.password == nil:
		c.noPassword = true
		c.notes = append(c.notes, fmt.Sprintf("role %s has no password on the primary and none was set on the replica; if the application logs in with one, set it: %s", ident(c.name), set))
	case strings.HasPrefix(*r.password, "md5") && c.name != r.name:
		// An md5 hash is salted with the role's name: under another name it matches nothing.
		c.noPassword = true
		c.notes = append(c.notes, fmt.Sprintf("role %s was created without a password: the primary stores %s's as an md5 hash, which only works under that name; set one: %s",
			ident(c.name), ident(r.name), set))
	default:
		return *r.password // a SCRAM verifier or an md5 hash: the replica stores it as it is
	}
	return ""
}

func choose(b bool, yes, no string) string {
	if b {
		return yes
	}
	return no
}
