package e2e

import (
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	cachefront "github.com/cachefront/cachefront/frontend/builder"
	"github.com/cachefront/cachefront/hack/testenv"
)

// jsProject is a JavaScript project built with one package manager.
type jsProject struct {
	name string
	// fixture is the project's directory under testdata.
	fixture string
	// lock writes the project's lockfile on the host, from package.json.
	lock func(t *testing.T, dir string)
	// cachePaths are where upstream's image keeps what cachefront's keeps
	// in cache mounts.
	cachePaths []string
	// volatile are files that differ between any two builds.
	volatile []string
	// cold is the least a cold build downloads, warm the most the rebuild
	// after the dependency change may: bytes through a counting proxy, or
	// what fetched counts.
	cold, warm int64
	// fetched, when set, counts the downloads in a build's log instead.
	fetched func(log string) int64
}

var (
	// pnpm makes ~/.local for its store alone (update checks are off).
	pnpmCachePaths = []string{"/root/.local"}
	// Time stamps: prunedAt, lastValidatedTimestamp.
	pnpmVolatile = []string{"/app/node_modules/.modules.yaml", "/app/node_modules/.pnpm-workspace-state-v1.json"}
)

var jsProjects = []jsProject{
	{
		name: "yarn-classic", fixture: "testdata/js-yarn-classic",
		lock: yarnClassicLock,
		// Yarn 1 makes /usr/local/share/.cache for root's cache alone.
		cachePaths: []string{"/usr/local/share/.cache"},
		cold:       700 << 10, warm: 64 << 10,
	},
	{
		name: "yarn-berry", fixture: "testdata/js-yarn-berry",
		lock:       yarnBerryLock,
		cachePaths: []string{"/root/.yarn"},
		cold:       700 << 10, warm: 64 << 10,
	},
	{
		name: "pnpm", fixture: "testdata/js-pnpm",
		lock:       pnpmLock("10.34.9"),
		cachePaths: pnpmCachePaths, volatile: pnpmVolatile,
		cold: 700 << 10, warm: 64 << 10,
	},
	{
		name: "pnpm12", fixture: "testdata/js-pnpm12",
		lock:       pnpmLock("12.21.0"),
		cachePaths: pnpmCachePaths, volatile: pnpmVolatile,
		cold: 700 << 10, warm: 64 << 10,
	},
	{
		name: "bun", fixture: "testdata/js-bun",
		lock: func(t *testing.T, dir string) {
			host(t, dir, "npx", "-y", "bun@1.3.14", "install", "--lockfile-only")
			requireLock(t, dir, "bun.lock", `"sha512-`)
		},
		// bun makes ~/.bun for its cache alone.
		cachePaths: []string{"/root/.bun"},
		// Through a proxy, bun's downloads fail their integrity checks on
		// this network (on the host too): bun goes direct and its --verbose
		// log tells the tarballs it fetched.
		fetched: bunTarballs,
		cold:    60, warm: 2,
	},
}

