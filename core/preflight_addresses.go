package core

import (
	"context"
	"fmt"
	"time"
)

// checkAddresses checks, as far as this machine can, the addresses the servers reach each
// other at when they differ from pghandoff's: the replica's way to the primary (its
// subscription) and the old primary's way to the replica (the failsafe).
func checkAddresses(ctx context.Context, p *preflight) {
	if !p.opts.PrimaryForReplica.IsZero() && p.primary != nil {
		p.checkAddress(ctx, "primary for the replica", p.opts.PrimaryForReplica, p.primary)
	}
	if !p.opts.ReplicaForPrimary.IsZero() && p.replica != nil {
		p.checkAddress(ctx, "replica for the primary", p.opts.ReplicaForPrimary, p.replica)
	}
}

// checkAddress connects to dsn, when this machine can, and checks it reaches the same
// server and database as same: the same postmaster start time, which two servers do not share.
func (p *preflight) checkAddress(ctx context.Context, name string, dsn DSN, same *server) {
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	other, err := openServer(cctx, same.role, dsn, "preflight")
	if err != nil {
		p.add(name, CheckWarn, fmt.Sprintf("%s is not reachable from this machine, so only setup can tell whether the %s reaches it", dsn, map[string]string{rolePrimary: "replica", roleReplica: "old primary"}[same.role]),
			remedy("nothing to do if only the other server's network reaches it; otherwise check it"))
		return
	}
	defer other.close()
	identity := `SELECT current_database() || ' ' || pg_postmaster_start_time()::text`
	var want, got string
	errs := [2]error{same.conn.QueryRow(ctx, identity).Scan(&want), other.conn.QueryRow(ctx, identity).Scan(&got)}
	switch {
	case errs[0] != nil || errs[1] != nil:
		p.add(name, CheckWarn, fmt.Sprintf("could not compare %s with the %s: %v", dsn, same.role, errs), Remedy{})
	case got != want:
		p.add(name, CheckFail, fmt.Sprintf("%s reaches another server or database than the %s connection string", dsn, same.role),
			remedy("give the address at which the other server reaches this one's database"))
	default:
		p.pass(name, fmt.Sprintf("%s reaches the %s's database", dsn, same.role))
	}
}
