package main

import (
	"errors"

	"github.com/spf13/cobra"
)

const rootHelp = `pghandoff moves a live PostgreSQL database to another server (PlanetScale for
Postgres, or any PostgreSQL) with logical replication, and switches traffic over without
downtime and without losing a write.

A migration, step by step:
  pghandoff preflight --primary OLD --replica NEW     check both servers first
  pghandoff setup     --primary OLD --replica NEW     schema, publication, subscription
  pghandoff wait      --primary OLD --replica NEW     until the replica has caught up
  pghandoff proxy create / cutover / proxy remove     switch traffic through a proxy or PgBouncer
  pghandoff rollback                                  back to the old primary (after cutover --failsafe)
  pghandoff schema diff / schema sync / ddl           schema changes while the move runs
  pghandoff verify    --primary OLD --replica NEW     compare every table
  pghandoff teardown  --primary OLD --replica NEW     remove the replication

Connection strings are URLs (postgres://user:pass@host:5432/db) or key=value strings.
Each DSN flag also reads an environment variable (PGHANDOFF_PRIMARY, PGHANDOFF_REPLICA,
PGHANDOFF_PROXY, PGHANDOFF_PGBOUNCER), so passwords need not appear in the process list.
Objects are named _planetscale_import, as the seed scripts name them; --name picks another.
A duration or count given as 0 means its default, which --help shows.

Exit codes:
  0  done (for status and wait: ready)
  1  failed
  2  usage error
  3  not ready (wait timed out, status not ready, preflight found a blocker)`

func (a *app) rootCommand() *cobra.Command {
	var showVersion bool
	root := &cobra.Command{
		Use:           "pghandoff",
		Short:         "Move a live PostgreSQL database to another server without downtime",
		Long:          rootHelp,
		SilenceUsage:  true,
		SilenceErrors: true,
		// An unknown command is a usage error (exit 2), like any other bad command line.
		Args: unknownCommand,
		RunE: func(cmd *cobra.Command, args []string) error {
			if showVersion {
				return show(a, false, new(readVersion(cmd.Context())), nil, renderVersion)
			}
			return &usageError{cmd: cmd, err: errors.New("no command given")}
		},
	}
	root.PersistentFlags().BoolVarP(&a.verbose, "verbose", "v", false, "show every SQL statement and log line")
	root.Flags().BoolVar(&showVersion, "version", false, "show the version, as the version command does")
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error { return &usageError{cmd: cmd, err: err} })
	root.AddCommand(
		a.preflightCommand(),
		a.setupCommand(),
		a.statusCommand(),
		a.waitCommand(),
		a.verifyCommand(),
		a.teardownCommand(),
		a.proxyCommand(),
		a.cutoverCommand(),
		a.rollbackCommand(),
		a.sequencesCommand(),
		a.fenceCommand(),
		a.schemaCommand(),
		a.ddlCommand(),
		a.demoCommand(),
		a.actionCommand(),
		a.botCommand(),
		a.versionCommand(),
		a.watchdogCommand(),
	)
	return root
}
