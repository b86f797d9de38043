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

// Paths where an upstream image bakes in package caches that cachefront
// keeps in cache mounts instead: the only accepted differences.
var cachePaths = []string{
	"/root/.cache", "/root/.npm", "/root/go/pkg/mod/cache/download",
	"/var/cache/apt/archives/*.deb",
}

// Files whose content depends on when they were written, in any two builds.
var volatilePaths = []string{
	"/var/log", "/var/cache/debconf/*-old", "/var/lib/dpkg/*-old", "/var/cache/ldconfig",
	"__pycache__", "*.pyc",
}

type example struct {
	name string
	// prepare, when set, adjusts the copy of the example before the builds.
	prepare func(t *testing.T, dir string)
	// change turns the example into its next version (a dependency change).
	change func(t *testing.T, dir string)
	// saved checks that the warm rebuild came from the cache.
	saved func(t *testing.T, first, second run)
	// https: the example downloads over HTTPS, so upstream's build needs
	// the proxy's CA mounted by hand (apt and pip here use plain http, and
	// the apt example installs ca-certificates, which can't replace a
	// bundle mounted over it).
	https bool
}

// run is what one cachefront build of an example did.
type run struct {
	bytes int64
	build *testenv.Build
	pypi  map[string]int
}

var examples = []example{
	{name: "apt", change: func(t *testing.T, dir string) {
		replaceInFile(t, filepath.Join(dir, "Dockerfile"), "curl jq git", "curl jq git less")
	}, saved: func(t *testing.T, first, second run) {
		f1, f2 := fetched(t, first.build), fetched(t, second.build)
		t.Logf("apt fetched %d bytes cold, %d after adding a package (proxy: %d, %d)", f1, f2, first.bytes, second.bytes)
		if f2*10 > f1 {
			t.Fatalf("warm apt rebuild fetched %d bytes, not a small fraction of the cold %d", f2, f1)
		}
	}},
	{name: "npm", https: true, prepare: withResolved, change: func(t *testing.T, dir string) {
		copyFiles(t, "testdata/npm-bump", dir, "package.json")
		withResolved(t, dir)
	}, saved: proxySaved},
	{name: "go", https: true, change: func(t *testing.T, dir string) {
		copyFiles(t, "testdata/go-bump", dir, "go.mod", "go.sum")
	}, saved: proxySaved},
	{name: "pip", change: func(t *testing.T, dir string) {
		appendFile(t, filepath.Join(dir, "requirements.txt"), "cfextra==1.0.0\n")
	}, saved: func(t *testing.T, first, second run) {
		t.Logf("wheel downloads: cold %v, warm %v", first.pypi, second.pypi)
		if first.pypi["cfhello-1.0.0-py3-none-any.whl"] != 1 {
			t.Fatalf("the cold build did not download cfhello: %v", first.pypi)
		}
		for file, n := range second.pypi {
			if file != "cfextra-1.0.0-py3-none-any.whl" && n > 0 {
				t.Fatalf("the warm build downloaded %s again (%v)", file, second.pypi)
			}
		}
		if second.pypi["cfextra-1.0.0-py3-none-any.whl"] != 1 {
			t.Fatalf("the warm build did not download the new wheel: %v", second.pypi)
		}
	}},
}

