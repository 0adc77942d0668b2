# aiusage: `make demo` runs the whole system; `make test` proves it.
GO      ?= go
BIN     := bin
GOFLAGS ?= -buildvcs=false
export GOFLAGS

.PHONY: all build test bench demo vet fmt-check clean

all: build

build:
	$(GO) build -o $(BIN)/ ./cmd/...

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed: $$out"; exit 1; fi

# The library apps link must stay pure Go.
purego:
	CGO_ENABLED=0 $(GO) build ./instrumentation/...

test: fmt-check vet purego
	$(GO) test -count=1 -timeout 40m ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem -count 1 -timeout 60m ./... | tee $(BIN)/bench.txt

demo: build
	$(BIN)/aiusage demo

clean:
	rm -rf $(BIN)
