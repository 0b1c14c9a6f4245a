package core

import (
	"context"
	"slices"
)

// DeferredObject is an index or constraint setup left for after the copy.
type DeferredObject struct {
	Table  TableName `json:"table"`
	Kind   string    `json:"kind"`   // KindIndex, KindConstraint, KindForeignKey
	Object string    `json:"object"` // its name, quoted
}

// deferral is how this setup's import leaves the tables' secondary indexes and constraints
// for after the copy, and records them on the replica (deferred.go): nil with IndexesFirst,
// which builds everything before the copy, as pghandoff did before.
func (p *setupPlan) deferral(ctx context.Context) (importSplit, error) {
	if p.opts.IndexesFirst {
		return nil, nil
	}
	m := p.opts.Migration
	helper, err := readHelperSchema(ctx, p.replica, m)
	if err != nil {
		return nil, err
	}
	if helper.exists && !helper.ours {
		return nil, refused(remedy("choose another ", OptName, " for the migration, or rename that schema; or set ", OptIndexesFirst, " to build every index before the copy"),
			"the replica already has a schema named %s that pghandoff did not create, where setup records the indexes it builds after the copy", ident(m.helperSchema()))
	}
	tables := slices.DeleteFunc(catalogNames(p.tables.publish), func(t TableName) bool { return t == m.sentinel() })
	cat, err := readDeferCatalog(ctx, p.primary, tables)
	if err != nil {
		return nil, err
	}
	return func(statements []string) ([]string, []string) {
		keep, units := deferSplit(statements, cat)
		if len(units) == 0 {
			return keep, nil
		}
		var record []string
		if !helper.exists {
			for _, s := range helperSchemaSteps(m) {
				record = append(record, s.sql)
			}
		}
		record = append(record, deferredTableDDL(m))
		for _, u := range units {
			record = append(record, u.recordSQL(m))
			p.res.Deferred = append(p.res.Deferred, DeferredObject{Table: u.table, Kind: u.kind, Object: u.object})
		}
		return keep, record
	}, nil
}
