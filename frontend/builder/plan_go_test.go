package builder

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/require"
)

// A builder stage's module store is cached whole only where no image,
// exported layer or other stage can read it, and then in every step that
// builds on the one that filled it.
func TestPlanGoModuleTree(t *testing.T) {
	t.Parallel()
	const (
		tree     = "/go/pkg/mod"
		download = "/go/pkg/mod/cache/download"
		build    = `FROM golang:1.26 AS build
ENV GOPATH=/go
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
RUN ls -l /src
COPY . .
RUN go build -o /out/app . && go clean -cache
`
	)
	cases := []struct {
		name, dockerfile, target string
		// mounts are the targets of each RUN line's go cache mounts.
		mounts map[int][]string
	}{
		{name: "binary copied out", dockerfile: build + "FROM debian\nCOPY --from=build /out/app /app\n",
			mounts: map[int][]string{5: {tree, download}, 6: {tree, download}, 8: {tree, download}}},
		{name: "the stage is the target", target: "build", dockerfile: build + "FROM debian\nCOPY --from=build /out/app /app\n",
			mounts: map[int][]string{5: {download}, 6: nil, 8: {download}}},
		{name: "one stage", dockerfile: build,
			mounts: map[int][]string{5: {download}, 6: nil, 8: {download}}},
		{name: "the store copied out", dockerfile: build + "FROM debian\nCOPY --from=build /go /go\n",
			mounts: map[int][]string{5: {download}, 6: nil, 8: {download}}},
		{name: "a later step removes files", dockerfile: build + "RUN rm -rf /tmp/*\nFROM debian\nCOPY --from=build /out/app /app\n",
			mounts: map[int][]string{5: {download}, 6: nil, 8: {download}, 9: nil}},
		{name: "a later step opted out", dockerfile: "FROM golang:1.26 AS build\nENV GOPATH=/go\nRUN go mod download\n# cachefront: off\nRUN go build -o /out/app .\nFROM debian\nCOPY --from=build /out/app /app\n",
			mounts: map[int][]string{3: {download}, 5: nil}},
		{name: "a later step cleans the store", dockerfile: build + "RUN go clean -modcache\nFROM debian\nCOPY --from=build /out/app /app\n",
			mounts: map[int][]string{5: {download}, 6: nil, 8: {download}, 9: nil}},
		{name: "a later step runs offline", dockerfile: build + "RUN --network=none go vet ./...\nFROM debian\nCOPY --from=build /out/app /app\n",
			mounts: map[int][]string{5: {tree, download}, 6: {tree, download}, 8: {tree, download}, 9: {tree, download}}},
		{name: "the step runs offline", dockerfile: "FROM golang:1.26 AS build\nENV GOPATH=/go\nRUN --network=none go build -o /out/app .\nFROM debian\nCOPY --from=build /out/app /app\n",
			mounts: map[int][]string{3: {download}}},
		{name: "an earlier step ran go", dockerfile: "FROM golang:1.26 AS build\nENV GOPATH=/go\n# cachefront: off\nRUN go install x@v1\nRUN go build -o /out/app .\nFROM debian\nCOPY --from=build /out/app /app\n",
			mounts: map[int][]string{4: nil, 5: {download}}},
		{name: "a later step mounts a cache above the store", dockerfile: build + "RUN --mount=type=cache,target=/go ls\nFROM debian\nCOPY --from=build /out/app /app\n",
			mounts: map[int][]string{5: {download}, 6: nil, 8: {download}, 9: nil}},
		{name: "the step binds a deps stage at the store", dockerfile: "FROM golang:1.26 AS deps\nFROM golang:1.26 AS build\nENV GOPATH=/go\nRUN --mount=from=deps,source=/go/pkg/mod,target=/go/pkg/mod go build -o /out/app .\nFROM debian\nCOPY --from=build /out/app /app\n",
			mounts: map[int][]string{4: {download}}},
		{name: "an earlier step used a secret", dockerfile: "FROM golang:1.26 AS build\nENV GOPATH=/go\nRUN --mount=type=secret,id=netrc make deps\nRUN go build -o /out/app .\nFROM debian\nCOPY --from=build /out/app /app\n",
			mounts: map[int][]string{3: nil, 4: {download}}},
		{name: "an earlier heredoc script", dockerfile: "FROM golang:1.26 AS build\nENV GOPATH=/go\nRUN <<EOF\n#!/bin/sh\nmake deps\nEOF\nRUN go build -o /out/app .\nFROM debian\nCOPY --from=build /out/app /app\n",
			mounts: map[int][]string{3: nil, 7: {download}}},
		{name: "two stages, each its own", dockerfile: "FROM golang:1.26 AS a\nENV GOPATH=/go\nRUN go build -o /out/a .\nFROM golang:1.26 AS b\nENV GOPATH=/go\nRUN apt-get update\nRUN go build -o /out/b .\nFROM debian\nCOPY --from=a /out/a /a\nCOPY --from=b /out/b /b\n",
			mounts: map[int][]string{3: {tree, download}, 6: nil, 7: {tree, download}}},
		{name: "a stage built on it", dockerfile: build + "FROM build AS test\nRUN ls /src\nFROM debian\nCOPY --from=build /out/app /app\nCOPY --from=test /src/go.mod /go.mod\n",
			mounts: map[int][]string{5: {tree, download}, 6: {tree, download}, 8: {tree, download}, 10: {tree, download}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := MakePlan(context.Background(), []byte(tc.dockerfile), PlanOpt{Target: tc.target})
			require.NoError(t, err)
			got := map[int][]string{}
			for _, s := range p.Steps {
				got[s.Line] = nil
				for _, m := range s.Mounts {
					switch m.Target {
					case tree:
						require.Equal(t, "cachefront/go-modcache", m.ID, "line %d", s.Line)
					case download:
						require.Equal(t, "cachefront/go-mod", m.ID, "line %d", s.Line)
					default:
						continue
					}
					got[s.Line] = append(got[s.Line], m.Target)
				}
			}
			for _, targets := range got {
				slices.Sort(targets)
			}
			require.Equal(t, tc.mounts, got)
		})
	}
}

