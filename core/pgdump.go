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
	out, err := exec.CommandContext(ctx, path, "--version").Output()
	if err != nil {
		return 0, "", withHint(fmt.Errorf("run %s --version: %w", path, err),
			"install the PostgreSQL client tools (pg_dump) at least as new as the primary, or point --pg-dump at one")
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
			"install pg_dump %d or newer (Debian: apt-get install postgresql-client-%d) and point --pg-dump at it", primary.major(), primary.major())
	}
	return major, line, nil
}

// runPgDump runs pg_dump against dsn with args and returns what it wrote. The password goes
// through the environment, never the command line, where any user could read it.
func runPgDump(ctx context.Context, path string, dsn DSN, args ...string) (string, error) {
	conninfo := formatConnInfo(dsn.libpqSettings(false))
	cmd := exec.CommandContext(ctx, path, append(args, "--dbname="+conninfo)...)
	cmd.Env = append(os.Environ(), "PGPASSWORD="+dsn.Password(), "PGAPPNAME=pghandoff pg_dump",
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

// schemaDumpArgs are pg_dump's arguments for the schema of the migration: no owners or
// grants (the roles differ on the new server), no publications or subscriptions, no
// tablespaces or security labels (the new server has neither), and not the sentinel table,
// which the import creates itself.
func schemaDumpArgs(m Migration, sel Selection, extensions []string, dumpMajor int) []string {
	args := []string{"--schema-only", "--no-owner", "--no-privileges", "--no-publications",
		"--no-subscriptions", "--no-tablespaces", "--no-security-labels",
		"--exclude-table=" + dumpPattern(m.sentinel().Schema, m.sentinel().Name),
		"--exclude-schema=" + dumpPattern(m.helperSchema())} // pghandoff's own (helper_schema.go)
	for _, s := range sel.Schemas {
		args = append(args, "--schema="+dumpPattern(s))
	}
	// With --schema, pg_dump leaves extensions out unless they are named.
	if len(sel.Schemas) > 0 && dumpMajor >= 14 {
		for _, e := range extensions {
			args = append(args, "--extension="+dumpPattern(e))
		}
	}
	return args
}

// tableDumpArgs dump the definitions of single tables, for tables created on the primary
// after the schema was imported.
func tableDumpArgs(tables []TableName) []string {
	args := []string{"--schema-only", "--no-owner", "--no-privileges", "--no-publications",
		"--no-subscriptions", "--no-tablespaces", "--no-security-labels"}
	for _, t := range tables {
		args = append(args, "--table="+dumpPattern(t.Schema, t.Name))
	}
	return args
}
