# pghandoff: `make demo` runs a whole migration on throwaway local clusters; `make test` runs
# every test on real PostgreSQL 13, 15 and 17. Both install the PostgreSQL they need when it is
# missing (see scripts/install-postgres.sh).

GO ?= go
# Where the PostgreSQL binaries are: filled in by the install script.
POSTGRES_ENV = $(shell ./scripts/install-postgres.sh)

.PHONY: all build test vet demo postgres bench clean

all: build

build:
	$(GO) build -o bin/pghandoff ./cmd/pghandoff

postgres:
	@./scripts/install-postgres.sh >/dev/null

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...

test: vet
	env $(POSTGRES_ENV) $(GO) test -race -count=1 -timeout 20m ./...

demo: build
	env $(POSTGRES_ENV) ./bin/pghandoff demo

bench: build
	env $(POSTGRES_ENV) $(GO) test -run '^$$' -bench . -benchtime 1x -timeout 60m ./bench/

clean:
	rm -rf bin
