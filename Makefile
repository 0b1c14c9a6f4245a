# pghandoff: `make demo` runs a whole migration on throwaway local clusters; `make test` runs
# every test on real PostgreSQL 13, 15 and 17; `make faults` runs the fault suite (faults/,
# issue 9). They install the PostgreSQL they need when it is missing (see
# scripts/install-postgres.sh).

GO ?= go
# Where the PostgreSQL binaries are: filled in by the install script.
POSTGRES_ENV = $(shell ./scripts/install-postgres.sh)

.PHONY: all build test faults vet demo postgres bench clean

all: build

build:
	$(GO) build -o bin/pghandoff ./cmd/pghandoff

postgres:
	@./scripts/install-postgres.sh >/dev/null

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...
	$(GO) vet -tags faults ./faults/

test: vet
	env $(POSTGRES_ENV) $(GO) test -race -count=1 -timeout 20m ./...

# The fault suite kills, freezes and partitions pghandoff mid-cutover under a write workload;
# its files carry the build tag `faults`, so `make test` leaves them out.
faults: vet
	env $(POSTGRES_ENV) $(GO) test -race -tags faults -count=1 -timeout 40m -v ./faults/

demo: build
	env $(POSTGRES_ENV) ./bin/pghandoff demo

bench: build
	env $(POSTGRES_ENV) $(GO) test -run '^$$' -bench . -benchtime 1x -timeout 60m ./bench/

clean:
	rm -rf bin
