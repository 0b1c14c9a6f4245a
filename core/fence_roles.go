package core

import (
	"context"
	"slices"
)

// checkReplica refuses to fence roles that could not work on the replica once the
// application moves there (roles_check.go): the fence is the switch's pause without a
// proxy, and after it the application can only go forward. Without the replica's
// connection string it warns that it could not check. Undoing a fence checks nothing.
func (f *fencer) checkReplica(ctx context.Context) error {
	if f.opts.Undo {
		return nil
	}
	if f.replica == nil {
		f.res.Warnings = append(f.res.Warnings, remedy("the roles were not checked on the replica: give ", OptReplica,
			" to have fence refuse roles that could not log in there or lack privileges they hold on the primary").String())
		return nil
	}
	warnings, err := checkApplicationRoles(ctx, f.primary, f.replica, f.opts.Migration, f.opts.Roles, CmdFence)
	f.res.Warnings = append(f.res.Warnings, warnings...)
	return err
}

// checkFencedRoles checks, for sequences, the roles a fence stopped and those setup
// recorded: sequences is the last step before the application moves without a proxy.
func checkFencedRoles(ctx context.Context, primary, replica *server, m Migration) ([]string, error) {
	f := &fencer{opts: FenceOptions{Migration: m}, primary: primary}
	records, err := f.records(ctx)
	if err != nil {
		return nil, err
	}
	var fenced []string
	for role := range records {
		fenced = append(fenced, role)
	}
	slices.Sort(fenced)
	return checkApplicationRoles(ctx, primary, replica, m, fenced, CmdSequences)
}
