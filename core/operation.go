package core

import (
	"context"
	"fmt"
)

// Execution is how a mutating operation runs: for real or as a dry run, with the timeouts of
// its statements, observed by the caller. Every operation that changes a server takes one.
type Execution struct {
	DryRun   bool // print the statements, change nothing
	Timeouts Timeouts
	Observer
}

// operation is one run of a mutating operation: the servers it works on, the migration's
// operation lock, and the runner of its statements.
type operation struct {
	primary, replica, proxy *server
	lock                    *opLock
	r                       *runner
}

// beginOperation starts operation name on the servers of m named in roles: it checks that
// their connection strings were given, connects, sets the statement timeouts on each and,
// unless it is a dry run, takes the migration's operation lock, on the primary: every
// operation of a migration reaches it, so that every one takes the same lock. On error,
// nothing stays open.
func beginOperation(ctx context.Context, name string, m Migration, e Execution, roles ...string) (*operation, error) {
	if err := m.requireRoles(roles...); err != nil {
		return nil, err
	}
	timeouts, err := e.Timeouts.withDefaults()
	if err != nil {
		return nil, err
	}
	op := &operation{r: &runner{op: name, dryRun: e.DryRun, obs: e.Observer, timeouts: timeouts}}
	targets := map[string]**server{rolePrimary: &op.primary, roleReplica: &op.replica, roleProxy: &op.proxy}
	for _, role := range roles {
		srv, err := openServer(ctx, role, m.dsn(role), name)
		if err == nil {
			*targets[role] = srv
			err = op.r.prepare(ctx, srv)
		}
		if err != nil {
			op.close()
			return nil, err
		}
	}
	if e.DryRun {
		return op, nil
	}
	if op.primary == nil {
		op.close()
		return nil, fmt.Errorf("operation %s does not reach the primary, where the operation lock lives", name)
	}
	if op.lock, err = acquireLock(ctx, rolePrimary, m.Primary, m.name(), name); err != nil {
		op.close()
		return nil, err
	}
	return op, nil
}

func (op *operation) close() {
	op.lock.release()
	for _, srv := range []*server{op.primary, op.replica, op.proxy} {
		srv.close()
	}
}

// statements are what the operation ran, or under dry-run would run.
func (op *operation) statements() []Statement { return op.r.done }
