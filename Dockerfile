# The cachefront frontend image: a static binary on scratch, labelled the way
# upstream's Dockerfile frontend image is, so BuildKit treats it the same.
# GO_IMAGE is any image with a Go toolchain (the test bed passes its own).
ARG GO_IMAGE=golang:1.26-bookworm

FROM --platform=$BUILDPLATFORM ${GO_IMAGE} AS build
WORKDIR /src
ARG TARGETOS TARGETARCH
ARG VERSION=dev
RUN --mount=target=. \
    --mount=type=cache,target=/root/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH GOFLAGS=-buildvcs=false \
    go build -trimpath -tags "netgo static_build osusergo" \
      -ldflags "-s -w -X main.Version=$VERSION" \
      -o /out/cachefront-frontend ./cmd/cachefront-frontend

FROM scratch AS frontend
# Must match enabledCaps of the upstream builder package that cachefront wraps
# (frontend/dockerfile/builder/caps.go of the BuildKit version in go.mod).
LABEL moby.buildkit.frontend.network.none="true"
LABEL moby.buildkit.frontend.caps="moby.buildkit.frontend.inputs,moby.buildkit.frontend.subrequests,moby.buildkit.frontend.contexts,moby.buildkit.frontend.gitquerystring,moby.buildkit.frontend.contexts.zstd"
ENTRYPOINT ["/bin/cachefront-frontend"]

# prebuilt packs a binary compiled outside (the context holds only
# cachefront-frontend); the test bed uses it to skip a cold in-container build.
FROM frontend AS prebuilt
COPY cachefront-frontend /bin/cachefront-frontend

FROM frontend AS release
COPY --from=build /out/cachefront-frontend /bin/cachefront-frontend
