package core

import "strings"

// Recognising the statements pg_dump writes about indexes and constraints. pg_dump writes
// them in a few fixed forms, with every name quoted as it must be (fmtId) and every table
// qualified (it runs with an empty search_path): enough to name the object each one
// creates or changes, which setup then looks up in the primary's catalog (deferred.go).
// Anything else is "other", and stays in the schema import.

// dumpForm is the form of one statement of pg_dump's.
type dumpForm int

const (
	formOther             dumpForm = iota
	formCreateIndex                // CREATE [UNIQUE] INDEX name ON [ONLY] table ...
	formAddConstraint              // ALTER TABLE [ONLY] table ADD CONSTRAINT name ...
	formAttachIndex                // ALTER INDEX parent ATTACH PARTITION child
	formAlterIndex                 // ALTER INDEX index ALTER COLUMN ... SET STATISTICS
	formIndexComment               // COMMENT ON INDEX index IS ...
	formConstraintComment          // COMMENT ON CONSTRAINT name ON table IS ...
	formClusterOn                  // ALTER TABLE [ONLY] table CLUSTER ON index
	formReplicaIdentity            // ALTER TABLE [ONLY] table REPLICA IDENTITY USING INDEX index
)

// dumpStatement is what a statement of one of those forms names.
type dumpStatement struct {
	form       dumpForm
	table      TableName // the table it acts on
	index      TableName // the index it creates or names (an index lives in its table's schema)
	parent     TableName // formAttachIndex: the partitioned index
	constraint string    // formAddConstraint, formConstraintComment
}

// parseDumpStatement names what sql creates or changes, when it has one of pg_dump's forms.
func parseDumpStatement(sql string) dumpStatement {
	t := &sqlTokens{s: sql}
	var d dumpStatement
	switch {
	case t.keywords("create"):
		d = t.createIndex()
	case t.keywords("alter", "table"):
		d = t.alterTable()
	case t.keywords("alter", "index"):
		d = t.alterIndex()
	case t.keywords("comment", "on"):
		d = t.comment()
	}
	return d
}

func (t *sqlTokens) createIndex() dumpStatement {
	t.keywords("unique")
	if !t.keywords("index") {
		return dumpStatement{}
	}
	name, ok := t.name()
	if !ok || !t.keywords("on") {
		return dumpStatement{}
	}
	t.keywords("only")
	table, ok := t.qualified()
	if !ok {
		return dumpStatement{}
	}
	return dumpStatement{form: formCreateIndex, table: table, index: TableName{Schema: table.Schema, Name: name}}
}

func (t *sqlTokens) alterTable() dumpStatement {
	t.keywords("only")
	table, ok := t.qualified()
	if !ok {
		return dumpStatement{}
	}
	form := formOther
	switch {
	case t.keywords("add", "constraint"):
		form = formAddConstraint
	case t.keywords("cluster", "on"):
		form = formClusterOn
	case t.keywords("replica", "identity", "using", "index"):
		form = formReplicaIdentity
	}
	name, ok := t.name()
	if form == formOther || !ok {
		return dumpStatement{}
	}
	d := dumpStatement{form: form, table: table}
	if form == formAddConstraint {
		d.constraint = name
	} else {
		d.index = TableName{Schema: table.Schema, Name: name}
	}
	return d
}

func (t *sqlTokens) alterIndex() dumpStatement {
	index, ok := t.qualified()
	switch {
	case !ok:
	case t.keywords("attach", "partition"):
		if child, ok := t.qualified(); ok {
			return dumpStatement{form: formAttachIndex, index: child, parent: index}
		}
	case t.keywords("alter"):
		return dumpStatement{form: formAlterIndex, index: index}
	}
	return dumpStatement{}
}

func (t *sqlTokens) comment() dumpStatement {
	switch {
	case t.keywords("index"):
		if index, ok := t.qualified(); ok && t.keywords("is") {
			return dumpStatement{form: formIndexComment, index: index}
		}
	case t.keywords("constraint"):
		name, ok := t.name()
		if !ok || !t.keywords("on") {
			break
		}
		if table, ok := t.qualified(); ok && t.keywords("is") {
			return dumpStatement{form: formConstraintComment, table: table, constraint: name}
		}
	}
	return dumpStatement{}
}

// sqlTokens reads keywords and names from the start of a statement.
type sqlTokens struct {
	s string
	i int
}

func (t *sqlTokens) skipSpace() {
	for t.i < len(t.s) && strings.IndexByte(" \t\r\n", t.s[t.i]) >= 0 {
		t.i++
	}
}

// word reads a bare word (a keyword or an unquoted name), folded to lower case as
// PostgreSQL folds it, or a quoted name as written; "" when neither comes next.
func (t *sqlTokens) word() (text string, quoted bool) {
	t.skipSpace()
	if t.i >= len(t.s) {
		return "", false
	}
	if t.s[t.i] == '"' {
		end := skipQuoted(t.s, t.i, '"')
		text = strings.ReplaceAll(t.s[t.i+1:max(end-1, t.i+1)], `""`, `"`)
		t.i = end
		return text, true
	}
	start := t.i
	for t.i < len(t.s) && isWordByte(t.s[t.i], t.i > start) {
		t.i++
	}
	return strings.ToLower(t.s[start:t.i]), false
}

func isWordByte(c byte, inside bool) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80 ||
		(inside && (c == '$' || (c >= '0' && c <= '9')))
}

// keywords consumes the words given, in order, or nothing when they do not come next.
func (t *sqlTokens) keywords(words ...string) bool {
	at := t.i
	for _, w := range words {
		if got, quoted := t.word(); quoted || got != w {
			t.i = at
			return false
		}
	}
	return true
}

// name reads one name, quoted or not.
func (t *sqlTokens) name() (string, bool) {
	at := t.i
	n, _ := t.word()
	if n == "" {
		t.i = at
		return "", false
	}
	return n, true
}

// qualified reads a schema-qualified name: pg_dump qualifies every table and index it names.
func (t *sqlTokens) qualified() (TableName, bool) {
	at := t.i
	schema, ok := t.name()
	if ok && t.i < len(t.s) && t.s[t.i] == '.' {
		t.i++
		if name, ok := t.name(); ok {
			return TableName{Schema: schema, Name: name}, true
		}
	}
	t.i = at
	return TableName{}, false
}
