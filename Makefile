# pghandoff: `make demo` runs a whole migration on throwaway local clusters (through the
# postgres_fdw proxy; `make demo DEMO_STRATEGY=pgbouncer` through PgBouncer); `make test` runs
# every test on real PostgreSQL 13, 15, 17 and 18; `make faults` runs the fault suite (faults/,
# issue 9). On a fresh Debian with Go, they install what they need when run as root, and say
# what to install otherwise (scripts/install-deps.sh).

GO ?= go
# Where the PostgreSQL binaries are: filled in by the install script.
POSTGRES_ENV = $(shell ./scripts/install-deps.sh)

.PHONY: all build test faults vet demo deps postgres bench clean

all: build

build:
	$(GO) build -o bin/pghandoff ./cmd/pghandoff

# deps installs what is missing, or stops make with the command to run.
deps:
	@./scripts/install-deps.sh >/dev/null

postgres: deps

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...
	$(GO) vet -tags faults ./faults/

test: deps vet
	env $(POSTGRES_ENV) $(GO) test -race -count=1 -timeout 20m ./...

# The fault suite kills, freezes and partitions pghandoff mid-cutover under a write workload;
# its files carry the build tag `faults`, so `make test` leaves them out.
faults: deps vet
	env $(POSTGRES_ENV) $(GO) test -race -tags faults -count=1 -timeout 40m -v ./faults/

# What the demo's application goes through: proxy or pgbouncer.
DEMO_STRATEGY ?= proxy

demo: deps build
	env $(POSTGRES_ENV) ./bin/pghandoff demo --strategy $(DEMO_STRATEGY)

bench: deps build
	env $(POSTGRES_ENV) $(GO) test -run '^$$' -bench . -benchtime 1x -timeout 60m ./bench/ ./bot/

clean:
	rm -rf bin
