package e2e

import (
	"fmt"
	"math/rand"
	"path/filepath"
	"strings"
	"testing"

	cachefront "github.com/cachefront/cachefront/frontend/builder"
	"github.com/cachefront/cachefront/hack/testenv"
)

// A step that deletes the cache directory its image points pip at: rm of a
// mount point fails, so cachefront rewrites the rm to spare the mount. The
// build succeeds, the image equals upstream's, and the cache survives: the
// next build downloads nothing.
func TestRmOfAMountedCache(t *testing.T) {
	bed := testenv.Require(t)
	ix := testenv.StartIndex(t, 256<<10, "cfhello==1.0.0")
	c := bed.Client(t)
	ns := fmt.Sprintf("e2e-rm-%d", rand.Int63())
	dir := t.TempDir()
	dockerfile := func(pass int) string {
		return fmt.Sprintf(`FROM python:3.11-slim-bookworm
ENV PIP_CACHE_DIR=/tmp/pip-cache PASS=%s-%d
ARG PIP_INDEX_URL
ARG PIP_TRUSTED_HOST
RUN python3 -m venv /opt/venv && /opt/venv/bin/pip install cfhello==1.0.0 && rm -rf "$PIP_CACHE_DIR"
`, ns, pass)
	}
	attrs := merge(bed.ContextAttrs(), map[string]string{
		"build-arg:PIP_INDEX_URL": ix.URL, "build-arg:PIP_TRUSTED_HOST": ix.Host, "build-arg:BUILDKIT_CACHE_MOUNT_NS": ns,
	})
	testenv.WriteFiles(t, dir, map[string]string{"Dockerfile": dockerfile(0)})
	upOut, cfOut := filepath.Join(t.TempDir(), "upstream.tar"), filepath.Join(t.TempDir(), "cachefront.tar")
	testenv.Solve(t, c, testenv.SolveOpt{Dir: dir, Frontend: testenv.Upstream, Attrs: attrs, Output: upOut})
	ix.Downloads()
	testenv.Solve(t, c, testenv.SolveOpt{Dir: dir, Frontend: cachefront.Build, Attrs: attrs, Output: cfOut})
	if got := ix.Downloads()["cfhello-1.0.0-py3-none-any.whl"]; got != 1 {
		t.Fatalf("cachefront's first build downloaded the wheel %d times, want 1", got)
	}
	diffs, err := testenv.TreeDiff(upOut, cfOut, volatilePaths)
	if err != nil {
		t.Fatal(err)
	}
	if len(diffs) > 0 {
		t.Fatalf("cachefront's image differs from upstream's:\n%s", strings.Join(diffs, "\n"))
	}
	// The premise, on the real stack: the same rm over a cache mount
	// written by hand fails the step.
	premise := t.TempDir()
	testenv.WriteFiles(t, premise, map[string]string{"Dockerfile": strings.Replace(dockerfile(2),
		"RUN python3", "RUN --mount=type=cache,target=/tmp/pip-cache,id="+ns+"-premise python3", 1)})
	if _, err := testenv.TrySolve(c, testenv.SolveOpt{Dir: premise, Frontend: testenv.Upstream, Attrs: attrs}); err == nil {
		t.Fatal("rm -rf of a cache mount point succeeded under upstream's frontend; the rewrite would be needless")
	}

	testenv.WriteFiles(t, dir, map[string]string{"Dockerfile": dockerfile(1)})
	ix.Downloads()
	b := testenv.Solve(t, c, testenv.SolveOpt{Dir: dir, Frontend: cachefront.Build, Attrs: attrs})
	if got := ix.Downloads()["cfhello-1.0.0-py3-none-any.whl"]; got != 0 {
		t.Fatalf("the rm emptied the cache: the next build downloaded the wheel %d times\n%s", got, b.Logs.String())
	}
	if !strings.Contains(b.Logs.String(), "Using cached") {
		t.Fatalf("pip did not use its cache:\n%s", b.Logs.String())
	}
}
