# reconcile: make demo (the whole job on samples/) and make test (vet + race tests).
GO      ?= go
BIN     := bin/reconcile
VERSION := $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)

.PHONY: all build test demo bench bench-all fmt clean

all: build

## build: compile the command into bin/reconcile
build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/reconcile

## test: go vet and the race-enabled tests, with the host in UTC to prove GMT+8 handling
test:
	$(GO) vet ./...
	TZ=UTC $(GO) test -race ./...

## demo: the whole job on samples/ against the built-in sandbox gateway
demo: build
	@./scripts/demo.sh

## bench: the figures of the README's Performance section (about 5 minutes)
bench:
	TZ=UTC $(GO) test -run '^$$' -bench 'LocalHalf$$' -benchtime 3x ./cmd/reconcile
	TZ=UTC $(GO) test -run '^$$' -bench 'Load20k|DeclareThroughput' -benchtime 1x ./internal/batch
	TZ=UTC $(GO) test -run '^$$' -bench 'Checks1M' -benchtime 1x ./internal/reconcile
	TZ=UTC $(GO) test -run '^$$' -bench 'Write100k' -benchtime 3x -benchmem ./internal/report
	TZ=UTC $(GO) test -run '^$$' -bench . -benchmem -cpu 1 ./internal/ingest

## bench-all: every benchmark of every package, with allocations
bench-all:
	TZ=UTC $(GO) test -run '^$$' -bench . -benchmem ./...

## gen: a synthetic night of exports and its manifest.json (make gen ORDERS=200000 OUT=out/gen GEN_FLAGS="-gbk -next-day-bill")
ORDERS    ?= 100000
OUT       ?= out/gen
SEED      ?= 1
SHARES    ?=
CLEARANCE ?= 0
GEN_FLAGS ?=
.PHONY: gen
gen:
	$(GO) run ./internal/gen/cmd/gen -out $(OUT) -orders $(ORDERS) -seed $(SEED) -clearance $(CLEARANCE) $(if $(SHARES),-share $(SHARES)) $(GEN_FLAGS)

## fmt: gofmt the tree
fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin out