// Each example builds through cachefront (in-process client path) to the
// image upstream builds, but for the package caches; after a dependency
// change the rebuild takes the unchanged packages from the cache.
func TestExamples(t *testing.T) {
	bed := testenv.Require(t)
	for _, ex := range examples {
		t.Run(ex.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			copyTree(t, filepath.Join(bed.Root, "examples", ex.name), dir)
			if ex.prepare != nil {
				ex.prepare(t, dir)
			}
			ns := fmt.Sprintf("e2e-%s-%d", ex.name, rand.Int63())
			// BuildKit leaves cache ids out of layer cache keys, so a fresh
			// namespace alone would let an earlier run's layers serve the
			// steps; a variable unique to this run makes them run again.
			uniqueRun(t, filepath.Join(dir, "Dockerfile"), ns)
			ix := testenv.StartIndex(t, 512<<10, "cfhello==1.0.0", "cfworld==1.0.0", "cfextra==1.0.0")
			c := bed.Client(t)

			attrs := func(extra map[string]string) map[string]string {
				// No "no-cache": BuildKit's no-cache also starts cache mounts
				// empty (uniqueRun makes the steps run instead).
				a := map[string]string{"build-arg:PIP_INDEX_URL": ix.URL, "build-arg:PIP_TRUSTED_HOST": ix.Host}
				for k, v := range bed.ContextAttrs() {
					a[k] = v
				}
				for k, v := range extra {
					a[k] = v
				}
				return a
			}
			// cachefront builds with a fresh cache namespace, through a proxy
			// that counts what the build downloads.
			build := func(out string) run {
				ix.Downloads()
				proxy := testenv.StartProxy(t)
				b := testenv.Solve(t, c, testenv.SolveOpt{Dir: dir, Frontend: cachefront.Build, Output: out,
					Attrs: attrs(merge(proxy.BuildArgs(), map[string]string{"build-arg:BUILDKIT_CACHE_MOUNT_NS": ns}))})
				return run{bytes: proxy.Bytes(), build: b, pypi: ix.Downloads()}
			}
			upOut, cfOut := filepath.Join(t.TempDir(), "upstream.tar"), filepath.Join(t.TempDir(), "cachefront.tar")
			// Upstream's frontend gets the proxy's CA the way its users
			// mount it, by hand; cachefront's builds get the CA setting.
			df, err := os.ReadFile(filepath.Join(dir, "Dockerfile"))
			if err != nil {
				t.Fatal(err)
			}
			if ex.https {
				df = []byte(testenv.WithCAMount(string(df)))
			}
			testenv.Solve(t, c, testenv.SolveOpt{Dir: dir, Dockerfile: string(df), Frontend: testenv.Upstream, Attrs: attrs(nil), Output: upOut})
			cold := build(cfOut)

			diffs, err := testenv.TreeDiff(upOut, cfOut, append(cachePaths, volatilePaths...))
			if err != nil {
				t.Fatal(err)
			}
			if len(diffs) > 0 {
				t.Fatalf("cachefront's image differs from upstream's beyond the cache paths:\n%s", strings.Join(diffs, "\n"))
			}

			ex.change(t, dir)
			warm := build("")
			ex.saved(t, cold, warm)
		})
	}
}

// proxySaved checks that a warm rebuild downloaded a small fraction of the
// cold build's bytes.
func proxySaved(t *testing.T, first, second run) {
	t.Logf("downloaded %d bytes cold, %d after the dependency change", first.bytes, second.bytes)
	if first.bytes < 100<<10 {
		t.Fatalf("the cold build downloaded only %d bytes through the proxy; the test proves nothing", first.bytes)
	}
	if second.bytes*5 > first.bytes {
		t.Fatalf("the warm rebuild downloaded %d bytes, not a small fraction of the cold %d", second.bytes, first.bytes)
	}
}

// uniqueRun adds `ENV TEST_RUN=id` after every FROM of a Dockerfile, so
// that its steps miss the layer cache without --no-cache (which would also
// start cache mounts empty).
func uniqueRun(t *testing.T, dockerfile, id string) {
	t.Helper()
	dt, err := os.ReadFile(dockerfile)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, line := range strings.Split(string(dt), "\n") {
		out = append(out, line)
		if strings.HasPrefix(strings.ToUpper(line), "FROM ") {
			out = append(out, "ENV TEST_RUN="+id)
		}
	}
	if err := os.WriteFile(dockerfile, []byte(strings.Join(out, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
}

func merge(ms ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

func replaceInFile(t *testing.T, path, old, new string) {
	t.Helper()
	dt, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(dt), old) {
		t.Fatalf("%s has no %q", path, old)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(dt), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

func appendFile(t *testing.T, path, text string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
}

func copyFiles(t *testing.T, from, to string, names ...string) {
	t.Helper()
	for _, n := range names {
		dt, err := os.ReadFile(filepath.Join(from, n))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, n), dt, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func copyTree(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.Walk(from, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		dst := filepath.Join(to, rel)
		if info.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		dt, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, dt, info.Mode())
	})
	if err != nil {
		t.Fatal(err)
	}
}

// fetched sums apt's "Fetched N kB" lines in a build's logs.
func fetched(t *testing.T, b *testenv.Build) int64 {
	t.Helper()
	var total int64
	found := false
	for _, line := range strings.Split(b.Logs.String(), "\n") {
		i := strings.Index(line, "Fetched ")
		if i < 0 {
			continue
		}
		var n float64
		var unit string
		if _, err := fmt.Sscanf(line[i:], "Fetched %f %s", &n, &unit); err != nil {
			continue
		}
		found = true
		switch unit {
		case "B":
		case "kB":
			n *= 1e3
		case "MB":
			n *= 1e6
		case "GB":
			n *= 1e9
		}
		total += int64(n)
	}
	if !found {
		t.Fatalf("no apt Fetched line in the build logs:\n%s", b.Logs.String())
	}
	return total
}
