# entrasync — the two commands a newcomer needs are `make demo` and `make test`.
GO       ?= go
BIN      := bin/entrasync
VERSION  ?= $(shell git describe --tags --dirty --always 2>/dev/null || echo dev)
LDFLAGS  := -X github.com/entrasync/entrasync/internal/cli.Version=$(VERSION)
FUZZTIME ?= 30s

.PHONY: all build test test-short interop lint fmt golden golden-check bench fuzz reliability demo clean

all: lint test

build:
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/entrasync

# test: vet, every test (internal/graph compiles msgraph-sdk-go: ~3 min and
# ~4.5 GB cold, seconds warm), the race detector on the emulator, on the
# configuration loader's parallel parts, on the Graph adapter's shared
# $batch scheduler and on the planner's concurrent reads, and a check that
# golden files are up to date, and the Terraform azuread provider's Graph
# client against the emulator (make interop).
test:
	$(GO) vet ./...
	$(GO) test ./...
	$(GO) test -race -short ./internal/sim/...
	$(GO) test -race -short -run 'TestFastPath|FuzzFastPath' ./internal/config
	$(GO) test -race -short -run 'TestBatchFailures|TestFaultMatrix(InterruptedAfterEveryWrite|TokenExpiry)|TestReadersStartedTogether|TestChainCarries|TestCancelledCaller' ./internal/graph
	$(GO) test -race -short ./internal/plan
	$(MAKE) --no-print-directory golden-check
	$(MAKE) --no-print-directory interop

# interop: hashicorp/go-azure-sdk, the client library of the Terraform
# azuread provider, configured only by its metadata host and a client
# secret, drives an azuread_group through `entrasync sim serve`. It is a
# module of its own (interop/azuread), so the SDK never enters entrasync's
# dependencies; the first run downloads it (60 MB) and compiles its
# models (about a minute).
interop: build
	cd interop/azuread && ENTRASYNC_BIN=$(CURDIR)/$(BIN) $(GO) test -count=1 ./...

test-short:
	$(GO) test -short ./...

# lint: gofmt (on every Go file Git tracks or would track, so new files
# too), go vet, staticcheck and actionlint (both pinned in go.mod's tool
# block) on every workflow and on the example a configuration repository
# copies; vet and staticcheck also on the interop module. entrasync's own
# workflow rules (no expressions in run:, pipefail, no pull_request_target,
# pinned actions) run in make test (internal/workflow). actionlint's
# shellcheck and pyflakes passes are off, so that lint gives the same
# answer on every machine, with or without them.
lint:
	@out=$$(gofmt -l $$(git ls-files --cached --others --exclude-standard '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) tool staticcheck ./...
	$(GO) build -o bin/staticcheck honnef.co/go/tools/cmd/staticcheck
	cd interop/azuread && $(GO) vet ./... && ../../bin/staticcheck ./...
	$(GO) tool actionlint -shellcheck= -pyflakes= .github/workflows/*.yml examples/github/workflows/*.yml

fmt:
	gofmt -w $$(git ls-files --cached --others --exclude-standard '*.go')

# golden: rewrite golden files (testscript cmp targets) from current output.
golden:
	UPDATE_GOLDEN=1 $(GO) test ./internal/cli/... ./internal/render/... ./internal/export/...

# golden-check: regenerating goldens must change nothing.
golden-check:
	@UPDATE_GOLDEN=1 $(GO) test -count=1 ./internal/cli/... ./internal/render/... ./internal/export/... >/dev/null
	@if [ -d .git ] && ! git diff --quiet -- '*.txtar'; then \
		echo "golden files are stale; run 'make golden' and commit:"; git diff --stat -- '*.txtar'; exit 1; fi

# reliability: the membership contract over thousands of random histories,
# the fault matrix over 20 seeds at fault rates 0.05, 0.1 and 0.2 (make
# test runs a few hundred histories and 3 seeds at 0.2), the apply process
# SIGKILLed at 20 seeded points among its writes and re-run, and two
# applies started at once.
reliability:
	ENTRASYNC_SEEDS=5000 $(GO) test -count=1 -run 'TestMembershipContract' ./internal/apply
	ENTRASYNC_FAULT_SEEDS=20 $(GO) test -count=1 -timeout 30m -run 'TestFaultMatrix' ./internal/graph
	ENTRASYNC_KILL_RUNS=20 $(GO) test -count=1 -timeout 30m -run 'TestKilledApplyConverges|TestConcurrentApplies' -v ./cmd/entrasync

# bench: every benchmark, then a group of 4,000 members made by the
# Terraform azuread provider's client and by entrasync apply (about a minute).
bench: build
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 3x ./...
	cd interop/azuread && ENTRASYNC_BIN=$(CURDIR)/$(BIN) $(GO) test -run '^$$' -bench . -benchtime 1x ./...

# Minimising a new input is capped by count: by time (the default, 60s)
# the workers sit minimising large inputs and stop exploring.
FUZZ = $(GO) test -run '^$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 100x -fuzz
fuzz:
	$(FUZZ) FuzzLoad ./internal/config
	$(FUZZ) FuzzFastPath ./internal/config
	$(FUZZ) FuzzParse ./internal/odata
	$(FUZZ) FuzzParse ./internal/dynrule
	$(FUZZ) FuzzDecode ./internal/plan
	$(FUZZ) FuzzRequest ./internal/sim

demo: build
	./examples/demo/demo.sh $(BIN)

clean:
	rm -rf bin
