# pghandoff's image: one static binary for the GitHub Action (action.yml runs the published
# image with `action`) and the Slack bot (`bot`), with the PostgreSQL 18 client tools: setup
# imports the schema with pg_dump, which must be at least as new as the source server.
#
# The release workflow (.github/workflows/release.yml) builds it for linux/amd64 and
# linux/arm64 and publishes it to ghcr.io; forks can point action.yml's image at this file
# instead (image: Dockerfile). Two targets:
#   action (the last stage, the default): runs as root, because GitHub runs a Docker action
#          as the image's user and the runner's workspace and file commands need root;
#   bot:   the same files, run as the unprivileged user pghandoff (uid 10001).
#
# Base images are pinned by digest (a tag can be pushed again with other contents), the tag
# kept beside it for people and for Dependabot (.github/dependabot.yml), which proposes new
# digests. action/dockerfile_test.go checks all of this.

# The Go stage runs on the builder's own platform and cross-compiles (CGO_ENABLED=0): no
# emulation for the slow part of a multi-architecture build.
FROM --platform=$BUILDPLATFORM golang:1.26.8-bookworm@sha256:a688600ca24f8a4d3ca77f95b0dd40704a9fc787c826660eb7ba0b641b8b175d AS build
WORKDIR /src
# Dependencies in a layer of their own, reused while go.mod and go.sum stay the same.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# .git is not in the build context, so the version and commit come in as build arguments.
ARG TARGETOS TARGETARCH VERSION COMMIT
RUN CGO_ENABLED=0 GOOS=${TARGETOS:-linux} GOARCH=${TARGETARCH:-amd64} go build -trimpath \
    -ldflags="-s -w -X github.com/pghandoff/pghandoff/internal/version.version=$VERSION -X github.com/pghandoff/pghandoff/internal/version.commit=$COMMIT" \
    -o /out/pghandoff ./cmd/pghandoff

FROM debian:13.2-slim@sha256:e711a7b30ec1261130d0a121050b4ed81d7fb28aeabcf4ea0c7876d4e9f5aca2 AS runtime
# postgresql-common brings the PostgreSQL project's apt repository setup (its signing key
# included), which has postgresql-client-18 for every Debian release. ca-certificates lets
# pghandoff and pg_dump verify servers' certificates (sslmode=verify-full).
RUN set -eux; \
    apt-get update; \
    apt-get install -y --no-install-recommends ca-certificates postgresql-common; \
    /usr/share/postgresql-common/pgdg/apt.postgresql.org.sh -y; \
    apt-get install -y --no-install-recommends postgresql-client-18; \
    rm -rf /var/lib/apt/lists/*; \
    /usr/lib/postgresql/18/bin/pg_dump --version; \
    useradd --system --uid 10001 --user-group --no-create-home --shell /usr/sbin/nologin pghandoff
COPY --from=build /out/pghandoff /usr/local/bin/pghandoff
ARG VERSION
LABEL org.opencontainers.image.title="pghandoff" \
      org.opencontainers.image.description="Move a live PostgreSQL database to a new server with no lost write" \
      org.opencontainers.image.source="https://github.com/pghandoff/pghandoff" \
      org.opencontainers.image.version="$VERSION"
ENTRYPOINT ["pghandoff"]

# The Slack bot's image: docker build --target bot. It needs no privilege.
FROM runtime AS bot
USER 10001:10001
CMD ["bot", "--config", "/etc/pghandoff/bot.yaml"]

# The Action's image, the default target. No USER: GitHub's documentation for Docker actions
# says to run as the default user (root), or the workspace and the runner's file commands
# (GITHUB_OUTPUT, GITHUB_STEP_SUMMARY) cannot be written.
FROM runtime AS action
