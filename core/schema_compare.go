package core

import (
	"context"
	"errors"
	"maps"
	"slices"
	"sync"
)

// schemaComparison is what comparing two servers' definitions found, with the definitions
// read (whole for the tables that differ, digests for the others).
type schemaComparison struct {
	changes SchemaChanges
	source  *schemaSnapshot
	target  *schemaSnapshot
	tables  int // tables compared
	// differing are the tables whose digests differ, read whole: none when nothing
	// changed, so that the comparison was one query on each server.
	differing int
}

// compareSchemas compares the target's definitions with the source's, cheaply enough for
// status to do it every minute: one query on each server, both at once, gives a digest of
// every table, and only when digests differ does one more query on each read those tables
// whole. Of the target, only the schemas the source has count, so that a new server's own
// schemas are not differences.
func compareSchemas(ctx context.Context, source, target *server, sc schemaScope) (*schemaComparison, error) {
	var a, b *schemaSnapshot
	var errA, errB error
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		a, errA = readSnapshot(ctx, source, sc, false, false, nil)
	}()
	b, errB = readSnapshot(ctx, target, sc, false, false, nil)
	wg.Wait()
	if err := errors.Join(errA, errB); err != nil {
		return nil, err
	}
	targetScope := sc
	if len(sc.schemas) == 0 {
		targetScope.schemas = a.schemaNames()
		b.keepSchemas(targetScope.schemas)
	}
	differing, err := readDiffering(a, b,
		func(only []TableName) (*schemaSnapshot, error) {
			return readSnapshot(ctx, source, sc, true, false, only)
		},
		func(only []TableName) (*schemaSnapshot, error) {
			return readSnapshot(ctx, target, targetScope, true, false, only)
		})
	if err != nil {
		return nil, err
	}
	return &schemaComparison{changes: diffSchemas(a, b, source.role, target.role), source: a, target: b,
		tables: len(sortedNames(a.names(), b.names())), differing: differing}, nil
}

// keepSchemas drops what the snapshot holds outside schemas.
func (snap *schemaSnapshot) keepSchemas(schemas []string) {
	outside := func(t TableName) bool { return !slices.Contains(schemas, t.Schema) }
	maps.DeleteFunc(snap.digests, func(t TableName, _ string) bool { return outside(t) })
	maps.DeleteFunc(snap.tables, func(t TableName, _ *tableDef) bool { return outside(t) })
	maps.DeleteFunc(snap.enums, func(t TableName, _ enumDef) bool { return outside(t) })
	maps.DeleteFunc(snap.sequences, func(t TableName, _ sequenceDef) bool { return outside(t) })
}

// wholeReader reads the given tables' whole definitions from one side of a comparison.
type wholeReader func(only []TableName) (*schemaSnapshot, error)

// readDiffering reads whole, on both sides (a first), the tables whose digests differ or
// that one side lacks, replacing their digests, and says how many there were.
func readDiffering(a, b *schemaSnapshot, readA, readB wholeReader) (int, error) {
	var differ []TableName
	for _, t := range sortedNames(a.names(), b.names()) {
		if a.digests[t] != b.digests[t] {
			differ = append(differ, t)
		}
	}
	if len(differ) == 0 {
		return 0, nil
	}
	for _, side := range []struct {
		snap *schemaSnapshot
		read wholeReader
	}{{a, readA}, {b, readB}} {
		whole, err := side.read(differ)
		if err != nil {
			return 0, err
		}
		for t, def := range whole.tables {
			delete(side.snap.digests, t)
			side.snap.tables[t] = def
		}
	}
	return len(differ), nil
}

// schemaNames are the schemas holding the snapshot's objects.
func (snap *schemaSnapshot) schemaNames() []string {
	seen := map[string]bool{}
	for _, names := range [][]TableName{snap.names(), slices.Collect(maps.Keys(snap.enums)), slices.Collect(maps.Keys(snap.sequences))} {
		for _, t := range names {
			seen[t.Schema] = true
		}
	}
	out := slices.Sorted(maps.Keys(seen))
	if len(out) == 0 {
		return []string{""} // no schema at all: read nothing, rather than everything
	}
	return out
}
