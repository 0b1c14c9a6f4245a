package main

import (
	"context"
	"fmt"

	"github.com/pghandoff/pghandoff/core"
	"github.com/pghandoff/pghandoff/internal/pgbouncer"
	"github.com/pghandoff/pghandoff/internal/pgcluster"
)

// The demo through PgBouncer: the application logs in as its own role, which exists with the
// same password and privileges on both servers (setup copies neither), through a throwaway
// PgBouncer in transaction pooling whose configuration %includes the file pghandoff owns.

const (
	demoRole     = "demo_app"
	demoPassword = "demo-app-password"
)

// demoGrants gives the application's role what it writes.
const demoGrants = `GRANT ALL ON ALL TABLES IN SCHEMA public TO ` + demoRole + `;
GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO ` + demoRole

func (d *demo) viaBouncer() bool { return d.strategy == core.StrategyPgBouncer }

// startBouncer creates the application's role on both servers and starts PgBouncer.
func (d *demo) startBouncer(ctx context.Context, servers string) (string, error) {
	for _, c := range []*pgcluster.Cluster{d.primary, d.replica} {
		if err := c.Exec(ctx, "postgres", `CREATE ROLE `+demoRole+` LOGIN PASSWORD '`+demoPassword+`'`); err != nil {
			return "", err
		}
	}
	var err error
	d.bouncer, err = pgbouncer.Start(ctx, pgbouncer.Options{Users: []pgbouncer.User{{Name: demoRole, Password: demoPassword}}})
	if err != nil {
		return "", fmt.Errorf("%w (run `make demo`, which installs PgBouncer)", err)
	}
	d.m, err = core.NewMigration(core.DefaultName, map[core.Option]string{core.OptPrimary: d.primary.DSN(demoDB),
		core.OptReplica: d.replica.DSN(demoDB), core.OptPgBouncer: d.bouncer.AdminDSN(), core.OptPgBouncerConfig: d.bouncer.Include})
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s; PgBouncer on port %d, including %s", servers, d.bouncer.Port, d.bouncer.Include), nil
}

// bouncerCreate grants the application's role on the replica (setup copied no privileges),
// has proxy create take over PgBouncer's entry, and starts the application through it.
func (d *demo) bouncerCreate(ctx context.Context) (string, error) {
	for _, c := range []*pgcluster.Cluster{d.primary, d.replica} {
		if err := c.Exec(ctx, demoDB, demoGrants); err != nil {
			return "", err
		}
	}
	res, err := core.ProxyCreate(ctx, core.ProxyCreateOptions{Migration: d.m, MapRoles: []string{demoRole}, Execution: core.Execution{Observer: d.obs}})
	if err != nil {
		return "", err
	}
	// PgBouncer 1.18 carries no named prepared statements across transaction pooling.
	if err := d.startApp(ctx, d.bouncer.DSN(demoRole, demoPassword, demoDB)+"&default_query_exec_mode=exec"); err != nil {
		return "", err
	}
	return fmt.Sprintf("PgBouncer %s: %d checks passed, entry %s; %d clients writing through it, %d inserts acknowledged so far",
		res.PgBouncer.Version, len(res.PgBouncer.Checks), res.PgBouncer.Entry, d.clients, d.app.Acked()), nil
}
