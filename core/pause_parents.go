package core

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// The pause's parents: two tables without columns in the migration's helper schema on the
// proxy, which every foreign table of the migration inherits: the application's tables and
// views the first, the sequence helpers the second. LOCK TABLE refuses a foreign table, but
// locks every child of the table it names without asking what kind of relation the child is:
// one LOCK TABLE of the two parents takes the ACCESS EXCLUSIVE lock of every foreign table,
// where one ALTER FOREIGN TABLE per table took 110 to 170 ms at 2,000 foreign tables on this
// machine under load (the LOCK: about 11 ms warm on an idle one). Two parents, not one: the
// application's tables must be locked before the helpers (pause_fdw.go says why), and LOCK
// TABLE locks the tables it names in their order, each with its children.
//
// A parent without columns or constraints gives its children nothing: their columns, defaults
// and constraints stay their own, and ALTER FOREIGN TABLE changes them as before. Nothing
// queries the parents. (An ANALYZE naming a parent would sample every foreign table through
// postgres_fdw; a database-wide ANALYZE analyzes the parents too, so one on the proxy reads
// the source's tables once.)
const (
	pauseTablesParent    = "pause_tables"
	pauseSequencesParent = "pause_sequences"
)

// pauseParent is the qualified, quoted name of one of the migration's pause parents.
func (m Migration) pauseParent(name string) string { return ident(m.helperSchema(), name) }

// pauseFamilies is what the proxy has of the pause's parents: which exist, and which relation
// inherits which parent.
type pauseFamilies struct {
	parents  map[string]bool
	children map[TableName][]string
}

// readPauseFamilies reads the migration's pause parents on the proxy and their children.
func readPauseFamilies(ctx context.Context, proxy *server, m Migration) (pauseFamilies, error) {
	f := pauseFamilies{parents: map[string]bool{}, children: map[TableName][]string{}}
	rows, err := proxy.conn.Query(ctx, `SELECT p.relname::text, n.nspname::text, c.relname::text
		FROM pg_class p
		JOIN pg_namespace pn ON pn.oid = p.relnamespace
		LEFT JOIN pg_inherits i ON i.inhparent = p.oid
		LEFT JOIN pg_class c ON c.oid = i.inhrelid
		LEFT JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE pn.nspname = $1 AND p.relname = ANY ($2) AND p.relkind = 'r'`,
		m.helperSchema(), []string{pauseTablesParent, pauseSequencesParent})
	if err != nil {
		return f, fmt.Errorf("proxy: read the pause's parents: %w", err)
	}
	err = forEachRow(rows, func(row pgx.CollectableRow) error {
		var parent string
		var schema, name *string
		if err := row.Scan(&parent, &schema, &name); err != nil {
			return err
		}
		f.parents[parent] = true
		if name != nil {
			child := TableName{Schema: *schema, Name: *name}
			f.children[child] = append(f.children[child], parent)
		}
		return nil
	})
	if err != nil {
		return f, fmt.Errorf("proxy: read the pause's parents: %w", err)
	}
	return f, nil
}

// inherits reports whether relation t is a child of parent.
func (f pauseFamilies) inherits(t TableName, parent string) bool {
	for _, p := range f.children[t] {
		if p == parent {
			return true
		}
	}
	return false
}

// pauseParentSteps make the pause's parents the proxy lacks, and every foreign table of the
// migration that does not inherit its parent yet a child of it: those proxy create makes in
// this run, and those an older pghandoff made.
func (p *proxyPlan) pauseParentSteps() []step {
	m := p.opts.Migration
	tables, helpers := p.foreignTables()
	var steps []step
	for _, family := range []struct {
		parent   string
		children []TableName
	}{{pauseTablesParent, tables}, {pauseSequencesParent, helpers}} {
		if !p.st.pause.parents[family.parent] {
			steps = append(steps, step{sql: "CREATE TABLE " + m.pauseParent(family.parent) + " ()"})
		}
		for _, t := range family.children {
			if !p.st.pause.inherits(t, family.parent) {
				steps = append(steps, step{sql: "ALTER FOREIGN TABLE " + t.String() + " INHERIT " + m.pauseParent(family.parent)})
			}
		}
	}
	return steps
}
