package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	cachefront "github.com/cachefront/cachefront/frontend/builder"
	"github.com/cachefront/cachefront/hack/testenv"
)

// A builder stage whose binary is copied out keeps its module store in a
// cache rather than its layers: the later steps of the stage mount it too,
// after the build the cache holds the modules, and the image has the
// binary. Built as the target itself, the
// same stage keeps the store in the image, as upstream builds it.
func TestGoModuleStore(t *testing.T) {
	bed := testenv.Require(t)
	c := bed.Client(t)
	src := filepath.Join(bed.Root, "examples", "go")
	gop := testenv.StartGoProxyDir(t, src)
	ns := runID(t)
	dir := t.TempDir()
	files := map[string]string{}
	for _, f := range []string{"go.mod", "go.sum", "main.go"} {
		dt, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		files[f] = string(dt)
	}
	dockerfile := func(run string) string {
		// GOPATH as the official image sets it (the bed's has none).
		return `FROM golang:1.26-bookworm AS build
ENV GOPATH=/go TEST_RUN=` + run + `
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download && cat /proc/self/mountinfo >/download.mounts
RUN cat /proc/self/mountinfo >/out.mounts
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -o /out/hello . && cat /proc/self/mountinfo >/out/build.mounts

FROM debian:bookworm
COPY --from=build /out/hello /usr/local/bin/hello
COPY --from=build /download.mounts /out.mounts /out/build.mounts /
`
	}
	files["Dockerfile"] = dockerfile(ns)
	testenv.WriteFiles(t, dir, files)
	attrs := merge(bed.ContextAttrs(), asBuildArgs(map[string]string{"CACHEFRONT_GOPROXY": gop.URL, "BUILDKIT_CACHE_MOUNT_NS": ns}))
	const module = "go/pkg/mod/github.com/google/uuid@v1.6.0/uuid.go"

	out := filepath.Join(t.TempDir(), "image.tar")
	b := testenv.Solve(t, c, testenv.SolveOpt{Dir: dir, Frontend: cachefront.Build, Attrs: attrs, Output: out})
	if n := testenv.Zips(gop.Requests()); n < 2 {
		t.Fatalf("the build fetched %d module zips from the module proxy, want the example's 2\n%s", n, b.Logs.String())
	}
	if bin, err := testenv.TarFile(out, "/usr/local/bin/hello"); err != nil || len(bin) < 1<<20 {
		t.Fatalf("no binary in the image (%d bytes, %v)", len(bin), err)
	}
	// The download and the steps built on it see the store through the
	// same cache, the one that names no package manager too.
	for _, f := range []string{"/download.mounts", "/out.mounts", "/build.mounts"} {
		mounts, err := testenv.TarFile(out, f)
		if err != nil || !strings.Contains(mounts, " /go/pkg/mod ") || !strings.Contains(mounts, " /go/pkg/mod/cache/download ") {
			t.Fatalf("%s: the step had no cache mount at the module store (%v):\n%s", f, err, mounts)
		}
	}

	// The store's cache, read by a step of another build that mounts it
	// (upstream prefixes the id with the namespace, as cachefront does).
	probe := t.TempDir()
	testenv.WriteFiles(t, probe, map[string]string{"Dockerfile": "FROM debian:bookworm\nENV TEST_RUN=" + ns + `
RUN --mount=type=cache,id=cachefront/go-modcache,target=/go/pkg/mod \
    head -c 300 /` + module + ` >/module.txt
`})
	probeOut := filepath.Join(t.TempDir(), "probe.tar")
	testenv.Solve(t, c, testenv.SolveOpt{Dir: probe, Frontend: testenv.Upstream, Output: probeOut,
		Attrs: merge(bed.ContextAttrs(), asBuildArgs(map[string]string{"BUILDKIT_CACHE_MOUNT_NS": ns}))})
	if got, err := testenv.TarFile(probeOut, "/module.txt"); err != nil || !strings.Contains(got, "package uuid") {
		var names []string
		for _, v := range b.Vertices {
			names = append(names, v.Name)
		}
		t.Fatalf("the module store's cache does not hold uuid@v1.6.0 after the build (%q, %v)\n%s", got, err, strings.Join(names, "\n"))
	}

	// The stage as the target: its image is the result, so the store is
	// in it; the download cache serves the modules.
	testenv.WriteFiles(t, dir, map[string]string{"Dockerfile": dockerfile(ns + "-target")})
	stageOut := filepath.Join(t.TempDir(), "stage.tar")
	b = testenv.Solve(t, c, testenv.SolveOpt{Dir: dir, Frontend: cachefront.Build, Attrs: merge(attrs, map[string]string{"target": "build"}), Output: stageOut})
	if got, err := testenv.TarFile(stageOut, "/"+module); err != nil || !strings.Contains(got, "package uuid") {
		t.Fatalf("the build stage's image lacks the module store (%v)\n%s", err, b.Logs.String())
	}
	if n := testenv.Zips(gop.Requests()); n != 0 {
		t.Fatalf("the target build fetched %d module zips again", n)
	}
}
