# make test: brings the test bed up, then runs every test, end-to-end included.
# make demo: brings the test bed up and shows what cachefront does to a build.
SHELL := /bin/bash
GO_TEST_FLAGS ?= -count=1 -timeout 60m

.PHONY: test unit testbed demo down bin

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

bin:
	CGO_ENABLED=0 go build -o bin/ ./cmd/...
