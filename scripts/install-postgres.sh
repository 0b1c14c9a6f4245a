#!/bin/sh
# The former name of install-deps.sh, kept for scripts and notes that still call it.
exec "$(dirname "$0")/install-deps.sh" "$@"
