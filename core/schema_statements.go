package core

import (
	"fmt"
	"slices"
	"strings"
)

// The statements that bring a table, type or sequence of one server in line with another's
// definition (schema_snapshot.go), as pg_dump would write them: the definitions come from the
// same catalog functions pg_dump uses (format_type, pg_get_expr, pg_get_indexdef,
// pg_get_constraintdef), run with an empty search_path.

// columnClause is a column's definition in ADD COLUMN. seq is the definition of an identity
// column's sequence, when known. NOT NULL is left out when the column has no default to
// fill the table's existing rows with: nullable is what can be added to a table with rows;
// addNotNull follows once replication has filled them.
func columnClause(c columnDef, seq *sequenceDef) string {
	def := ident(c.Name) + " " + c.Type
	if c.Collation != nil {
		def += " COLLATE " + *c.Collation
	}
	switch {
	case c.Generated != "" && c.Expression != nil:
		return def + " GENERATED ALWAYS AS (" + *c.Expression + ") STORED"
	case c.Identity != "":
		return def + " " + identityClause(c, seq)
	case c.Default != nil:
		def += " DEFAULT " + *c.Default
		if c.NotNull {
			def += " NOT NULL"
		}
	}
	return def
}

// identityClause is GENERATED ... AS IDENTITY with the sequence named as on the source.
func identityClause(c columnDef, seq *sequenceDef) string {
	kind := "BY DEFAULT"
	if c.Identity == "a" {
		kind = "ALWAYS"
	}
	var opts []string
	if c.Sequence != nil {
		opts = append(opts, "SEQUENCE NAME "+*c.Sequence)
	}
	if seq != nil {
		opts = append(opts, sequenceOptions(*seq, false)...)
	}
	if len(opts) == 0 {
		return "GENERATED " + kind + " AS IDENTITY"
	}
	return "GENERATED " + kind + " AS IDENTITY (" + strings.Join(opts, " ") + ")"
}

// needsNotNullLater reports whether ADD COLUMN leaves out the column's NOT NULL.
func needsNotNullLater(c columnDef) bool {
	return c.NotNull && c.Default == nil && c.Identity == "" && c.Generated == ""
}

func addColumnSQL(t TableName, c columnDef, seq *sequenceDef) string {
	return fmt.Sprintf("ALTER TABLE %s ADD COLUMN %s", t, columnClause(c, seq))
}

func dropColumnSQL(foreign bool, t TableName, column string) string {
	return fmt.Sprintf("ALTER %s %s DROP COLUMN %s", tableWord(foreign), t, ident(column))
}

func renameColumnSQL(foreign bool, t TableName, from, to string) string {
	return fmt.Sprintf("ALTER %s %s RENAME COLUMN %s TO %s", tableWord(foreign), t, ident(from), ident(to))
}

func columnTypeSQL(foreign bool, t TableName, c columnDef) string {
	sql := fmt.Sprintf("ALTER %s %s ALTER COLUMN %s TYPE %s", tableWord(foreign), t, ident(c.Name), c.Type)
	if c.Collation != nil {
		sql += " COLLATE " + *c.Collation
	}
	if !foreign {
		sql += fmt.Sprintf(" USING %s::%s", ident(c.Name), c.Type)
	}
	return sql
}

// columnDefaultSQL sets the column's default to expr, or drops it when expr is nil.
func columnDefaultSQL(foreign bool, t TableName, column string, expr *string) string {
	if expr == nil {
		return fmt.Sprintf("ALTER %s %s ALTER COLUMN %s DROP DEFAULT", tableWord(foreign), t, ident(column))
	}
	return fmt.Sprintf("ALTER %s %s ALTER COLUMN %s SET DEFAULT %s", tableWord(foreign), t, ident(column), *expr)
}

func columnNotNullSQL(foreign bool, t TableName, column string, notNull bool) string {
	verb := "DROP"
	if notNull {
		verb = "SET"
	}
	return fmt.Sprintf("ALTER %s %s ALTER COLUMN %s %s NOT NULL", tableWord(foreign), t, ident(column), verb)
}

func tableWord(foreign bool) string {
	if foreign {
		return "FOREIGN TABLE"
	}
	return "TABLE"
}

func addConstraintSQL(t TableName, k constraintDef) string {
	return fmt.Sprintf("ALTER TABLE %s ADD CONSTRAINT %s %s", t, ident(k.Name), k.Def)
}

func dropConstraintSQL(t TableName, name string) string {
	return fmt.Sprintf("ALTER TABLE %s DROP CONSTRAINT %s", t, ident(name))
}

func dropIndexSQL(schema, name string) string { return "DROP INDEX " + ident(schema, name) }

// sequenceSQL is CREATE SEQUENCE as pg_dump writes it.
func sequenceSQL(name TableName, q sequenceDef) string {
	return fmt.Sprintf("CREATE SEQUENCE %s %s", name, strings.Join(sequenceOptions(q, true), " "))
}

func alterSequenceSQL(name TableName, q sequenceDef) string {
	return fmt.Sprintf("ALTER SEQUENCE %s %s", name, strings.Join(sequenceOptions(q, true), " "))
}

// sequenceOwnedSQL ties a serial column's sequence to its column, as pg_dump does.
func sequenceOwnedSQL(name TableName, o sequenceOwner) string {
	return fmt.Sprintf("ALTER SEQUENCE %s OWNED BY %s.%s", name, o.table(), ident(o.Column))
}

func sequenceOptions(q sequenceDef, withType bool) []string {
	var opts []string
	if withType {
		opts = append(opts, "AS "+q.Type)
	}
	opts = append(opts, fmt.Sprintf("START WITH %d", q.Start), fmt.Sprintf("INCREMENT BY %d", q.Increment),
		fmt.Sprintf("MINVALUE %d", q.Min), fmt.Sprintf("MAXVALUE %d", q.Max), fmt.Sprintf("CACHE %d", q.Cache))
	if q.Cycle {
		return append(opts, "CYCLE")
	}
	return append(opts, "NO CYCLE")
}

// enumAdditionsSQL adds to an enum the labels the target lacks, each in its place in the
// source's order: after the label before it (which exists by then), or, for the first,
// before the first label the target has.
func enumAdditionsSQL(t TableName, source, target []string) []string {
	have := map[string]bool{}
	for _, l := range target {
		have[l] = true
	}
	var out []string
	for i, l := range source {
		if have[l] {
			continue
		}
		sql := fmt.Sprintf("ALTER TYPE %s ADD VALUE IF NOT EXISTS %s", t, literal(l))
		if i > 0 {
			sql += " AFTER " + literal(source[i-1])
		} else if j := slices.IndexFunc(source, func(x string) bool { return have[x] }); j >= 0 {
			sql += " BEFORE " + literal(source[j])
		}
		out = append(out, sql)
		have[l] = true
	}
	return out
}

func createEnumSQL(t TableName, e enumDef) string {
	return enumDDL(sourceType{Schema: t.Schema, Name: t.Name, Labels: e.Labels})
}
