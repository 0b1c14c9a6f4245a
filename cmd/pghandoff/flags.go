package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/pghandoff/pghandoff/core"
)

// servers are the connection flags a command takes.
type servers struct {
	primary, replica, proxy string
	name                    string
}

// serverFlag describes one DSN flag: its name, the environment variable it falls back to, and
// the seed scripts' spellings it also accepts.
type serverFlag struct {
	flag, env, help string
	aliases         []string
}

var (
	primaryFlag = serverFlag{"primary", "PGHANDOFF_PRIMARY", "connection string of the primary (the old server, source of replication)", nil}
	replicaFlag = serverFlag{"replica", "PGHANDOFF_REPLICA", "connection string of the replica (the new server, target of replication)", nil}
	proxyFlag   = serverFlag{"proxy", "PGHANDOFF_PROXY", "connection string of the postgres_fdw proxy the application talks to", nil}
)

// addServerFlags adds the DSN flags a command uses, and --name.
func (s *servers) addFlags(cmd *cobra.Command, flags ...serverFlag) {
	for _, f := range flags {
		target := map[string]*string{"primary": &s.primary, "replica": &s.replica, "proxy": &s.proxy}[f.flag]
		cmd.Flags().StringVar(target, f.flag, "", f.help+" (env "+f.env+")")
		for _, alias := range f.aliases {
			cmd.Flags().StringVar(target, alias, "", "same as --"+f.flag+" (the seed scripts' name)")
		}
	}
	cmd.Flags().StringVar(&s.name, "name", core.DefaultName, "name of the migration's publication, subscription, slot and sentinel table")
}

// migration resolves the DSN flags (or their environment variables) the command needs. A
// command run with none of them prints its usage, as the seed scripts do.
func (a *app) migration(cmd *cobra.Command, s *servers, required ...serverFlag) (core.Migration, error) {
	return a.migrationWith(cmd, s, required, nil)
}

// migrationWith is migration with servers that may be left out too.
func (a *app) migrationWith(cmd *cobra.Command, s *servers, required, optional []serverFlag) (core.Migration, error) {
	m := core.Migration{Name: s.name}
	if err := core.ValidateName(s.name); err != nil {
		return m, &usageError{cmd: cmd, err: err}
	}
	var missing []string
	for i, f := range append(append([]serverFlag{}, required...), optional...) {
		value := map[string]string{"primary": s.primary, "replica": s.replica, "proxy": s.proxy}[f.flag]
		if value == "" {
			value = a.getenv(f.env)
		}
		if value == "" {
			if i < len(required) {
				missing = append(missing, "--"+f.flag)
			}
			continue
		}
		a.secrets.Add(value)
		dsn, err := core.ParseDSN(value)
		if err != nil {
			return m, fmt.Errorf("--%s: %w", f.flag, err)
		}
		a.secrets.Add(dsn.Secrets()...)
		switch f.flag {
		case "primary":
			m.Primary = dsn
		case "replica":
			m.Replica = dsn
		case "proxy":
			m.Proxy = dsn
		}
	}
	if len(missing) > 0 {
		return m, &usageError{cmd: cmd, err: fmt.Errorf("missing %s (or the environment variables they read)", strings.Join(missing, ", "))}
	}
	return m, nil
}

// withAlias is f accepting another spelling too: the seed scripts' --server.
func (f serverFlag) withAlias(alias string) serverFlag {
	f.aliases = append(append([]string{}, f.aliases...), alias)
	return f
}

// bytesValue is a byte count flag: 1048576, 512kB, 16MB, 1MiB, 2GB.
type bytesValue int64

func (b *bytesValue) String() string { return strconv.FormatInt(int64(*b), 10) }
func (b *bytesValue) Type() string   { return "bytes" }
func (b *bytesValue) Set(s string) error {
	n, err := core.ParseBytes(s)
	if err != nil {
		return err
	}
	*b = bytesValue(n)
	return nil
}

var _ pflag.Value = (*bytesValue)(nil)

// durationFlag registers a duration flag whose help shows an example.
func durationFlag(cmd *cobra.Command, p *time.Duration, name string, def time.Duration, help string) {
	cmd.Flags().DurationVar(p, name, def, help+" (e.g. 30s, 10m)")
}

// noArgs refuses positional arguments with a usage error.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return &usageError{cmd: cmd, err: fmt.Errorf("unexpected argument %q", args[0])}
	}
	return nil
}