// In a build, the base image's history tells whether it may hold a module
// store that a cache would hide.
func TestGoModuleTreeBaseImage(t *testing.T) {
	t.Parallel()
	// A pinned base: the offline conversion names the image by the digest
	// a build's resolver would give.
	pinned := digest.FromString("golang image")
	dockerfile := "FROM golang:1.26@" + pinned.String() + " AS build\nENV GOPATH=/go\nRUN go build -o /out/app .\nFROM debian\nCOPY --from=build /out/app /app\n"
	def, _, err := Convert(context.Background(), []byte(dockerfile), PlanOpt{})
	require.NoError(t, err)
	history := func(createdBy ...string) func(string) ([]byte, bool) {
		var img ocispecs.Image
		for _, c := range createdBy {
			img.History = append(img.History, ocispecs.History{CreatedBy: c})
		}
		dt, err := json.Marshal(img)
		require.NoError(t, err)
		return func(ref string) ([]byte, bool) { return dt, ref == pinned.String() }
	}
	for _, tc := range []struct {
		name   string
		config func(string) ([]byte, bool)
		tree   bool
	}{
		{"the official image's steps", history("ENV GOPATH=/go", "COPY /target/ / # buildkit", `RUN /bin/sh -c mkdir -p "$GOPATH/src" "$GOPATH/bin" && chmod -R 1777 "$GOPATH" # buildkit`), true},
		{"a deps image", history("ENV GOPATH=/go", "RUN /bin/sh -c go mod download # buildkit"), false},
		{"not resolved", func(string) ([]byte, bool) { return nil, false }, false},
	} {
		cfg, err := ParseConfig(nil)
		require.NoError(t, err)
		cfg.ImageConfig = tc.config
		_, reports, err := Rewrite(def, cfg)
		require.NoError(t, err)
		tree := false
		for _, r := range reports {
			for _, m := range r.Mounts {
				tree = tree || m.Target == "/go/pkg/mod"
			}
		}
		require.Equal(t, tc.tree, tree, tc.name)
	}
}
