package core

import (
	"regexp"
	"slices"
)

// Setup imports each table with what replication needs (its primary key or replica identity
// index), lets PostgreSQL copy the rows, and builds the table's other indexes, unique and
// exclusion constraints and foreign keys afterwards: a copy into a bare table is several
// times faster than one that maintains every index row by row (BENCHMARKS.md). The work left
// for after the copy is a list of units, each pg_dump's own statements for one object, kept
// on the replica (deferred_state.go) and built by wait (deferred_build.go).

// Kinds of deferred unit, as status names them.
const (
	KindIndex      = "index"
	KindConstraint = "constraint"  // a unique or exclusion constraint
	KindForeignKey = "foreign key" // added NOT VALID, then validated
)

// deferredUnit is what is built in one go after the copy: an index or a constraint, with
// the statements that follow it in pg_dump's script (its comment, CLUSTER ON, statistics),
// or a partitioned index with its partitions' indexes and their ATTACH statements.
type deferredUnit struct {
	key        objectKey // the first object's: names the unit
	kind       string
	object     string    // its name, for people
	table      TableName // the table it belongs to
	gate       []string  // the published tables (quoted) that must be synchronised first
	after      []string  // units that must be built first (a foreign key's referenced index)
	session    []string  // pg_dump's session settings, run before the statements
	statements []string  // pg_dump's, in its order, as it wrote them
	validate   bool      // a foreign key: add it NOT VALID, then validate it
}

// deferSplit separates pg_dump's statements into those the import runs now, in order, and
// the units left for after the copy. The catalog decides what each object is: an index that
// is the primary key or the replica identity stays, and so does everything tied to it (a
// partitioned index and its partitions', a constraint a kept foreign key relies on), or to a
// table that is not published. A statement of no known form stays.
func deferSplit(statements []string, cat *deferCatalog) (keep []string, units []deferredUnit) {
	keys := make([]objectKey, len(statements))
	groups := newKeyGroups()
	for i, stmt := range statements {
		d := parseDumpStatement(stmt)
		keys[i] = cat.keyOf(d)
		if d.form == formAttachIndex && keys[i] != "" {
			groups.join(indexKey(d.parent), keys[i])
		}
	}
	deferred := cat.deferredGroups(keys, groups)
	byGroup := map[objectKey]int{}
	session := sessionStatements(statements)
	for i, stmt := range statements {
		g := groups.find(keys[i])
		if keys[i] == "" || !deferred[g] {
			keep = append(keep, stmt)
			continue
		}
		at, ok := byGroup[g]
		if !ok {
			at, byGroup[g] = len(units), len(units)
			units = append(units, cat.newUnit(g, keys[i], stmt, session))
		}
		units[at].statements = append(units[at].statements, stmt)
		cat.widen(&units[at], keys[i], groups, deferred)
	}
	return keep, units
}

// deferredGroups decides, for each group of objects, whether it waits for the copy: only when
// every object of it may, and no foreign key that stays relies on one of its indexes.
func (c *deferCatalog) deferredGroups(keys []objectKey, groups *keyGroups) map[objectKey]bool {
	deferred := map[objectKey]bool{}
	for _, k := range keys {
		if k == "" {
			continue
		}
		g := groups.find(k)
		if ok, seen := deferred[g]; !seen || ok {
			deferred[g] = c.deferrable(k)
		}
	}
	for _, k := range keys {
		if o := c.objects[k]; o.foreign && !deferred[groups.find(k)] && o.refIndex != "" {
			deferred[groups.find(o.refIndex)] = false
		}
	}
	return deferred
}

// newUnit starts unit g with the statement that first names one of its objects, k. A
// foreign key is validated after the copy when it is on the primary, unless pg_dump adds it
// NOT VALID already or PostgreSQL cannot add it so (a partitioned table's).
func (c *deferCatalog) newUnit(g, k objectKey, stmt string, session []string) deferredUnit {
	o, d := c.objects[k], parseDumpStatement(stmt)
	u := deferredUnit{key: g, kind: KindIndex, object: ident(o.name), table: o.table, session: session}
	switch {
	case o.foreign:
		u.kind, u.validate = KindForeignKey, o.validated && !o.partitioned && !notValid.MatchString(stmt)
	case d.form == formAddConstraint:
		u.kind, u.object = KindConstraint, ident(d.constraint)
	}
	return u
}

// widen adds what object k of the unit waits for: its table's root, a foreign key's
// referenced table, and the deferred unit holding the index that foreign key relies on.
func (c *deferCatalog) widen(u *deferredUnit, k objectKey, groups *keyGroups, deferred map[objectKey]bool) {
	o := c.objects[k]
	u.gate = appendNew(u.gate, o.root)
	if !o.foreign {
		return
	}
	u.gate = appendNew(u.gate, o.refRoot)
	if g := groups.find(o.refIndex); deferred[g] && g != groups.find(k) {
		u.after = appendNew(u.after, string(g))
	}
}

// notValid: pg_dump adds a foreign key the primary has not validated NOT VALID.
var notValid = regexp.MustCompile(`(?i)\sNOT\s+VALID\s*$`)

func appendNew(list []string, s string) []string {
	if s == "" || slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

// sessionSetting is one of the statements at the head of pg_dump's script that set up its
// session: how the statements after it read (search_path, check_function_bodies...).
var sessionSetting = regexp.MustCompile(`(?is)^(SET\s|SELECT\s+pg_catalog\.set_config\()`)

// sessionStatements are the session settings pg_dump's script begins with, but its timeouts:
// deferred builds run under pghandoff's.
var sessionTimeout = regexp.MustCompile(`(?i)^SET\s+(statement_timeout|lock_timeout|idle_in_transaction_session_timeout|transaction_timeout)\b`)

func sessionStatements(statements []string) []string {
	var out []string
	for _, s := range statements {
		if !sessionSetting.MatchString(s) {
			break
		}
		if !sessionTimeout.MatchString(s) {
			out = append(out, s)
		}
	}
	return out
}

// keyGroups joins objects that are built together (union-find): a partitioned index and
// the indexes of its partitions attached to it.
type keyGroups struct{ parent map[objectKey]objectKey }

func newKeyGroups() *keyGroups { return &keyGroups{parent: map[objectKey]objectKey{}} }

func (g *keyGroups) find(k objectKey) objectKey {
	for {
		p, ok := g.parent[k]
		if !ok || p == k {
			return k
		}
		k = p
	}
}

// join puts b's group under a's: the partitioned index's group names the whole.
func (g *keyGroups) join(a, b objectKey) {
	ra, rb := g.find(a), g.find(b)
	if ra != rb {
		g.parent[rb] = ra
	}
}
