package core

import (
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// ident quotes a possibly qualified identifier: ident("Billing", "Order") is "Billing"."Order".
func ident(parts ...string) string { return pgx.Identifier(parts).Sanitize() }

// literal quotes s as a SQL string literal. pghandoff's connections run with
// standard_conforming_strings on, so doubling single quotes is the whole escape.
func literal(s string) string {
	return "'" + strings.ReplaceAll(strings.ReplaceAll(s, "\x00", ""), "'", "''") + "'"
}

// TableName is a schema-qualified table name, exactly as stored in the catalog.
type TableName struct {
	Schema string `json:"schema"`
	Name   string `json:"name"`
}

// String is the quoted, qualified name, as SQL and as people read it.
func (t TableName) String() string { return ident(t.Schema, t.Name) }

// ParseTableNames reads a comma-separated list of schema.table names. Names are matched as
// stored (case-sensitive); double quotes allow a name holding '.', ',' or '"' (doubled).
// A name without a schema is in public.
func ParseTableNames(list string) ([]TableName, error) {
	var out []TableName
	for _, item := range splitQuoted(list, ',') {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		parts := splitQuoted(item, '.')
		for i := range parts {
			parts[i] = unquoteName(strings.TrimSpace(parts[i]))
		}
		switch {
		case len(parts) == 1 && parts[0] != "":
			out = append(out, TableName{Schema: "public", Name: parts[0]})
		case len(parts) == 2 && parts[0] != "" && parts[1] != "":
			out = append(out, TableName{Schema: parts[0], Name: parts[1]})
		default:
			return nil, fmt.Errorf("invalid table name %q: expected schema.table", item)
		}
	}
	return out, nil
}

// ParseSchemaNames reads a comma-separated list of schema names, matched as stored.
func ParseSchemaNames(list string) ([]string, error) {
	var out []string
	for _, item := range splitQuoted(list, ',') {
		name := unquoteName(strings.TrimSpace(item))
		if name == "" {
			continue
		}
		out = append(out, name)
	}
	return out, nil
}

// splitQuoted splits s at sep outside double quotes, keeping the quotes.
func splitQuoted(s string, sep byte) []string {
	var out []string
	quoted, start := false, 0
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '"':
			quoted = !quoted
		case s[i] == sep && !quoted:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

func unquoteName(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		return strings.ReplaceAll(s[1:len(s)-1], `""`, `"`)
	}
	return s
}

func nullableLiteral(s *string) string {
	if s == nil {
		return "NULL"
	}
	return literal(*s)
}
