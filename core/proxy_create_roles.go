package core

import "context"

// proxyRoles reads proxy create's MapRoles as setup reads them: OLD of each entry is the
// role the application logs in to the proxy as (the proxy stands in for the primary, so
// it is the primary's name). Cutover then checks that role on the replica under the name
// setup recorded. A NEW that setup did not record is refused: setup carries the role's
// privileges under that name, and has not.
func proxyRoles(ctx context.Context, primary *server, m Migration, entries []string) ([]string, error) {
	app, err := parseMapRoles(entries)
	if err != nil || len(app.rm) == 0 {
		return app.names, err
	}
	pst, err := readPrimaryState(ctx, primary, m)
	if err != nil {
		return nil, err
	}
	for _, pair := range app.pairs() {
		if recorded := roleMap(pst.meta.RoleMap).onReplica(pair[0]); recorded != pair[1] {
			return nil, refused(remedy("run ", CmdSetup, " with ", OptMapRole, " "+pair[0]+"="+pair[1]+" first: it carries the role's privileges under that name and records it for cutover"),
				"setup maps role %s to %s on the replica, not to %s", ident(pair[0]), ident(recorded), ident(pair[1]))
		}
	}
	return app.names, nil
}
