package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/pghandoff/pghandoff/core"
)

// selectionFlags choose the tables of a migration.
type selectionFlags struct {
	schemas, exclude    string
	replicaIdentityFull bool
}

func (f *selectionFlags) addFlags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.schemas, "schemas", "", "comma-separated schemas to migrate (default: every schema but the system ones)")
	cmd.Flags().StringVar(&f.exclude, "exclude-tables", "", `comma-separated schema.table names to leave out (exact names; quote as "My.Schema"."T" when needed)`)
	cmd.Flags().BoolVar(&f.replicaIdentityFull, "replica-identity-full", false,
		"set REPLICA IDENTITY FULL on tables without a primary key instead of refusing them")
}

func (f *selectionFlags) selection(cmd *cobra.Command) (core.Selection, error) {
	schemas, err := core.ParseSchemaNames(f.schemas)
	if err != nil {
		return core.Selection{}, &usageError{cmd: cmd, err: fmt.Errorf("--schemas: %w", err)}
	}
	tables, err := core.ParseTableNames(f.exclude)
	if err != nil {
		return core.Selection{}, &usageError{cmd: cmd, err: fmt.Errorf("--exclude-tables: %w", err)}
	}
	return core.Selection{Schemas: schemas, ExcludeTables: tables, ReplicaIdentityFull: f.replicaIdentityFull}, nil
}
