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

// resolve reads every connection string the config names, from the environment or files,
// and masks each before anything can print it. Errors give the setting's line, never the
// value.
func (c *Config) resolve(getenv func(string) string) (*resolved, error) {
	r := &resolved{migrations: map[string]*migration{}}
	state, err := c.readSecret(c.State.DSN, getenv, "state", "dsn")
	if err != nil {
		return nil, err
	}
	r.secrets = append(r.secrets, core.ConnectionSecrets(state)...)
	if r.stateDSN, err = core.ParseDSN(state); err != nil {
		return nil, c.errAt(err.Error(), "state", "dsn")
	}
	for _, key := range c.MigrationKeys() {
		mc := c.Migrations[key]
		refs := map[core.Option]SecretRef{core.OptPrimary: mc.Primary, core.OptReplica: mc.Replica, core.OptProxy: mc.Proxy,
			core.OptPrimaryForReplica: mc.PrimaryForReplica, core.OptReplicaForPrimary: mc.ReplicaForPrimary, core.OptPgBouncer: mc.PgBouncer.Admin}
		conns := map[core.Option]string{core.OptPgBouncerConfig: mc.PgBouncer.Config, core.OptPgBouncerDatabase: mc.PgBouncer.Database}
		for _, opt := range core.ConnectionOptions {
			if refs[opt].IsZero() {
				continue
			}
			raw, err := c.readSecret(refs[opt], getenv, configPath("migrations", key, configKeys[opt])...)
			if err != nil {
				return nil, err
			}
			r.secrets = append(r.secrets, core.ConnectionSecrets(raw)...)
			conns[opt] = raw
		}
		m, err := core.NewMigration(mc.Name, conns)
		if invalid := core.InvalidOptions(err); len(invalid) > 0 {
			return nil, c.errAt(invalid[0].Reason, configPath("migrations", key, configKeys[invalid[0].Option])...)
		}
		// Validated with the config: a budget of its connections can be made.
		budget, _ := core.NewBudget(mc.Connections)
		m.Client = core.Client{Name: "bot", Budget: budget}
		r.migrations[key] = &migration{Key: key, Cfg: mc, M: m}
	}
	return r, nil
}

// configPath is a setting's path, its dotted keys split: "pgbouncer.admin" is two keys.
func configPath(parts ...string) []string {
	var out []string
	for _, p := range parts {
		out = append(out, strings.Split(p, ".")...)
	}
	return out
}

// readSecret reads what ref points at: an environment variable or a file.
func (c *Config) readSecret(ref SecretRef, getenv func(string) string, path ...string) (string, error) {
	switch {
	case ref.Env != "":
		raw := getenv(ref.Env)
		if strings.TrimSpace(raw) == "" {
			return "", c.errAt(fmt.Sprintf("environment variable %s is unset or empty: set it to the connection string", ref.Env), path...)
		}
		return raw, nil
	case ref.File != "":
		b, err := os.ReadFile(ref.File)
		if err != nil {
			return "", c.errAt(fmt.Sprintf("cannot read %s: %v", ref.File, pathErr(err)), path...)
		}
		return string(b), nil
	}
	return "", nil
}

// pathErr keeps only the reason of a file error (the path is printed already).
func pathErr(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}