// Yarn 1, Yarn 2+ with the node-modules linker, pnpm 10 (run through
// corepack), pnpm 12 and bun each install real packages from the npm registry:
// cachefront's image equals upstream's but for the caches, and after a
// dependency change the rebuild downloads only the new package.
func TestJSPackageManagers(t *testing.T) {
	bed := testenv.Require(t)
	for _, jp := range jsProjects {
		t.Run(jp.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			copyTree(t, jp.fixture, dir)
			df := filepath.Join(dir, "Dockerfile")
			replaceInFile(t, df, "@DEV@", bed.Image("cachefront-dev:bookworm"))
			jp.lock(t, dir)
			ns := fmt.Sprintf("e2e-%s-%d", jp.name, rand.Int63())
			// A variable unique to this run makes the steps miss the layer
			// cache without --no-cache, which would empty the cache mounts.
			uniqueRun(t, df, ns)
			c := bed.Client(t)
			build := func(out string, attrs map[string]string) int64 {
				attrs = merge(bed.ContextAttrs(), map[string]string{"build-arg:BUILDKIT_CACHE_MOUNT_NS": ns}, attrs)
				if jp.fetched != nil {
					b := testenv.Solve(t, c, testenv.SolveOpt{Dir: dir, Frontend: cachefront.Build, Output: out, Attrs: attrs})
					return jp.fetched(b.Logs.String())
				}
				proxy := testenv.StartProxy(t)
				testenv.Solve(t, c, testenv.SolveOpt{Dir: dir, Frontend: cachefront.Build, Output: out, Attrs: merge(attrs, proxy.BuildArgs())})
				return proxy.Bytes()
			}
			// The stage that installs the package manager is built first,
			// so that the counts are those of the project's install alone.
			build("", map[string]string{"target": "tool"})

			upOut, cfOut := filepath.Join(t.TempDir(), "upstream.tar"), filepath.Join(t.TempDir(), "cachefront.tar")
			dockerfile, err := os.ReadFile(df)
			if err != nil {
				t.Fatal(err)
			}
			// Upstream's frontend gets the proxy's CA as its users mount it.
			upAttrs := bed.ContextAttrs()
			if jp.fetched == nil {
				upAttrs = merge(upAttrs, testenv.StartProxy(t).BuildArgs())
			}
			testenv.Solve(t, c, testenv.SolveOpt{Dir: dir, Dockerfile: testenv.WithCAMount(string(dockerfile)), Frontend: testenv.Upstream,
				Output: upOut, Attrs: upAttrs})
			cold := build(cfOut, nil)
			if cold < jp.cold {
				t.Fatalf("the cold build downloaded %d, less than %d: the test proves nothing", cold, jp.cold)
			}

			// npm's cache is moved by the npm rule. Node.js tools leave V8's
			// code cache, which differs from run to run, in /tmp.
			ignore := append([]string{"/root/.npm", "/root/.cache", "/tmp/v8-compile-cache-*"}, jp.cachePaths...)
			diffs, err := testenv.TreeDiff(upOut, cfOut, append(append(ignore, jp.volatile...), volatilePaths...))
			if err != nil {
				t.Fatal(err)
			}
			if len(diffs) > 0 {
				t.Fatalf("cachefront's image differs from upstream's beyond the cache paths:\n%s", strings.Join(diffs, "\n"))
			}

			// The dependency change: uuid 9 to 10.
			replaceInFile(t, filepath.Join(dir, "package.json"), `"uuid": "9.0.1"`, `"uuid": "10.0.0"`)
			jp.lock(t, dir)
			warm := build("", nil)
			t.Logf("%s: cachefront downloaded %d cold, %d after the dependency change", jp.name, cold, warm)
			if warm > jp.warm {
				t.Fatalf("the rebuild after the dependency change downloaded %d, more than %d", warm, jp.warm)
			}
		})
	}
}

// The lockfiles are made on the host when the test runs, by the same tools
// as in the images: Yarn 1's carries the registry's URLs, which no file of
// this project may, and the others are made the same way for one recipe.

func yarnClassicLock(t *testing.T, dir string) {
	host(t, dir, "npx", "-y", "yarn@1.22.22", "install", "--ignore-scripts", "--no-bin-links", "--non-interactive")
	requireLock(t, dir, "yarn.lock", "resolved ")
}

func yarnBerryLock(t *testing.T, dir string) {
	host(t, dir, "npx", "-y", "@yarnpkg/cli-dist@4.9.4", "install", "--mode=update-lockfile")
	requireLock(t, dir, "yarn.lock", "checksum: ")
}

func pnpmLock(version string) func(t *testing.T, dir string) {
	return func(t *testing.T, dir string) {
		host(t, dir, "npx", "-y", "pnpm@"+version, "install", "--lockfile-only", "--ignore-scripts")
		requireLock(t, dir, "pnpm-lock.yaml", "integrity: ")
	}
}

// bunTarballs counts the package tarballs bun --verbose says it fetched.
func bunTarballs(log string) int64 {
	var n int64
	for _, line := range strings.Split(log, "\n") {
		if strings.Contains(line, "> HTTP/1.1 GET ") && strings.HasSuffix(strings.TrimSpace(line), ".tgz") {
			n++
		}
	}
	return n
}

// host runs a command in dir on the host and removes what installing left
// beside the lockfile.
func host(t *testing.T, dir, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "YARN_ENABLE_TELEMETRY=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	for _, leftover := range []string{"node_modules", ".yarn", ".pnp.cjs", ".pnp.loader.mjs"} {
		if err := os.RemoveAll(filepath.Join(dir, leftover)); err != nil {
			t.Fatal(err)
		}
	}
}

func requireLock(t *testing.T, dir, name, want string) {
	t.Helper()
	dt, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(dt), want) {
		t.Fatalf("%s has no %q:\n%s", name, want, dt)
	}
}
