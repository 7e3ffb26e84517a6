GO       ?= go
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -X main.version=$(VERSION)
PLUGINS  := fns pfr rosstat
CONFIG   ?= config/reportgate.yaml

.PHONY: all build run test vet fmt lint generate clean bench

all: build

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/reportgate ./cmd/reportgate
	@for p in $(PLUGINS); do $(GO) build -o bin/plugins/$$p ./plugins/$$p || exit 1; done

run: build
	./bin/reportgate serve --config $(CONFIG)

# Store and end-to-end suites run on SQLite, and on PostgreSQL too when
# POSTGRES_TEST_URL is set (.ci/run sets it).
test: vet
	$(GO) test -count=1 ./...
	cd sdk && $(GO) test -count=1 ./...

vet:
	$(GO) vet ./...
	cd sdk && $(GO) vet ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

lint: vet
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# Regenerates the gRPC code; needs protoc, protoc-gen-go and protoc-gen-go-grpc.
generate:
	cd sdk/internal/pluginpb && protoc --go_out=. --go_opt=paths=source_relative \
		--go-grpc_out=. --go-grpc_opt=paths=source_relative plugin.proto

# The performance benchmark against its limits (bench/run.sh): PostgreSQL
# and SQLite seeded at scale, the real server under load, nginx and minimal
# handlers as baselines. Writes bench/RESULTS.md and bench/latency.png.
# About a quarter of an hour on 2 cores; it reports and never fails on a figure.
bench:
	bench/run.sh

clean:
	rm -rf bin
