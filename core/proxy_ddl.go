package core

import (
	"fmt"
	"slices"
	"strings"
)

// The DDL that makes the proxy stand in for the primary. pghandoff writes the foreign tables
// itself rather than with IMPORT FOREIGN SCHEMA, because every column default must keep
// working through the proxy and postgres_fdw sends every column on INSERT, so a column
// without a default on the foreign table arrives as NULL:
//   - serial, bigserial, identity BY DEFAULT and other nextval defaults call a helper function
//     that draws the next value from the primary's own sequence, through a view on the
//     primary (as the seed script did, for every schema and for identity sequences too);
//   - GENERATED ALWAYS identity and stored generated columns are generated columns on the
//     foreign table, which postgres_fdw sends as DEFAULT, so the primary computes them (the
//     primary refuses any other value for them); their expression on the proxy is NULL and
//     unused, and an UPDATE leaves them alone;
//   - every other default expression (now(), gen_random_uuid(), constants, enum values) is
//     copied as the primary prints it.

// helperCall is the expression a column default uses to draw from seq through the proxy.
func helperCall(m Migration, seq TableName) string {
	return ident(m.helperSchema(), helperName(seq)) + "()"
}

// sequenceViewDDL is the view on the primary (and after cutover the replica) that hands out
// seq's next value to the proxy.
func sequenceViewDDL(m Migration, seq sequenceRef) string {
	return fmt.Sprintf("CREATE OR REPLACE VIEW %s AS SELECT %s AS val",
		ident(m.helperSchema(), helperName(seq.table())), seq.Call)
}

// sequenceHelperDDL are the foreign table and function on the proxy that draw from seq's view.
func sequenceHelperDDL(m Migration, seq TableName) []string {
	name := ident(m.helperSchema(), helperName(seq))
	return []string{
		fmt.Sprintf("CREATE FOREIGN TABLE %s (val bigint) SERVER %s OPTIONS (schema_name %s, table_name %s)",
			name, ident(m.name()), literal(m.helperSchema()), literal(helperName(seq))),
		fmt.Sprintf("CREATE FUNCTION %s() RETURNS bigint LANGUAGE sql VOLATILE AS %s",
			name, literal("SELECT val FROM "+name)),
	}
}

// foreignTableDDL is the foreign table standing in for rel, the sequences its defaults draw
// from, and what could not be carried over.
func foreignTableDDL(m Migration, rel sourceRelation) (string, []sequenceRef, []string) {
	var defs, warnings []string
	var seqs []sequenceRef
	for _, c := range rel.columns {
		def, used, warning := columnDDL(m, c)
		defs = append(defs, def)
		for _, s := range used {
			if !slices.ContainsFunc(seqs, func(x sequenceRef) bool { return x.table() == s.table() }) {
				seqs = append(seqs, s)
			}
		}
		if warning != "" {
			warnings = append(warnings, fmt.Sprintf("%s.%s: %s", rel.TableName, ident(c.Name), warning))
		}
	}
	ddl := fmt.Sprintf("CREATE FOREIGN TABLE %s (\n    %s\n) SERVER %s OPTIONS (schema_name %s, table_name %s)",
		rel.TableName, strings.Join(defs, ",\n    "), ident(m.name()), literal(rel.Schema), literal(rel.Name))
	return ddl, seqs, warnings
}

func columnDDL(m Migration, c sourceColumn) (string, []sequenceRef, string) {
	def := ident(c.Name) + " " + c.Type
	if c.Collation != nil {
		def += " COLLATE " + *c.Collation
	}
	if generatedOnProxy(c) {
		return def + " GENERATED ALWAYS AS (NULL::" + c.Type + ") STORED", nil, ""
	}
	expr, seqs, warning := proxyDefault(m, c)
	if expr == "" {
		return notNull(def, c), nil, ""
	}
	return notNull(def, c) + " DEFAULT " + expr, seqs, warning
}

// generatedOnProxy reports whether the column is generated on the foreign table, so that
// postgres_fdw sends DEFAULT for it and the primary computes it.
func generatedOnProxy(c sourceColumn) bool { return c.Generated != "" || c.Identity == "a" }

// proxyDefault is the column's default on the foreign table ("" for none), the sequences it
// draws from, and what could not be carried over.
func proxyDefault(m Migration, c sourceColumn) (string, []sequenceRef, string) {
	switch {
	case c.Identity == "d" && c.IdentitySeq != nil:
		return helperCall(m, c.IdentitySeq.table()), []sequenceRef{*c.IdentitySeq}, ""
	case c.Default == nil:
		return "", nil, ""
	}
	expr := *c.Default
	for _, s := range c.DefaultSeqs {
		expr = strings.ReplaceAll(expr, s.Call, helperCall(m, s.table()))
	}
	warning := ""
	if strings.Contains(expr, "nextval(") {
		warning = "its default calls nextval with a sequence name given as text, which the proxy cannot wire to the primary: insert values for it explicitly"
	}
	return expr, c.DefaultSeqs, warning
}

func notNull(def string, c sourceColumn) string {
	if c.NotNull {
		return def + " NOT NULL"
	}
	return def
}

// enumDDL copies an enum type.
func enumDDL(t sourceType) string {
	labels := make([]string, len(t.Labels))
	for i, l := range t.Labels {
		labels[i] = literal(l)
	}
	return fmt.Sprintf("CREATE TYPE %s AS ENUM (%s)", ident(t.Schema, t.Name), strings.Join(labels, ", "))
}

// Privileges a mapped role gets on the proxy: the application's on the foreign tables,
// reading on the sequence helpers.
var (
	tablePrivileges  = []string{"SELECT", "INSERT", "UPDATE", "DELETE"}
	helperPrivileges = []string{"SELECT"}
)

func grantDDL(table TableName, role string, privs []string) string {
	return fmt.Sprintf("GRANT %s ON %s TO %s", strings.Join(privs, ", "), table, ident(role))
}
