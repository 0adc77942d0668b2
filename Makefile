# aiusage: `make demo` runs the whole system; `make test` proves it.
GO      ?= go
BIN     := bin
GOFLAGS ?= -buildvcs=false
export GOFLAGS
# Three Go modules: the root (collector, exporter, CLI, tests), the library apps link
# (instrumentation/go.mod) and its genai Live adapter (instrumentation/genailive/go.mod),
# which alone imports the genai SDK. Module-wide targets run in each.
MODULES := . instrumentation instrumentation/genailive

.PHONY: all build test test-short go-test check-sql check-rules bench bench-collector demo vet fmt-check purego deps ocb-check screenshots clean

all: build

## build: the CLI (bin/aiusage) and the collector distribution (bin/otelcol-aiusage)
build:
	$(GO) build -o $(BIN)/ ./cmd/aiusage ./cmd/otelcol-aiusage

## demo: collector + emulated Groq and Gemini traffic through the real SDKs + reports
demo: build
	$(BIN)/aiusage demo

## test: every test — Go, the SQL files in a second DuckDB client, the Prometheus rules
test: fmt-check vet purego deps go-test check-sql check-rules

## test-short: the fast tier of both modules: every unit, parser, fuzz-seed and SQL test; no collector binary
test-short:
	@for m in $(MODULES); do (cd $$m && $(GO) test -short -count=1 ./...) || exit 1; done

go-test:
	@for m in $(MODULES); do echo "go test ($$m)"; (cd $$m && $(GO) test -count=1 -timeout 45m ./...) || exit 1; done

# Every report file also runs outside Go, in DuckDB's Node client.
check-sql: deps
	cd queries/check && node check.mjs

check-rules: deps
	promtool check config collector-config/prometheus/prometheus.yml
	promtool check rules collector-config/prometheus/rules.yml
	promtool test rules collector-config/prometheus/rules_test.yml

## deps: what the tests need beyond Go: promtool and Prometheus, Chromium for the console's browser
## tests (Debian), DuckDB's Node client (npm)
deps: queries/check/node_modules/.package-lock.json
	@command -v promtool >/dev/null && command -v prometheus >/dev/null && command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && \
	    apt-get install -y -qq --no-install-recommends prometheus chromium fonts-dejavu-core >/dev/null; \
	    service prometheus stop >/dev/null 2>&1 || true; \
	  else echo "install Debian's prometheus and chromium packages first" >&2; exit 1; fi; }

queries/check/node_modules/.package-lock.json: queries/check/package.json queries/check/package-lock.json
	cd queries/check && npm ci --no-audit --no-fund --loglevel=error

vet:
	@for m in $(MODULES); do (cd $$m && $(GO) vet ./...) || exit 1; done

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed: $$out"; exit 1; fi

# The library apps link must stay pure Go.
purego:
	cd instrumentation && CGO_ENABLED=0 $(GO) build ./...

## ocb-check: build collector-config/builder-config.yaml with ocb and check the result (slow)
ocb-check:
	collector-config/ocb-check.sh

## bench: every benchmark; results in bin/bench.txt, summarized in docs/BENCHMARKS.md
bench:
	@mkdir -p $(BIN)
	@for m in $(MODULES); do (cd $$m && $(GO) test -run '^$$' -bench . -benchmem -count 1 -timeout 60m ./...) || exit 1; done | tee $(BIN)/bench.txt
	$(MAKE) bench-collector

## bench-collector: the built collector, shipped config against a debug-only pipeline, at fixed
## offered rates (AIUSAGE_BENCH_RATES=5000,20000,50000) over loopback, offered by prebuilt OTLP
## batches, the aiusage generator and telemetrygen (AIUSAGE_BENCH_LOADS picks); bin/bench-collector.txt
TELEMETRYGEN_VERSION := v0.161.0
bench-collector:
	@mkdir -p $(BIN)
	GOBIN=$(abspath $(BIN)) $(GO) install github.com/open-telemetry/opentelemetry-collector-contrib/cmd/telemetrygen@$(TELEMETRYGEN_VERSION)
	AIUSAGE_BENCH_COLLECTOR=1 AIUSAGE_BENCH_TELEMETRYGEN=$(abspath $(BIN))/telemetrygen $(GO) test -count=1 -v -run '^TestCollectorThroughput$$' -timeout 30m ./internal/durability | tee $(BIN)/bench-collector.txt

## screenshots: the console, the widget and the static report in headless Chromium, into docs/screenshots
screenshots: deps
	AIUSAGE_SCREENSHOTS=$(CURDIR)/docs/screenshots $(GO) test -count=1 -run 'TestConsoleInBrowser|TestWidgetOnAnotherOrigin|TestStaticReportInBrowser' ./console

clean:
	rm -rf $(BIN) queries/check/node_modules
