package core

import (
	"context"
	"fmt"
)

// checkRoles refuses, before the pause, a switch after which the application's roles could
// not work on the replica: the roles the proxy maps (the application logs in to the proxy
// as them; the role pghandoff connects as is not one) and the roles setup recorded.
func (c *cutover) checkRoles(ctx context.Context) error {
	var self string
	if err := c.proxy.conn.QueryRow(ctx, "SELECT current_user::text").Scan(&self); err != nil {
		return fmt.Errorf("proxy: read current user: %w", err)
	}
	var mapped []string
	for _, um := range c.sw.srv.mappings {
		if um.role != "PUBLIC" && um.role != self {
			mapped = append(mapped, um.role)
		}
	}
	warnings, err := checkApplicationRoles(ctx, c.primary, c.replica, c.opts.Migration, mapped, CmdCutover)
	c.res.Warnings = append(c.res.Warnings, warnings...)
	return err
}
