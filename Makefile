# make test: brings the test bed up, then runs every test, end-to-end included.
# make demo: brings the test bed up and shows what cachefront does to a build.
# make corpus: plans every Dockerfile under $(CORPUS) and counts what it found.
# make bench: cachefront vs upstream vs hand-written cache mounts, written to
# BENCHMARKS.md (about two hours; BENCH_FLAGS=-slow-cold=false skips the cold
# builds on the slow link: 80 minutes; BENCH_FLAGS=-h lists the rest).
SHELL := /bin/bash
GO_TEST_FLAGS ?= -count=1 -timeout 60m
CORPUS ?= ../shared/corpus

.PHONY: test unit testbed demo down bin corpus bench

test: testbed
	eval "$$(hack/testbed env)" && go test $(GO_TEST_FLAGS) ./...

unit:
	CACHEFRONT_E2E=off go test -short ./...

testbed:
	hack/testbed up

demo: testbed
	eval "$$(hack/testbed env)" && hack/demo

down:
	hack/testbed down

corpus:
	go run ./cmd/cachefront survey $(CORPUS)

bench: testbed
	eval "$$(hack/testbed env)" && go run ./hack/bench -corpus $(CORPUS) -json hack/bench/results.json $(BENCH_FLAGS)

bin:
	CGO_ENABLED=0 go build -o bin/ ./cmd/...
