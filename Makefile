# Gregor: a Kafka-compatible streaming broker in one Go binary.
#
#   make run    build and start a single-node broker on the embedded defaults
#   make test   install what the tests need (kcat, kafkajs) and run every test
#
GO      ?= go
BIN     := bin/gregor
PKGS    := ./...
# Integration tests start brokers and real clients; two cores under load need room.
TESTFLAGS ?= -timeout 15m

.PHONY: run build test test-go test-node deps vet fmt bench client-suites clean

build:
	$(GO) build -o $(BIN) ./cmd/gregor

run: build
	./$(BIN) serve

vet:
	$(GO) vet $(PKGS)
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi

deps:
	@./scripts/test-deps.sh

test: deps vet build test-go test-node

test-go:
	$(GO) test $(TESTFLAGS) $(PKGS)

test-node: build
	@if [ -f examples/kafkajs/package.json ]; then ./scripts/test-node.sh; fi

# Third-party clients' own test suites against a fresh broker on :9092 (minutes).
client-suites:
	scripts/client-suites.sh

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./internal/storage/

clean:
	rm -rf bin
