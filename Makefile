# make test: brings the test bed up, then runs every test, end-to-end included.
# make demo: brings the test bed up and shows what cachefront does to a build.
# make corpus: plans every Dockerfile under $(CORPUS) and counts what it found.
SHELL := /bin/bash
GO_TEST_FLAGS ?= -count=1 -timeout 60m
CORPUS ?= ../shared/corpus

.PHONY: test unit testbed demo down bin corpus

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

bin:
	CGO_ENABLED=0 go build -o bin/ ./cmd/...
