// Package pgcluster starts throwaway PostgreSQL clusters, for the tests (through pgtest) and
// the demo: initdb and pg_ctl on free loopback ports, logical replication enabled, password
// authentication over TCP, run as the postgres OS user when started by root.
package pgcluster

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// BinDir returns the directory holding initdb, pg_ctl and postgres of the given major version.
// PGHANDOFF_PG<major>_BIN overrides the default places, which are the Debian packages' directory
// and the cache that scripts/install-deps.sh fills from npm.
func BinDir(major int) (string, error) {
	env := "PGHANDOFF_PG" + strconv.Itoa(major) + "_BIN"
	candidates := []string{os.Getenv(env), fmt.Sprintf("/usr/lib/postgresql/%d/bin", major)}
	for _, cache := range cacheDirs() {
		matches, _ := filepath.Glob(filepath.Join(cache, fmt.Sprintf("postgresql-%d.*", major), "native", "bin"))
		candidates = append(candidates, matches...)
	}
	for _, dir := range candidates {
		if dir == "" {
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, "postgres")); err == nil {
			return dir, nil
		}
	}
	return "", fmt.Errorf("PostgreSQL %d server binaries not found (set %s, or run `make test`, "+
		"which installs them through scripts/install-deps.sh)", major, env)
}

func cacheDirs() []string {
	dirs := []string{"/var/cache/pghandoff"}
	if home, err := os.UserHomeDir(); err == nil {
		dirs = append(dirs, filepath.Join(home, ".cache", "pghandoff"))
	}
	if dir := os.Getenv("PGHANDOFF_CACHE"); dir != "" {
		dirs = append([]string{dir}, dirs...)
	}
	return dirs
}

// ClientBinDir returns the directory of the PostgreSQL client tools (pg_dump, pgbench) of the
// given major version, which only the Debian packages provide.
func ClientBinDir(major int) (string, error) {
	dir := os.Getenv("PGHANDOFF_PG" + strconv.Itoa(major) + "_BIN")
	if dir == "" {
		dir = fmt.Sprintf("/usr/lib/postgresql/%d/bin", major)
	}
	if _, err := os.Stat(filepath.Join(dir, "pg_dump")); err != nil {
		return "", fmt.Errorf("pg_dump %d not found in %s: run `make test` or apt-get install postgresql-client-%d", major, dir, major)
	}
	return dir, nil
}
