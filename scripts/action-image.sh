#!/bin/sh
# action.yml runs the published image of its own release: docker://ghcr.io/OWNER/REPO:vX.Y.Z.
#   scripts/action-image.sh set vX.Y.Z     points action.yml at that release's image (commit it,
#                                          then tag that commit vX.Y.Z)
#   scripts/action-image.sh check vX.Y.Z   fails unless action.yml names exactly that image:
#                                          the release workflow runs it before publishing
# IMAGE (default ghcr.io/pghandoff/pghandoff) and ACTION_YML (default action.yml) override.
set -eu
IMAGE=${IMAGE:-ghcr.io/pghandoff/pghandoff}
ACTION_YML=${ACTION_YML:-action.yml}

usage() { echo "usage: $0 set|check vX.Y.Z" >&2; exit 2; }
[ $# -eq 2 ] || usage
version=$2
echo "$version" | grep -Eq '^v[0-9]+\.[0-9]+\.[0-9]+$' || {
    echo "action-image: $version is not a release version vX.Y.Z" >&2
    exit 2
}
want="  image: docker://$IMAGE:$version"

case $1 in
set)
    tmp=$(mktemp)
    sed "s|^  image: .*|$want|" "$ACTION_YML" > "$tmp"
    cat "$tmp" > "$ACTION_YML"
    rm -f "$tmp"
    grep -qx "$want" "$ACTION_YML" || { echo "action-image: no 'image:' line in $ACTION_YML" >&2; exit 1; }
    ;;
check)
    got=$(grep '^  image: ' "$ACTION_YML" || true)
    if [ "$got" != "$want" ]; then
        echo "action-image: $ACTION_YML runs '${got#  image: }', not docker://$IMAGE:$version." >&2
        echo "Run scripts/action-image.sh set $version, commit, and tag that commit $version." >&2
        exit 1
    fi
    ;;
*) usage ;;
esac
