// Package testenv gives end-to-end tests the facts of the test bed that
// hack/testbed brings up: the buildkitd socket, the local registry and the
// buildx builder. A test that needs the bed calls [Require]; when the bed is
// not reachable the test fails with a message that says how to start it. It
// is skipped only on purpose: under -short, or with CACHEFRONT_E2E=off.
package testenv

import (
	"bufio"
	"bytes"
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moby/buildkit/client"
	"github.com/pkg/errors"
)

// Bed is a running test bed.
type Bed struct {
	// Root is the cachefront checkout the bed was started from.
	Root string
	// Dir holds all of the bed's state.
	Dir string
	// BuildkitHost is the buildkitd address, as BUILDKIT_HOST takes it.
	BuildkitHost string
	// Registry is the local registry's host:port.
	Registry string
	// Builder is the buildx builder (remote driver) at BuildkitHost.
	Builder string
	// Env is the environment for commands run against the bed: PATH with the
	// bed's binaries first, DOCKER_CONFIG, BUILDKIT_HOST, BUILDX_BUILDER.
	Env []string
}

var (
	once   sync.Once
	bed    *Bed
	bedErr error
)

// Require returns the test bed, failing t when it is not reachable.
func Require(t testing.TB) *Bed {
	t.Helper()
	if testing.Short() || os.Getenv("CACHEFRONT_E2E") == "off" {
		t.Skip("end-to-end test switched off (-short or CACHEFRONT_E2E=off)")
	}
	b, err := Load()
	if err != nil {
		t.Fatalf("%v\nstart it with `hack/testbed up` (or run `make test`)", err)
	}
	return b
}

// Load returns the test bed, or why it is not reachable; for programs
// (hack/bench) rather than tests.
func Load() (*Bed, error) {
	once.Do(func() { bed, bedErr = load() })
	if bedErr != nil {
		return nil, errors.Wrap(bedErr, "the test bed is not reachable")
	}
	return bed, nil
}

func load() (*Bed, error) {
	root, err := repoRoot()
	if err != nil {
		return nil, err
	}
	out, err := exec.Command(filepath.Join(root, "hack", "testbed"), "env").Output()
	if err != nil {
		return nil, errors.Wrap(err, "failed to run hack/testbed env")
	}
	vars := parseExports(out)
	b := &Bed{
		Root:         root,
		Dir:          vars["CACHEFRONT_TESTBED_DIR"],
		BuildkitHost: vars["BUILDKIT_HOST"],
		Registry:     vars["CACHEFRONT_REGISTRY"],
		Builder:      vars["BUILDX_BUILDER"],
	}
	b.Env = os.Environ()
	for _, k := range []string{"CACHEFRONT_TESTBED_DIR", "BUILDKIT_HOST", "CACHEFRONT_REGISTRY", "BUILDX_BUILDER", "DOCKER_CONFIG"} {
		b.Env = append(b.Env, k+"="+vars[k])
	}
	b.Env = append(b.Env, "PATH="+filepath.Join(b.Dir, "bin")+string(os.PathListSeparator)+os.Getenv("PATH"))
	if err := b.ping(); err != nil {
		return nil, err
	}
	return b, nil
}

func (b *Bed) ping() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := client.New(ctx, b.BuildkitHost)
	if err != nil {
		return errors.Wrapf(err, "failed to connect to buildkitd at %s", b.BuildkitHost)
	}
	defer c.Close()
	if _, err := c.ListWorkers(ctx); err != nil {
		return errors.Wrapf(err, "buildkitd at %s does not answer", b.BuildkitHost)
	}
	resp, err := http.Get("http://" + b.Registry + "/v2/")
	if err != nil {
		return errors.Wrapf(err, "registry at %s does not answer", b.Registry)
	}
	resp.Body.Close()
	return nil
}

// Client connects to the bed's buildkitd; it is closed when t ends.
func (b *Bed) Client(t testing.TB) *client.Client {
	t.Helper()
	c, err := client.New(context.Background(), b.BuildkitHost)
	if err != nil {
		t.Fatalf("connecting to buildkitd: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// Image returns the bed's reference for a base image, e.g. "debian:bookworm".
func (b *Bed) Image(name string) string { return b.Registry + "/" + name }

// Command returns cmd with the bed's environment, run in dir.
func (b *Bed) Command(ctx context.Context, dir, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = b.Env
	return cmd
}

// Buildx runs `docker buildx ARGS` against the bed's builder and returns its
// combined output; the test fails when it fails. `build` gets the host's CA
// bundle as the CASecret secret. Without a docker CLI on the
// machine it runs the standalone buildx binary, which takes the same ARGS.
func (b *Bed) Buildx(t testing.TB, dir string, args ...string) string {
	t.Helper()
	out, err := b.TryBuildx(dir, args...)
	if err != nil {
		t.Fatalf("buildx %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// TryBuildx is [Bed.Buildx] that returns the error instead of failing.
func (b *Bed) TryBuildx(dir string, args ...string) (string, error) {
	args = withCAFlag(args)
	name, full := "buildx", args
	if _, err := exec.LookPath("docker"); err == nil {
		name, full = "docker", append([]string{"buildx"}, args...)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	cmd := b.Command(ctx, dir, name, full...) // BUILDX_BUILDER in b.Env picks the builder
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

func parseExports(out []byte) map[string]string {
	vars := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		k, v, ok := strings.Cut(strings.TrimPrefix(sc.Text(), "export "), "=")
		if ok {
			vars[k] = v
		}
	}
	return vars
}

func repoRoot() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", errors.New("failed to locate the repository")
	}
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", "..")), nil
}

// FreshBuildkitd starts a second buildkitd with an empty state directory, as
// a throw-away CI builder has, and returns its address. It is stopped when t
// ends.
func (b *Bed) FreshBuildkitd(t testing.TB) string {
	t.Helper()
	d, err := b.StartBuildkitd()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Stop)
	return d.Addr
}

// BaseImages maps the public base images the examples name to the bed's
// images, as named contexts: Debian to its debootstrapped bookworm, the
// language images to the dev image that has Python, Node.js and Go.
func (b *Bed) BaseImages() map[string]string {
	dev := "docker-image://" + b.Image("cachefront-dev:bookworm")
	return map[string]string{
		"debian:bookworm":           "docker-image://" + b.Image("debian:bookworm"),
		"node:20-bookworm-slim":     dev,
		"python:3.11-slim-bookworm": dev,
		"golang:1.26-bookworm":      dev,
	}
}

// ContextAttrs are BaseImages as frontend attrs.
func (b *Bed) ContextAttrs() map[string]string {
	out := map[string]string{}
	for k, v := range b.BaseImages() {
		out["context:"+k] = v
	}
	return out
}

// ContextFlags are BaseImages as buildx --build-context flags.
func (b *Bed) ContextFlags() []string {
	var out []string
	for k, v := range b.BaseImages() {
		out = append(out, "--build-context", k+"="+v)
	}
	return out
}
