package main

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/pghandoff/pghandoff/core"
)

// servers are the connection flags a command takes, and --name.
type servers struct {
	conns map[core.Option]*string // by the option each flag gives
	name  string
}

// serverFlag describes one DSN flag: the option it gives (its name), the environment variable
// it falls back to, and the seed scripts' spellings it also accepts.
type serverFlag struct {
	opt       core.Option
	env, help string
	aliases   []string
}

var (
	primaryFlag = serverFlag{core.OptPrimary, "PGHANDOFF_PRIMARY", "connection string of the primary (the old server, source of replication)", nil}
	replicaFlag = serverFlag{core.OptReplica, "PGHANDOFF_REPLICA", "connection string of the replica (the new server, target of replication)", nil}
	proxyFlag   = serverFlag{core.OptProxy, "PGHANDOFF_PROXY", "connection string of the postgres_fdw proxy the application talks to", nil}
	// The addresses the servers reach each other at, when not the ones pghandoff uses.
	primaryForReplicaFlag = serverFlag{core.OptPrimaryForReplica, "PGHANDOFF_PRIMARY_FOR_REPLICA", "connection string at which the replica reaches the primary, when not the --primary one: the subscription uses it", nil}
	replicaForPrimaryFlag = serverFlag{core.OptReplicaForPrimary, "PGHANDOFF_REPLICA_FOR_PRIMARY", "connection string at which the old primary reaches the replica, when not the --replica one: the failsafe uses it", nil}
	// PgBouncer instead of the proxy: its admin console, the file it %includes, the entry.
	pgbouncerFlag = serverFlag{core.OptPgBouncer, "PGHANDOFF_PGBOUNCER",
		"connection string of PgBouncer's admin console (database pgbouncer, an admin_users user), when the application goes through PgBouncer instead of the proxy", nil}
	pgbouncerConfigFlag = serverFlag{core.OptPgBouncerConfig, "PGHANDOFF_PGBOUNCER_CONFIG",
		"with --pgbouncer: the file PgBouncer's configuration %includes, where pghandoff writes the database entry", nil}
	pgbouncerDatabaseFlag = serverFlag{core.OptPgBouncerDatabase, "PGHANDOFF_PGBOUNCER_DATABASE",
		"with --pgbouncer: the name of PgBouncer's database entry (default: the primary's database name)", nil}
)

// bouncerFlags are the flags that name PgBouncer, for the commands that switch through it.
var bouncerFlags = []serverFlag{pgbouncerFlag, pgbouncerConfigFlag, pgbouncerDatabaseFlag}

// addFlags adds the DSN flags a command uses, and --name.
func (s *servers) addFlags(cmd *cobra.Command, flags ...serverFlag) {
	s.conns = map[core.Option]*string{}
	for _, f := range flags {
		target := new(string)
		s.conns[f.opt] = target
		cmd.Flags().StringVar(target, string(f.opt), "", f.help+" (env "+f.env+")")
		for _, alias := range f.aliases {
			cmd.Flags().StringVar(target, alias, "", "same as --"+string(f.opt)+" (the seed scripts' name)")
		}
	}
	cmd.Flags().StringVar(&s.name, "name", core.DefaultName, "name of the migration's publication, subscription, slot and sentinel table")
}

// migration resolves the DSN flags (or their environment variables) the command needs. A
// command run with none of them prints its usage, as the seed scripts do.
func (a *app) migration(cmd *cobra.Command, s *servers, required ...serverFlag) (core.Migration, error) {
	return a.migrationWith(cmd, s, required, nil)
}

// migrationWith is migration with servers that may be left out too. Every connection string
// is masked before anything can print it.
func (a *app) migrationWith(cmd *cobra.Command, s *servers, required, optional []serverFlag) (core.Migration, error) {
	conns := map[core.Option]string{}
	var missing []string
	for i, f := range slices.Concat(required, optional) {
		value := *s.conns[f.opt]
		if value == "" {
			value = a.getenv(f.env)
		}
		if slices.Contains(core.ConnectionOptions, f.opt) { // a file name or an entry is no secret
			a.secrets.Add(core.ConnectionSecrets(value)...)
		}
		conns[f.opt] = value
		if value == "" && i < len(required) {
			missing = append(missing, "--"+string(f.opt))
		}
	}
	m, err := core.NewMigration(s.name, conns)
	if err != nil {
		return m, &usageError{cmd: cmd, err: err}
	}
	m.Client.Name = "cli"
	if len(missing) > 0 {
		return m, &usageError{cmd: cmd, err: fmt.Errorf("missing %s (or the environment variables they read)", strings.Join(missing, ", "))}
	}
	return m, nil
}

// switchMigration resolves the servers of a command that works on what traffic goes
// through: required and optional ones, and either the proxy or --pgbouncer.
func (a *app) switchMigration(cmd *cobra.Command, s *servers, required []serverFlag, optional ...serverFlag) (core.Migration, error) {
	m, err := a.migrationWith(cmd, s, required, slices.Concat(optional, []serverFlag{proxyFlag}, bouncerFlags))
	if err == nil && m.Proxy.IsZero() && m.PgBouncer.Admin.IsZero() {
		err = &usageError{cmd: cmd, err: fmt.Errorf("missing --proxy or --pgbouncer (or the environment variables they read): what the application's traffic goes through")}
	}
	return m, err
}

// withHelp is f with another help text, for a command that uses the server differently.
func (f serverFlag) withHelp(help string) serverFlag {
	f.help = help
	return f
}

// withAlias is f accepting another spelling too: the seed scripts' --server.
func (f serverFlag) withAlias(alias string) serverFlag {
	f.aliases = append(append([]string{}, f.aliases...), alias)
	return f
}

// bytesValue is a byte count flag: 1048576, 512kB, 16MB, 1MiB, 2GB.
type bytesValue int64

// String shows the count as --help shows a default: 1MiB.
func (b *bytesValue) String() string { return core.FormatBytesExact(int64(*b)) }
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

// maxLagFlag registers --max-lag, the readiness threshold, with core's default.
func maxLagFlag(cmd *cobra.Command, v *bytesValue) {
	*v = bytesValue(core.DefaultMaxLag)
	cmd.Flags().Var(v, "max-lag", "lag in bytes under which the replica counts as caught up (e.g. 512kB, 16MB)")
}

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
