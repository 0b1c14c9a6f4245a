package core

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
)

// The checks of the file pghandoff owns: that PgBouncer reads it, and that nothing else
// defines the entry.

// checkFile writes the entry pointing at the primary, RELOADs and confirms it. It first
// refuses to take over an entry that PgBouncer or the file has pointing anywhere but the
// primary: writing it would move live traffic without a pause.
func (c *bouncerChecker) checkFile(ctx context.Context) error {
	if ok, err := c.checkCurrentTarget(ctx); err != nil || !ok {
		return err
	}
	if db, inPlace, err := c.entryInPlace(ctx); err != nil || inPlace {
		if inPlace {
			c.res.Loaded = &db
			c.add("include file", CheckPass, fmt.Sprintf("%s already holds the entry and PgBouncer has it loaded: %s", c.opts.File, c.res.Entry), Remedy{})
		}
		return err
	}
	c.recordWrite(ctx)
	c.res.Written = true
	if err := WriteBouncerEntry(c.opts.File, c.res.Entry); err != nil {
		c.add("include file", CheckFail, fmt.Sprintf("could not write %s: %v", c.opts.File, err),
			orRemedy(Hint(err), remedy("give pghandoff write access to the file and its directory (it replaces the file by renaming a new one over it)")))
		return nil
	}
	db, err := c.b.ReloadAndConfirm(ctx, c.res.Entry)
	if err != nil {
		c.add("include file", CheckFail, err.Error(), Hint(err))
		return nil
	}
	c.res.Loaded = &db
	c.add("include file", CheckPass, fmt.Sprintf("wrote %s and PgBouncer loaded it: %s", c.opts.File, c.res.Entry), Remedy{})
	return nil
}

// entryInPlace reports whether the file and PgBouncer both have the entry as it would be
// written: nothing to write then.
func (c *bouncerChecker) entryInPlace(ctx context.Context) (BouncerDatabase, bool, error) {
	st, err := ReadBouncerState(ctx, c.b, c.opts.Database, c.opts.File)
	if err != nil || !st.Consistent {
		return st.Loaded, false, err
	}
	return st.Loaded, c.res.Entry.matches(st.Loaded), nil
}

// recordWrite records, for the result and dry-run, what writing the entry does.
func (c *bouncerChecker) recordWrite(ctx context.Context) {
	c.r.recordAs(ctx, roleBouncer, fmt.Sprintf("write %s: %s", c.opts.File, c.res.Entry))
	c.r.recordAs(ctx, roleBouncer, "RELOAD")
}

// checkCurrentTarget refuses an entry that is paused, or points elsewhere than the primary.
func (c *bouncerChecker) checkCurrentTarget(ctx context.Context) (bool, error) {
	db, found, err := c.b.Database(ctx, c.opts.Database)
	if err != nil {
		return false, err
	}
	entries, err := ReadBouncerFile(c.opts.File)
	if err != nil {
		c.add("include file", CheckFail, err.Error(), remedy("fix the file or move it aside: pghandoff owns it and rewrites it"))
		return false, nil
	}
	if found && db.Paused {
		c.add("include file", CheckFail, fmt.Sprintf("PgBouncer's entry %s is paused: a cutover may be under way, or one left it paused", c.opts.Database),
			remedy("wait for the cutover to finish; if none is running, RESUME "+c.opts.Database+" on PgBouncer's admin console"))
		return false, nil
	}
	for _, e := range entries {
		if e.Name == c.opts.Database && !e.pointsAt(c.opts.Primary) {
			c.add("include file", CheckFail, fmt.Sprintf("the file's entry %s points at %s, not at the primary", e.Name, fileTarget(&e)), c.elsewhereRemedy(e.pointsAt(c.opts.Replica)))
			return false, nil
		}
	}
	if found && !c.res.Entry.matchesTarget(db) {
		c.add("include file", CheckFail, fmt.Sprintf("PgBouncer's entry %s points at %s, not at the primary %s:%d/%s: writing pghandoff's would move the application's traffic there without a pause",
			c.opts.Database, loadedTarget(db), c.res.Entry.Host, c.res.Entry.Port, c.res.Entry.DBName), c.elsewhereRemedy(c.res.Entry.pointsAtLoaded(db, c.opts.Replica)))
		return false, nil
	}
	return true, nil
}

func (c *bouncerChecker) elsewhereRemedy(atReplica bool) Remedy {
	if atReplica {
		return remedy("it already points at the replica: cutover has switched, there is nothing to create")
	}
	return remedy("give the ", OptPrimary, " with the host, port and database exactly as PgBouncer's entry has them, or name another entry")
}

// orRemedy is r, or fallback when r says nothing.
func orRemedy(r, fallback Remedy) Remedy {
	if r.IsZero() {
		return fallback
	}
	return r
}

