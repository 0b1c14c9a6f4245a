# pghandoff's image: one static binary for the GitHub Action (action.yml runs `pghandoff
# action`) and the Slack bot (`docker run IMAGE bot`), with the PostgreSQL 18 client tools:
# setup imports the schema with pg_dump, which must be at least as new as the source server.
# Base images are pinned by version; a test (action/dockerfile_test.go) checks it.

FROM golang:1.26.8-trixie AS build
WORKDIR /src
# Dependencies in a layer of their own, reused while go.mod and go.sum stay the same.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags="-s -w" -o /out/pghandoff ./cmd/pghandoff

FROM debian:13.2-slim
# postgresql-common brings the PostgreSQL project's apt repository setup (its signing key
# included), which has postgresql-client-18 for every Debian release.
RUN set -eux; \
    apt-get update; \
    apt-get install -y --no-install-recommends ca-certificates postgresql-common; \
    /usr/share/postgresql-common/pgdg/apt.postgresql.org.sh -y; \
    apt-get install -y --no-install-recommends postgresql-client-18; \
    rm -rf /var/lib/apt/lists/*; \
    /usr/lib/postgresql/18/bin/pg_dump --version
COPY --from=build /out/pghandoff /usr/local/bin/pghandoff
# The Action must run as root: the runner's output and summary files belong to root. The bot
# needs no such thing and should run as this user: docker run --user pghandoff IMAGE bot.
RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin pghandoff
ENTRYPOINT ["pghandoff"]
