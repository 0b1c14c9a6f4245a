package bot

import (
	"fmt"
	"os"
	"strings"

	"github.com/pghandoff/pghandoff/core"
)

// migration is a configured migration with its connection strings read.
type migration struct {
	Key string // the name typed in Slack
	Cfg Migration
	M   core.Migration
}

// resolved is what the config's secret references point at, read once at start.
type resolved struct {
	migrations map[string]*migration
	stateDSN   core.DSN
	secrets    []string // every form of every secret, for masking
}

// resolve reads every connection string the config names, from the environment or files.
// Errors give the setting's line, never the value.
func (c *Config) resolve(getenv func(string) string) (*resolved, error) {
	r := &resolved{migrations: map[string]*migration{}}
	state, err := c.readDSN(c.State.DSN, getenv, "state", "dsn")
	if err != nil {
		return nil, err
	}
	r.stateDSN = state
	r.secrets = append(r.secrets, state.Secrets()...)
	for _, key := range c.MigrationKeys() {
		mc := c.Migrations[key]
		m := &migration{Key: key, Cfg: mc, M: core.Migration{Name: mc.Name}}
		for _, role := range []struct {
			name string
			ref  SecretRef
			dst  *core.DSN
		}{{"primary", mc.Primary, &m.M.Primary}, {"replica", mc.Replica, &m.M.Replica}, {"proxy", mc.Proxy, &m.M.Proxy}} {
			if role.ref.IsZero() {
				continue
			}
			dsn, err := c.readDSN(role.ref, getenv, "migrations", key, role.name)
			if err != nil {
				return nil, err
			}
			*role.dst = dsn
			r.secrets = append(r.secrets, dsn.Secrets()...)
		}
		r.migrations[key] = m
	}
	return r, nil
}

func (c *Config) readDSN(ref SecretRef, getenv func(string) string, path ...string) (core.DSN, error) {
	var raw string
	switch {
	case ref.Env != "":
		if raw = getenv(ref.Env); strings.TrimSpace(raw) == "" {
			return core.DSN{}, c.errAt(fmt.Sprintf("environment variable %s is unset or empty: set it to the connection string", ref.Env), path...)
		}
	case ref.File != "":
		b, err := os.ReadFile(ref.File)
		if err != nil {
			return core.DSN{}, c.errAt(fmt.Sprintf("cannot read %s: %v", ref.File, pathErr(err)), path...)
		}
		raw = string(b)
	}
	dsn, err := core.ParseDSN(raw)
	if err != nil {
		return core.DSN{}, c.errAt(err.Error(), path...)
	}
	return dsn, nil
}

// pathErr keeps only the reason of a file error (the path is printed already).
func pathErr(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}
