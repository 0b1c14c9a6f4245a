package core

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// FindPgDump returns the newest pg_dump installed in the usual places (Debian and RPM
// layouts, then the PATH), since pg_dump must be at least as new as the server it dumps.
func FindPgDump() string {
	var found []string
	for _, pattern := range []string{"/usr/lib/postgresql/*/bin/pg_dump", "/usr/pgsql-*/bin/pg_dump"} {
		m, _ := filepath.Glob(pattern)
		found = append(found, m...)
	}
	majorOf := func(p string) int {
		m := regexp.MustCompile(`(\d+)`).FindAllString(p, -1)
		if len(m) == 0 {
			return 0
		}
		n, _ := strconv.Atoi(m[len(m)-1])
		return n
	}
	sort.Slice(found, func(i, j int) bool { return majorOf(found[i]) > majorOf(found[j]) })
	if len(found) > 0 {
		return found[0]
	}
	if p, err := exec.LookPath("pg_dump"); err == nil {
		return p
	}
	return "pg_dump"
}

// pgDumpVersion returns pg_dump's major version and its version line.
func pgDumpVersion(ctx context.Context, path string) (int, string, error) {
	out, err := exec.CommandContext(ctx, path, dumpOptions{{"version", ""}}.args()...).Output()
	if err != nil {
		return 0, "", withHint(fmt.Errorf("run %s to read its version: %w", path, err),
			remedy("install the PostgreSQL client tools (pg_dump) at least as new as the primary, or point ", OptPgDump, " at one"))
	}
	line := strings.TrimSpace(string(out))
	m := regexp.MustCompile(`\) (\d+)`).FindStringSubmatch(line)
	if m == nil {
		return 0, line, fmt.Errorf("cannot read the version of %s from %q", path, line)
	}
	major, _ := strconv.Atoi(m[1])
	return major, line, nil
}

// checkPgDump refuses a pg_dump older than the primary: it would refuse the dump itself, and
// say so only after setup had begun. It returns pg_dump's major version and version line.
func checkPgDump(ctx context.Context, path string, primary *server) (int, string, error) {
	major, line, err := pgDumpVersion(ctx, path)
	if err != nil {
		return 0, "", err
	}
	if major < primary.major() {
		return major, line, withHint(fmt.Errorf("%s is older than the primary (PostgreSQL %s)", line, primary.versionString()),
			remedy(fmt.Sprintf("install pg_dump %d or newer (Debian: apt-get install postgresql-client-%d) and point ", primary.major(), primary.major()), OptPgDump, " at it"))
	}
	return major, line, nil
}

// dumpOptions are pg_dump's long options, each a name and a value ("" for none), in the order
// given; args writes them as pg_dump reads them.
type dumpOptions [][2]string

// with adds option name once per value, or once bare when no value is given.
func (o dumpOptions) with(name string, values ...string) dumpOptions {
	if len(values) == 0 {
		return append(o, [2]string{name, ""})
	}
	for _, v := range values {
		o = append(o, [2]string{name, v})
	}
	return o
}

func (o dumpOptions) args() []string {
	out := make([]string, len(o))
	for i, opt := range o {
		out[i] = "--" + opt[0]
		if opt[1] != "" {
			out[i] += "=" + opt[1]
		}
	}
	return out
}

// runPgDump runs pg_dump against dsn with opts and returns what it wrote. The password goes
// through the environment, never the command line, where any user could read it. Its
// connection counts in the operation's lease, as the primary's.
func runPgDump(ctx context.Context, path string, dsn DSN, opts dumpOptions) (string, error) {
	l := leaseOf(ctx)
	if err := l.take(rolePrimary); err != nil {
		return "", err
	}
	defer l.give(rolePrimary)
	name := "pg_dump"
	if l != nil {
		name = l.operation + " (pg_dump)"
	}
	cmd := exec.CommandContext(ctx, path, opts.with("dbname", dumpConnInfo(ctx, path, dsn)).args()...)
	cmd.Env = append(os.Environ(), "PGPASSWORD="+dsn.Password(), "PGAPPNAME="+l.applicationName(name),
		"PGCONNECT_TIMEOUT=10")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		msg := strings.TrimSpace(stderr.String())
		var exitErr *exec.ExitError
		if !errors.As(err, &exitErr) {
			msg = err.Error()
		}
		return "", fmt.Errorf("pg_dump of the primary failed: %s", abbreviate(msg, 1000))
	}
	return stdout.String(), nil
}

// dumpPattern quotes a name as a pg_dump pattern that matches exactly that name.
func dumpPattern(names ...string) string {
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = `"` + strings.ReplaceAll(n, `"`, `""`) + `"`
	}
	return strings.Join(quoted, ".")
}

// definitionsOnly are pg_dump's options for the definitions the replica needs: no owners or
// grants (the roles differ on the new server), no publications or subscriptions, no
// tablespaces or security labels (the new server has neither).
var definitionsOnly = dumpOptions{}.with("schema-only").with("no-owner").with("no-privileges").
	with("no-publications").with("no-subscriptions").with("no-tablespaces").with("no-security-labels")

// schemaDumpOptions dump the schema of the migration, but not the sentinel table, which the
// import creates itself, nor pghandoff's helper schema (helper_schema.go).
func schemaDumpOptions(m Migration, sel Selection, extensions []string, dumpMajor int) dumpOptions {
	opts := slices.Clone(definitionsOnly).
		with("exclude-table", dumpPattern(m.sentinel().Schema, m.sentinel().Name)).
		with("exclude-schema", dumpPattern(m.helperSchema()))
	for _, s := range sel.Schemas {
		opts = opts.with("schema", dumpPattern(s))
	}
	// Given schemas, pg_dump leaves extensions out unless they are named.
	if len(sel.Schemas) > 0 && dumpMajor >= 14 {
		for _, e := range extensions {
			opts = opts.with("extension", dumpPattern(e))
		}
	}
	return opts
}

// tableDumpOptions dump the definitions of single tables, for tables created on the primary
// after the schema was imported.
func tableDumpOptions(tables []TableName) dumpOptions {
	opts := slices.Clone(definitionsOnly)
	for _, t := range tables {
		opts = opts.with("table", dumpPattern(t.Schema, t.Name))
	}
	return opts
}
