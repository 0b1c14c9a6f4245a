package core

import (
	"context"
	"fmt"
	"strings"
)

// PreflightOptions configures Preflight.
type PreflightOptions struct {
	Migration
	Selection          // the tables setup would publish
	RoleOptions        // what setup would do with the roles and privileges
	PgDump      string // FindPgDump() when empty
	// IndexesFirst and Jobs: how setup and wait would build the indexes (SetupOptions,
	// WaitOptions).
	IndexesFirst bool
	Jobs         int
	// CopyByWorkers: setup would leave every table's copy to the replica's sync workers
	// (SetupOptions).
	CopyByWorkers bool
	Observer
}

// preflight holds what the checks share: connections, and the primary's tables.
type preflight struct {
	opts             PreflightOptions
	primary, replica *server
	tables           tablePlan
	res              *PreflightResult
}

// Preflight checks, without changing anything, whether a migration can be set up: settings,
// privileges, tables, extensions and versions on both servers. Each check passes, warns or
// fails with a remedy; the result is OK when none fails. Servers it cannot reach are failed
// checks, not errors.
func Preflight(ctx context.Context, opts PreflightOptions) (*PreflightResult, error) {
	if err := opts.requireRoles(rolePrimary, roleReplica); err != nil {
		return nil, err
	}
	if opts.PgDump == "" {
		opts.PgDump = FindPgDump()
	}
	ctx, end, err := opts.reserve(ctx, "preflight", need{rolePrimary: 2, roleReplica: 2})
	if err != nil {
		return nil, err
	}
	defer end()
	p := &preflight{opts: opts, res: &PreflightResult{}}
	p.primary = p.connect(ctx, rolePrimary, opts.Primary)
	defer p.primary.close()
	p.replica = p.connect(ctx, roleReplica, opts.Replica)
	defer p.replica.close()
	if p.primary != nil {
		p.res.PrimaryVersion = p.primary.versionString()
		all, err := listTables(ctx, p.primary)
		if err != nil {
			return nil, err
		}
		p.tables = planTables(all, opts.Selection, opts.sentinel())
		for _, check := range primaryChecks {
			if err := check(ctx, p); err != nil {
				return nil, err
			}
		}
	}
	if p.replica != nil {
		p.res.ReplicaVersion = p.replica.versionString()
		for _, check := range replicaChecks {
			if err := check(ctx, p); err != nil {
				return nil, err
			}
		}
	}
	checkAddresses(ctx, p)
	checkServerSideTLS(ctx, p)
	p.res.OK = len(p.res.Failed()) == 0
	return p.res, nil
}

func (p *preflight) add(name, status, detail string, r Remedy) {
	p.res.Checks = append(p.res.Checks, Check{Name: name, Status: status, Detail: detail, Remedy: r})
	level := map[string]bool{CheckWarn: true, CheckFail: true}[status]
	p.opts.emit(context.Background(), Event{Operation: "preflight", Message: fmt.Sprintf("%s: %s: %s", name, status, detail), Warning: level})
}

func (p *preflight) connect(ctx context.Context, role string, dsn DSN) *server {
	s, err := openServer(ctx, role, dsn, "preflight")
	if err != nil {
		p.add(role+" connection", CheckFail, err.Error(), Hint(err))
		return nil
	}
	p.pass(role+" connection", fmt.Sprintf("connected to %s, PostgreSQL %s", dsn, s.versionString()))
	return s
}

// pass adds a check that passed.
func (p *preflight) pass(name, detail string) { p.add(name, CheckPass, detail, Remedy{}) }

// passOrFail adds a check that fails when bad is not empty, listing it.
func (p *preflight) passOrFail(name string, bad []string, status, okDetail, badDetail string, r Remedy) {
	if len(bad) == 0 {
		p.pass(name, okDetail)
		return
	}
	p.add(name, status, fmt.Sprintf("%s: %s", badDetail, strings.Join(firstN(bad, 20), ", ")), r)
}
