package e2e

import (
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	cachefront "github.com/cachefront/cachefront/frontend/builder"
	"github.com/cachefront/cachefront/hack/testenv"
)

// The user's path: a `# syntax=` line naming the cachefront image, built by
// `docker buildx build` on the remote driver. The rebuild after a dependency
// bump takes the unchanged packages from the cache.
func TestUserPathBuildx(t *testing.T) {
	bed := testenv.Require(t)
	dir := t.TempDir()
	copyTree(t, filepath.Join(bed.Root, "examples", "npm"), dir)
	withResolved(t, dir)
	dockerfile := filepath.Join(dir, "Dockerfile")
	dt, err := os.ReadFile(dockerfile)
	if err != nil {
		t.Fatal(err)
	}
	syntax := "# syntax=" + bed.Image("cachefront:dev") + "\n"
	if err := os.WriteFile(dockerfile, append([]byte(syntax), dt...), 0o644); err != nil {
		t.Fatal(err)
	}
	ns := fmt.Sprintf("e2e-buildx-%d", rand.Int63())
	uniqueRun(t, dockerfile, ns)

	build := func() (string, int64) {
		proxy := testenv.StartProxy(t)
		args := append([]string{"build", "--progress=plain", "--build-arg", "BUILDKIT_CACHE_MOUNT_NS=" + ns,
			"--output", "type=tar,dest=" + filepath.Join(t.TempDir(), "out.tar")}, bed.ContextFlags()...)
		for k, v := range proxy.BuildArgs() {
			args = append(args, "--build-arg", strings.TrimPrefix(k, "build-arg:")+"="+v)
		}
		log := bed.Buildx(t, dir, append(args, ".")...)
		return log, proxy.Bytes()
	}
	log, cold := build()
	if !strings.Contains(log, "cachefront cached package downloads in 1 RUN step(s) (npm)") {
		t.Fatalf("the build does not show cachefront's summary warning:\n%s", log)
	}
	copyFiles(t, "testdata/npm-bump", dir, "package.json")
	withResolved(t, dir)
	_, warm := build()
	t.Logf("npm through buildx: %d bytes cold, %d after bumping a dependency", cold, warm)
	if cold < 100<<10 || warm*5 > cold {
		t.Fatalf("warm rebuild downloaded %d bytes of the cold %d: the cache was not used", warm, cold)
	}
}

// A non-root USER gets caches it can write; a step that mounts its own cache
// keeps it; `# cachefront: off` and CACHEFRONT=off leave steps as written.
func TestOwnerOptOutAndOwnMounts(t *testing.T) {
	bed := testenv.Require(t)
	project := t.TempDir()
	copyFiles(t, filepath.Join(bed.Root, "examples", "npm"), project, "package.json")
	withResolved(t, project)
	lock, err := os.ReadFile(filepath.Join(project, "package-lock.json"))
	if err != nil {
		t.Fatal(err)
	}
	pkg, err := os.ReadFile(filepath.Join(project, "package.json"))
	if err != nil {
		t.Fatal(err)
	}
	// Every case runs twice; a PASS variable makes the second run's npm step
	// new to the layer cache without --no-cache, which would also empty
	// cache mounts.
	cases := []struct {
		name   string
		run    string // the Dockerfile lines after the base
		args   map[string]string
		cached bool // whether the second build should come from a cache
	}{
		{name: "non-root user", cached: true, run: `RUN useradd -m -u 1001 app
USER app
WORKDIR /home/app
COPY --chown=app package.json package-lock.json ./
RUN npm ci`},
		{name: "own cache mount", cached: true, run: `WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm,id=NS-own npm ci`},
		{name: "opt-out comment", cached: false, run: `WORKDIR /app
COPY package.json package-lock.json ./
# cachefront: off
RUN npm ci`},
		{name: "CACHEFRONT=off", cached: false, args: map[string]string{"build-arg:CACHEFRONT": "off"}, run: `WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ns := fmt.Sprintf("e2e-edge-%d", rand.Int63())
			dir := t.TempDir()
			c := bed.Client(t)
			var bytes []int64
			for pass := range 2 {
				df := fmt.Sprintf("FROM node:20-bookworm-slim\nENV PASS=%s-%d\n", ns, pass) +
					strings.ReplaceAll(tc.run, "NS-own", ns) + "\n"
				if !tc.cached {
					// Steps cachefront leaves alone get no CA setting either.
					df = testenv.WithCAMount(df)
				}
				testenv.WriteFiles(t, dir, map[string]string{
					"Dockerfile":        df,
					"package.json":      string(pkg),
					"package-lock.json": string(lock),
				})
				proxy := testenv.StartProxy(t)
				attrs := merge(bed.ContextAttrs(), proxy.BuildArgs(), tc.args,
					map[string]string{"build-arg:BUILDKIT_CACHE_MOUNT_NS": ns})
				testenv.Solve(t, c, testenv.SolveOpt{Dir: dir, Frontend: cachefront.Build, Attrs: attrs})
				bytes = append(bytes, proxy.Bytes())
			}
			t.Logf("downloaded %d bytes, then %d", bytes[0], bytes[1])
			if bytes[0] < 100<<10 {
				t.Fatalf("the first build downloaded only %d bytes; the test proves nothing", bytes[0])
			}
			if got := bytes[1]*5 < bytes[0]; got != tc.cached {
				t.Fatalf("second build from a cache: %v, want %v (%d then %d bytes)", got, tc.cached, bytes[0], bytes[1])
			}
		})
	}
}

// Subrequests are upstream's code, run through cachefront unchanged.
func TestUserPathSubrequests(t *testing.T) {
	bed := testenv.Require(t)
	dir := t.TempDir()
	testenv.WriteFiles(t, dir, map[string]string{"Dockerfile": "# syntax=" + bed.Image("cachefront:dev") + `
FROM debian:bookworm AS base
RUN apt-get update && apt-get install -y curl

FROM base AS app
RUN echo app
`})
	out := bed.Buildx(t, dir, append([]string{"build", "--call=targets", "."}, bed.ContextFlags()...)...)
	for _, want := range []string{"base", "app (default)"} {
		if !strings.Contains(out, want) {
			t.Fatalf("--call=targets does not list %q:\n%s", want, out)
		}
	}
	out = bed.Buildx(t, dir, append([]string{"build", "--call=check", "."}, bed.ContextFlags()...)...)
	if !strings.Contains(out, "Check complete, no warnings found") {
		t.Fatalf("--call=check did not run upstream's checks:\n%s", out)
	}
}
