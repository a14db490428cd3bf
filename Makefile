# tcplab — build, test, benchmark, demo.
#
# The experiments and the privileged tests need root (network namespaces,
# TUN, AF_PACKET). Run make as a normal user: binaries and test binaries are
# built as you and run through sudo, as cilium/ebpf does with `go test -exec sudo`.

GO       ?= go
BIN      := bin/tcplab
SUDO     := $(if $(filter 0,$(shell id -u)),,sudo -E)
PKGS     := ./...
FUZZTIME ?= 5s

.PHONY: build run test test-short deps bench fuzz-short lint demo clean

build:
	$(GO) build -o $(BIN) ./cmd/tcplab

# The main job: every experiment with its defaults.
run: build
	$(SUDO) ./$(BIN) all

# The whole test suite, privileged tests included (TCPLAB_REQUIRE_PRIV=1 makes
# a privileged test fail instead of skip).
test: deps
	$(GO) vet $(PKGS)
	$(GO) test -p 1 -count=1 -timeout 20m -exec "$(SUDO) env TCPLAB_REQUIRE_PRIV=$${TCPLAB_REQUIRE_PRIV:-0}" $(PKGS)

# Unprivileged tests only (privileged ones skip).
test-short:
	$(GO) test -count=1 $(PKGS)

# Tools the tests drive as real peers: tshark reads our pcapng files back,
# curl and nginx interoperate with internal/peer, iproute2 for the scripts.
deps:
	$(SUDO) scripts/install-deps.sh

bench:
	$(GO) test -run '^$$' -bench . -benchmem -exec "$(SUDO)" ./httpwire/ ./internal/netlab/ ./internal/capture/
	cd bench && $(GO) test -run '^$$' -bench . -benchmem ./...

fuzz-short:
	scripts/fuzz-short.sh $(FUZZTIME)

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet $(PKGS)
	GOOS=darwin $(GO) vet ./sockopt/... ./handshake/... ./tfo/... ./linger/... ./timewait/... ./httpwire/...

demo: build
	scripts/demo.sh

clean:
	rm -rf bin out
