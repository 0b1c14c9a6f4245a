package core

import (
	"context"
	"fmt"
)

// checkRoles refuses, before the pause, a switch after which the application's roles could
// not work on the replica: the roles the application reaches the switch as (see
// applicationRoles) and the roles setup recorded.
func (c *cutover) checkRoles(ctx context.Context) error {
	roles, err := c.sw.applicationRoles(ctx)
	if err != nil {
		return err
	}
	warnings, err := checkApplicationRoles(ctx, c.primary, c.replica, c.opts.Migration, roles, CmdCutover)
	c.res.Warnings = append(c.res.Warnings, warnings...)
	return err
}

// applicationRoles are the roles the proxy maps: the application logs in to the proxy as
// them (the role pghandoff connects as is not one).
func (s *fdwSwitch) applicationRoles(ctx context.Context) ([]string, error) {
	var self string
	if err := s.proxy.conn.QueryRow(ctx, "SELECT current_user::text").Scan(&self); err != nil {
		return nil, fmt.Errorf("proxy: read current user: %w", err)
	}
	var mapped []string
	for _, um := range s.srv.mappings {
		if um.role != "PUBLIC" && um.role != self {
			mapped = append(mapped, um.role)
		}
	}
	return mapped, nil
}

// applicationRoles are the users of the entry's pools: through PgBouncer the application
// reaches the server as itself.
func (s *bouncerSwitch) applicationRoles(ctx context.Context) ([]string, error) {
	return s.admin.poolUsers(ctx, s.m.bouncerEntry())
}
