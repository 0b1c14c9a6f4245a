package core

import (
	"context"
	_ "embed"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
)

//go:embed sql/definitions.sql
var definitionsSQL string

// DefinitionCheck compares the indexes and constraints of the migrated tables on both
// servers, by definition (pg_get_indexdef, pg_get_constraintdef): the replica is exactly
// right only when it has each of the primary's, valid, and none other.
type DefinitionCheck struct {
	Objects     int                    `json:"objects"` // on the primary
	Differences []DefinitionDifference `json:"differences"`
}

// DefinitionDifference is an index or constraint defined differently on the two sides, or
// missing from one ("" on that side).
type DefinitionDifference struct {
	Table   TableName `json:"table"`
	Kind    string    `json:"kind"` // index, constraint
	Name    string    `json:"name"` // quoted
	Primary string    `json:"primary"`
	Replica string    `json:"replica"`
}

func (d DefinitionDifference) String() string {
	switch {
	case d.Replica == "":
		return fmt.Sprintf("%s %s on %s is missing on the replica", d.Kind, d.Name, d.Table)
	case d.Primary == "":
		return fmt.Sprintf("%s %s on %s exists only on the replica", d.Kind, d.Name, d.Table)
	}
	return fmt.Sprintf("%s %s on %s differs: %s on the primary, %s on the replica", d.Kind, d.Name, d.Table, d.Primary, d.Replica)
}

// compareDefinitions compares the definitions of the tables' indexes and constraints.
func compareDefinitions(ctx context.Context, primary, replica *server, tables []TableName) (*DefinitionCheck, error) {
	names := make([]string, len(tables))
	for i, t := range tables {
		names[i] = t.String()
	}
	p, err := readDefinitions(ctx, primary, names)
	if err != nil {
		return nil, err
	}
	r, err := readDefinitions(ctx, replica, names)
	if err != nil {
		return nil, err
	}
	out := &DefinitionCheck{Objects: len(p), Differences: []DefinitionDifference{}}
	for key, def := range p {
		if r[key] != def {
			out.Differences = append(out.Differences, DefinitionDifference{Table: key.table, Kind: key.kind, Name: ident(key.name), Primary: def, Replica: r[key]})
		}
	}
	for key, def := range r {
		if _, ok := p[key]; !ok {
			out.Differences = append(out.Differences, DefinitionDifference{Table: key.table, Kind: key.kind, Name: ident(key.name), Replica: def})
		}
	}
	slices.SortFunc(out.Differences, func(a, b DefinitionDifference) int { return strings.Compare(a.String(), b.String()) })
	return out, nil
}

type definitionKey struct {
	kind  string
	table TableName
	name  string
}

func readDefinitions(ctx context.Context, s *server, tables []string) (map[definitionKey]string, error) {
	rows, err := s.conn.Query(ctx, definitionsSQL, tables)
	if err != nil {
		return nil, wrapRole(s, "read the indexes and constraints", err)
	}
	defs := map[definitionKey]string{}
	return defs, forEachRow(rows, func(row pgx.CollectableRow) error {
		var k definitionKey
		var def string
		err := row.Scan(&k.kind, &k.table.Schema, &k.table.Name, &k.name, &def)
		defs[k] = def
		return err
	})
}

// definitionList is the first differences, in one line.
func definitionList(diffs []DefinitionDifference) string {
	lines := make([]string, len(diffs))
	for i, d := range diffs {
		lines[i] = d.String()
	}
	return joinList(lines, 5)
}

// Beside says what differs beside the rows, in plain words: "privileges on 2 objects and 3
// indexes and constraints"; "" when nothing does.
func (r *VerifyResult) Beside() string {
	var parts []string
	if p := r.Privileges; p != nil && len(p.Differences) > 0 {
		parts = append(parts, fmt.Sprintf("privileges on %d objects", len(p.Differences)))
	}
	if d := r.Definitions; d != nil && len(d.Differences) > 0 {
		parts = append(parts, fmt.Sprintf("%d indexes and constraints", len(d.Differences)))
	}
	return strings.Join(parts, " and ")
}
