package core

import (
	"context"
	"fmt"
)

// proxyCreateBouncer is ProxyCreate when the application goes through PgBouncer: nothing is
// made on a proxy; pghandoff takes over the database entry of the application's database,
// in the file PgBouncer %includes, pointing at the primary. First it settles what an earlier
// run left (a pause, a file that disagrees with PgBouncer), under the operation lock; then
// it checks everything cutover will need (see bouncerChecker) and, when nothing failed,
// writes the entry, RELOADs and confirms. MapRoles names the application's roles, checked
// on the new primary.
func proxyCreateBouncer(ctx context.Context, opts ProxyCreateOptions) (*ProxyCreateResult, error) {
	// The lock's connection, and a login of an application role to the new primary.
	ctx, end, err := opts.reserve(ctx, "proxy create", need{rolePrimary: 2, roleReplica: 2})
	if err != nil {
		return nil, err
	}
	defer end()
	op, err := beginOperation(ctx, "proxy create", opts.Migration, opts.Execution, rolePrimary, roleReplica)
	if err != nil {
		return nil, err
	}
	defer op.close()
	b, err := OpenBouncer(ctx, opts.PgBouncer.Admin)
	if err != nil {
		return nil, err
	}
	defer b.Close()
	res := &ProxyCreateResult{Name: opts.name(), DryRun: opts.DryRun, Strategy: StrategyPgBouncer, Server: opts.bouncerEntry(),
		PointsAt: opts.Primary.String(), Tables: []TableName{}, Sequences: []TableName{}, Warnings: []string{}}
	err = createBouncerEntry(ctx, op, b, opts, res)
	res.Statements = op.statements()
	return res, err
}

func createBouncerEntry(ctx context.Context, op *operation, b *Bouncer, opts ProxyCreateOptions, res *ProxyCreateResult) error {
	done, st, err := settleBouncer(ctx, op.r, b, opts.Migration)
	res.Settled = done
	if err != nil {
		return err
	}
	check := newBouncerCheckOptions(opts.Migration, DefaultMaxPause)
	check.AppRoles, check.DryRun = opts.MapRoles, opts.DryRun
	check.ForceUser = st.File != nil && st.File.User != ""
	c := &bouncerChecker{opts: check, b: b, primary: op.primary, replica: op.replica, r: op.r, res: &BouncerCheckResult{OK: true}}
	res.PgBouncer = c.res
	if err := c.run(ctx); err != nil {
		return err
	}
	res.Roles = c.res.Roles
	res.Changed = c.res.Written
	res.Warnings = append(res.Warnings, bouncerWarnings(c.res.Version)...)
	if err := c.refusal(); err != nil {
		return err
	}
	if !res.Changed && !opts.DryRun {
		op.r.note(ctx, roleBouncer, "PgBouncer's entry %s already points at the primary: nothing to do", opts.bouncerEntry())
	}
	return nil
}

// bouncerWarnings are what the application must do to go through PgBouncer, for the operator
// to check against it.
func bouncerWarnings(version string) []string {
	out := []string{"transaction pooling gives a session to the application for one transaction at a time: " +
		"session state (SET, advisory locks held across transactions, LISTEN, temporary tables, WITH HOLD cursors) does not carry from one transaction to the next"}
	if v, err := parseBouncerVersion(version); err == nil && !v.AtLeast(1, 21) {
		out = append(out, fmt.Sprintf("PgBouncer %s carries no named prepared statements between transactions: the application must use unnamed ones "+
			"(pgx: default_query_exec_mode=exec; JDBC: prepareThreshold=0), or PgBouncer 1.21+ with max_prepared_statements", version))
	}
	return out
}