// matchesTarget compares where a loaded entry points, forced user aside.
func (e BouncerEntry) matchesTarget(db BouncerDatabase) bool {
	return db.Host == e.Host && db.Port == e.Port && db.Database == e.DBName
}

func (e BouncerEntry) pointsAtLoaded(db BouncerDatabase, dsn DSN) bool {
	return db.Host == dsn.Host() && db.Port == int(dsn.Port()) && db.Database == dsn.Database()
}

// checkFileDry checks, without writing, that the file's directory is writable and that
// PgBouncer's configuration includes the file (when pghandoff can read it).
func (c *bouncerChecker) checkFileDry(ctx context.Context) error {
	if c.opts.DryRun {
		c.recordWrite(ctx)
	}
	dir := filepath.Dir(c.opts.File)
	if err := syscall.Access(dir, 2 /* W_OK */); err != nil {
		c.add("include file", CheckFail, fmt.Sprintf("cannot write in %s: %v", dir, err),
			remedy("give pghandoff write access to the file's directory: it replaces the file by renaming a new one over it"))
		return nil
	}
	cf, err := readBouncerConfig(c.cfg["conffile"], c.opts.File)
	switch {
	case err != nil:
		c.add("include file", CheckWarn, fmt.Sprintf("could not read PgBouncer's configuration to see that it includes %s: %v", c.opts.File, err), Remedy{})
	case !cf.includesOurs:
		c.add("include file", CheckFail, fmt.Sprintf("PgBouncer's configuration %s does not %%include %s", c.cfg["conffile"], c.opts.File),
			remedyf("add the line `%%include %s` at the end of its [databases] section, and reload PgBouncer", c.opts.File))
	default:
		c.add("include file", CheckPass, fmt.Sprintf("%s is writable and PgBouncer's configuration includes it (not written: dry run)", c.opts.File), Remedy{})
	}
	return nil
}

// checkDefinedOnce refuses an entry that PgBouncer's own configuration defines too: the
// definition read last wins, and one read after pghandoff's file would undo every repoint.
func (c *bouncerChecker) checkDefinedOnce(context.Context) error {
	cf, err := readBouncerConfig(c.cfg["conffile"], c.opts.File)
	if err != nil {
		c.add("entry defined once", CheckWarn, fmt.Sprintf("could not read PgBouncer's configuration (%v): make sure no other file defines %s", err, c.opts.Database), Remedy{})
		return nil
	}
	if where := cf.defs[c.opts.Database]; len(where) > 0 {
		c.add("entry defined once", CheckFail, fmt.Sprintf("PgBouncer's configuration defines %s in %s too", c.opts.Database, strings.Join(where, ", ")),
			remedyf("remove that definition: pghandoff's file %s defines the entry from now on", c.opts.File))
		return nil
	}
	c.add("entry defined once", CheckPass, fmt.Sprintf("no other file of PgBouncer's configuration defines %s", c.opts.Database), Remedy{})
	return nil
}

// bouncerConfig is what readBouncerConfig found in PgBouncer's configuration files.
type bouncerConfig struct {
	includesOurs bool
	defs         map[string][]string // database entry → the other files that define it
}

// readBouncerConfig reads PgBouncer's main configuration and the files it includes (but
// pghandoff's own), as PgBouncer does: the section carries across an include.
func readBouncerConfig(main, ours string) (*bouncerConfig, error) {
	if main == "" {
		return nil, fmt.Errorf("PgBouncer did not say where its configuration is")
	}
	cf := &bouncerConfig{defs: map[string][]string{}}
	section := ""
	return cf, cf.read(main, samePath(ours), &section, 0)
}

func (cf *bouncerConfig) read(path string, isOurs func(string) bool, section *string, depth int) error {
	if depth > 10 {
		return fmt.Errorf("includes nested too deep at %s", path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "%include"):
			inc := strings.TrimSpace(strings.TrimPrefix(line, "%include"))
			if isOurs(inc) {
				cf.includesOurs, *section = true, "databases" // pghandoff's file starts with [databases]
				continue
			}
			if err := cf.read(inc, isOurs, section, depth+1); err != nil {
				return err
			}
		case strings.HasPrefix(line, "["):
			*section = strings.Trim(line, "[] ")
		case *section == "databases":
			if name, _, ok, _ := iniLine(line); ok && !slices.Contains(cf.defs[name], path) {
				cf.defs[name] = append(cf.defs[name], path)
			}
		}
	}
	return nil
}

// samePath reports whether a path names the same file as ours, links followed.
func samePath(ours string) func(string) bool {
	resolve := func(p string) string {
		if r, err := filepath.EvalSymlinks(p); err == nil {
			return r
		}
		abs, _ := filepath.Abs(p)
		return abs
	}
	want := resolve(ours)
	return func(p string) bool { return resolve(p) == want }
}
