package core

import (
	"context"
	"time"
)

// SchemaDiffOptions configures SchemaDiff.
type SchemaDiffOptions struct {
	Migration // Primary and Replica; with Proxy, its foreign tables are compared too
	Observer
}

// SchemaDiffResult is every difference between the primary's definitions and the
// replica's (and the proxy's foreign tables', when given).
type SchemaDiffResult struct {
	Name string `json:"name"`
	// Tables is how many tables were compared between the primary and the replica.
	Tables int `json:"tables"`
	// TablesDiffering are those whose definitions differ in any way, read whole.
	TablesDiffering int           `json:"tables_differing"`
	ProxyChecked    bool          `json:"proxy_checked"`
	Differs         bool          `json:"differs"`
	Changes         SchemaChanges `json:"changes"` // the gravest first
	CheckedAt       time.Time     `json:"checked_at"`
}

// SchemaDiff compares the definitions of the migration's tables (columns with their types,
// defaults and nullability, indexes, constraints, partitions), enum types and sequences on
// the primary and the replica, and the proxy's foreign tables with the primary's, and says
// for each difference what it does to the migration and what to do. It changes nothing.
func SchemaDiff(ctx context.Context, opts SchemaDiffOptions) (*SchemaDiffResult, error) {
	if err := opts.requireRoles(rolePrimary, roleReplica); err != nil {
		return nil, err
	}
	ctx, end, err := opts.reserve(ctx, "schema diff", need{rolePrimary: 1, roleReplica: 1, roleProxy: 1})
	if err != nil {
		return nil, err
	}
	defer end()
	servers, err := openServers(ctx, opts.Migration, "schema diff", opts.rolesWithProxy()...)
	if err != nil {
		return nil, err
	}
	defer servers.close()
	res := &SchemaDiffResult{Name: opts.name(), Changes: SchemaChanges{}, CheckedAt: time.Now().UTC()}
	cmp, err := compareMigration(ctx, servers.primary, servers.replica, opts.Migration)
	if err != nil {
		return nil, err
	}
	res.Tables, res.TablesDiffering, res.Changes = cmp.tables, cmp.differing, append(res.Changes, cmp.changes...)
	if servers.proxy != nil {
		proxyChanges, err := diffProxy(ctx, opts.Migration, servers.primary, servers.proxy)
		if err != nil {
			return nil, err
		}
		res.ProxyChecked, res.Changes = true, append(res.Changes, proxyChanges...)
		sortChanges(res.Changes)
	}
	res.Differs = len(res.Changes) > 0
	return res, nil
}

// compareMigration compares the replica's definitions with the primary's, in the scope
// setup recorded.
func compareMigration(ctx context.Context, primary, replica *server, m Migration) (*schemaComparison, error) {
	pst, err := readPrimaryState(ctx, primary, m)
	if err != nil {
		return nil, err
	}
	return compareSchemas(ctx, primary, replica, migrationScope(m, pst.meta))
}

// rolesWithProxy are the primary and the replica, and the proxy when it was given.
func (m Migration) rolesWithProxy() []string {
	if m.Proxy.IsZero() {
		return []string{rolePrimary, roleReplica}
	}
	return []string{rolePrimary, roleReplica, roleProxy}
}

// openedServers are connections to some of a migration's servers, for a read-only operation.
type openedServers struct{ primary, replica, proxy *server }

func openServers(ctx context.Context, m Migration, operation string, roles ...string) (*openedServers, error) {
	o := &openedServers{}
	targets := map[string]**server{rolePrimary: &o.primary, roleReplica: &o.replica, roleProxy: &o.proxy}
	for _, role := range roles {
		s, err := openServer(ctx, role, m.dsn(role), operation)
		if err != nil {
			o.close()
			return nil, err
		}
		*targets[role] = s
	}
	return o, nil
}

func (o *openedServers) close() {
	for _, s := range []*server{o.primary, o.replica, o.proxy} {
		s.close()
	}
}
