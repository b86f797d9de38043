package e2e

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	crand "crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"maps"
	"math/big"
	"math/rand"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	cachefront "github.com/cachefront/cachefront/frontend/builder"
	"github.com/cachefront/cachefront/hack/testenv"
	"github.com/moby/buildkit/client"
)

// The tests of transient mirror settings (CACHEFRONT_APT_PROXY,
// CACHEFRONT_NPM_REGISTRY, CACHEFRONT_GOPROXY, CACHEFRONT_PIP_INDEX_URL, ...),
// given as build args or as secrets, against real mirrors: the bed's
// apt-cacher-ng and verdaccio, a Go module proxy directory and a PEP 503
// index served by the test. TestMirrorsSmoke checks the mirrors themselves,
// configured by hand in the Dockerfile and built by upstream's frontend.

// mirrors are the mirrors one test uses.
type mirrors struct {
	apt  *testenv.AptCacher
	npm  *testenv.Verdaccio
	gop  *testenv.GoProxy
	pypi *testenv.Index
}

func startMirrors(t *testing.T, bed *testenv.Bed) *mirrors {
	t.Helper()
	return &mirrors{
		apt:  bed.AptCacher(t),
		npm:  bed.Verdaccio(t),
		gop:  testenv.StartGoProxyDir(t, filepath.Join(bed.Root, "examples", "go")),
		pypi: testenv.StartIndex(t, 64<<10, "cfhello==1.0.0"),
	}
}

// A mirrorCase is one package manager's step and mirror.
type mirrorCase struct {
	name string
	// setting is the build arg; the secret id is derived from it.
	setting string
	// url is the mirror's URL for the setting.
	url func(m *mirrors) string
	// base is the base image, as the examples name it.
	base string
	// files are context files, copied from the repository.
	files map[string]string // name → path under the repository
	// body follows FROM and ENV TEST_RUN; byHand is the same with the
	// mirror configured by the Dockerfile itself, MIRROR standing for its
	// URL.
	body, byHand string
	// step is part of the RUN step's name.
	step string
	// watch starts watching the mirror before a build; the check it returns
	// fails t unless the build went through the mirror and, with fromCache,
	// the mirror served it from its cache.
	watch func(t *testing.T, m *mirrors) func(t *testing.T, fromCache bool)
}

var mirrorCases = []mirrorCase{
	{
		name: "apt", setting: "CACHEFRONT_APT_PROXY", base: "debian:bookworm", step: "apt-get install",
		url:    func(m *mirrors) string { return m.apt.URL },
		body:   "RUN apt-get update && apt-get install -y --no-install-recommends jq",
		byHand: `RUN echo 'Acquire::http::Proxy "MIRROR";' > /etc/apt/apt.conf.d/01proxy && apt-get update && apt-get install -y --no-install-recommends jq`,
		watch: func(t *testing.T, m *mirrors) func(*testing.T, bool) {
			mark := m.apt.Mark(t)
			return func(t *testing.T, fromCache bool) {
				t.Helper()
				tr := m.apt.Since(t, mark)
				served := testenv.Debs(tr.Served)
				if !slices.ContainsFunc(served, func(s string) bool { return strings.HasPrefix(s, "jq_") }) {
					t.Fatalf("apt-cacher-ng served no jq package (served %v)", served)
				}
				if fetched := testenv.Debs(tr.Fetched); fromCache && len(fetched) > 0 {
					t.Fatalf("apt-cacher-ng fetched %v upstream: the build was not served from its cache", fetched)
				}
				t.Logf("apt-cacher-ng served %v, fetched %v upstream", served, testenv.Debs(tr.Fetched))
			}
		},
	},
	{
		name: "npm", setting: "CACHEFRONT_NPM_REGISTRY", base: "node:20-bookworm-slim", step: "npm ci",
		url:    func(m *mirrors) string { return m.npm.URL },
		files:  map[string]string{"package.json": "examples/npm/package.json", "package-lock.json": "examples/npm/package-lock.json"},
		body:   "WORKDIR /app\nCOPY package.json package-lock.json ./\nRUN npm ci --omit=dev",
		byHand: "WORKDIR /app\nCOPY package.json package-lock.json ./\nRUN npm ci --omit=dev --registry MIRROR",
		watch: func(t *testing.T, m *mirrors) func(*testing.T, bool) {
			mark := m.npm.Mark(t)
			return func(t *testing.T, fromCache bool) {
				t.Helper()
				tr := m.npm.Since(t, mark)
				got := testenv.Tarballs(tr.Requests)
				if !slices.ContainsFunc(got, func(s string) bool { return strings.Contains(s, "/express/-/express-") }) {
					t.Fatalf("npm fetched no express tarball through verdaccio (tarballs: %v)", got)
				}
				if len(m.npm.Stored(t, "express")) == 0 {
					t.Fatalf("verdaccio's storage has no express tarball")
				}
				if up := testenv.Tarballs(tr.Upstream); fromCache && len(up) > 0 {
					t.Fatalf("verdaccio fetched %v upstream: the build was not served from its storage", up)
				}
				t.Logf("verdaccio served %d tarballs, fetched %d upstream", len(got), len(testenv.Tarballs(tr.Upstream)))
			}
		},
	},
	{
		name: "go", setting: "CACHEFRONT_GOPROXY", base: "golang:1.26-bookworm", step: "go mod download",
		url:    func(m *mirrors) string { return m.gop.URL },
		files:  map[string]string{"go.mod": "examples/go/go.mod", "go.sum": "examples/go/go.sum"},
		body:   "WORKDIR /src\nCOPY go.mod go.sum ./\nRUN go mod download && go env GOPROXY GOSUMDB GONOSUMDB GOPRIVATE",
		byHand: "WORKDIR /src\nCOPY go.mod go.sum ./\nRUN GOPROXY=MIRROR go mod download",
		watch: func(t *testing.T, m *mirrors) func(*testing.T, bool) {
			m.gop.Requests()
			return func(t *testing.T, _ bool) {
				t.Helper()
				// The module proxy directory is the only source the build
				// can use (no ",direct" fallback): served means mirrored.
				r := m.gop.Requests()
				if testenv.Zips(r) < 2 {
					t.Fatalf("the go command fetched %d module zips from the proxy directory (requests %v)", testenv.Zips(r), r)
				}
				t.Logf("the proxy directory served %d module zips", testenv.Zips(r))
			}
		},
	},
	{
		name: "pip", setting: "CACHEFRONT_PIP_INDEX_URL", base: "python:3.11-slim-bookworm", step: "pip install",
		url:    func(m *mirrors) string { return m.pypi.URL },
		body:   "RUN python3 -m venv /opt/venv && /opt/venv/bin/pip install cfhello",
		byHand: "RUN python3 -m venv /opt/venv && /opt/venv/bin/pip install --index-url MIRROR --trusted-host 127.0.0.1 cfhello",
		watch: func(t *testing.T, m *mirrors) func(*testing.T, bool) {
			m.pypi.Downloads()
			return func(t *testing.T, _ bool) {
				t.Helper()
				// PyPI is not reachable here: the local index is the only
				// source.
				if d := m.pypi.Downloads(); d["cfhello-1.0.0-py3-none-any.whl"] != 1 {
					t.Fatalf("pip did not download cfhello from the local index once: %v", d)
				}
			}
		},
	},
}

// secretID is the id of the secret that carries a setting:
// CACHEFRONT_NPM_REGISTRY → cachefront-npm-registry.
func secretID(setting string) string {
	return strings.ToLower(strings.ReplaceAll(setting, "_", "-"))
}

// mirrorContext writes a build context for mc with body as the Dockerfile's
// lines after FROM and a line unique to this run.
func mirrorContext(t *testing.T, bed *testenv.Bed, mc mirrorCase, body, id string) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{"Dockerfile": fmt.Sprintf("FROM %s\nENV TEST_RUN=%s\n%s\n", mc.base, id, body)}
	for name, src := range mc.files {
		dt, err := os.ReadFile(filepath.Join(bed.Root, src))
		if err != nil {
			t.Fatal(err)
		}
		files[name] = string(dt)
	}
	testenv.WriteFiles(t, dir, files)
	return dir
}

func runID(t *testing.T) string {
	return fmt.Sprintf("%s-%d", strings.ReplaceAll(t.Name(), "/", "-"), rand.Int63())
}

// freshClient connects to a buildkitd that starts empty, as a CI runner's.
func freshClient(t *testing.T, bed *testenv.Bed) *client.Client {
	t.Helper()
	c, err := client.New(context.Background(), bed.FreshBuildkitd(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// The mirrors work, configured by hand and built by upstream's frontend:
// the builds go through them, and a second build on an empty builder is
// served from the mirror's cache.
func TestMirrorsSmoke(t *testing.T) {
	bed := testenv.Require(t)
	m := startMirrors(t, bed)
	c, fresh := bed.Client(t), freshClient(t, bed)
	for _, mc := range mirrorCases {
		t.Run(mc.name, func(t *testing.T) {
			body := strings.ReplaceAll(mc.byHand, "MIRROR", mc.url(m))
			dir := mirrorContext(t, bed, mc, body, runID(t))
			opt := testenv.SolveOpt{Dir: dir, Frontend: testenv.Upstream, Attrs: bed.ContextAttrs()}
			check := mc.watch(t, m)
			testenv.Solve(t, c, opt)
			check(t, false)
			check = mc.watch(t, m)
			testenv.Solve(t, fresh, opt)
			check(t, true)
		})
	}
}

// goPassThrough are the go settings passed as they are, with values the
// step prints back.
var goPassThrough = map[string]string{
	"CACHEFRONT_GOSUMDB":   "off",
	"CACHEFRONT_GONOSUMDB": "cftest.invalid/nosumdb",
	"CACHEFRONT_GOPRIVATE": "cftest.invalid/private",
}

// settingsFor returns the settings a case's build gets: its mirror, and for
// go the pass-through variables.
func settingsFor(mc mirrorCase, m *mirrors) map[string]string {
	s := map[string]string{mc.setting: mc.url(m)}
	if mc.name == "go" {
		maps.Copy(s, goPassThrough)
	}
	return s
}

func asBuildArgs(settings map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range settings {
		out["build-arg:"+k] = v
	}
	return out
}

func asSecrets(settings map[string]string) map[string][]byte {
	out := map[string][]byte{}
	for k, v := range settings {
		out[secretID(k)] = []byte(v)
	}
	return out
}

// checkPassThrough fails t unless the go step printed the pass-through
// settings (`go env` in the same RUN).
func checkPassThrough(t *testing.T, mc mirrorCase, b *testenv.Build) {
	t.Helper()
	if mc.name != "go" {
		return
	}
	for _, v := range goPassThrough {
		if !strings.Contains(b.Logs.String(), v) {
			t.Fatalf("the go step's environment lacks %q (go env printed):\n%s", v, b.Logs.String())
		}
	}
}

// Feature (a): each setting, as a build arg, sends its manager's step
// through the mirror; a second build on an empty builder is served by the
// mirror's cache.
func TestMirrorSettings(t *testing.T) {
	bed := testenv.Require(t)
	m := startMirrors(t, bed)
	c, fresh := bed.Client(t), freshClient(t, bed)
	for _, mc := range mirrorCases {
		t.Run(mc.name, func(t *testing.T) {
			id := runID(t)
			dir := mirrorContext(t, bed, mc, mc.body, id)
			attrs := merge(bed.ContextAttrs(), asBuildArgs(settingsFor(mc, m)),
				map[string]string{"build-arg:BUILDKIT_CACHE_MOUNT_NS": id})
			opt := testenv.SolveOpt{Dir: dir, Frontend: cachefront.Build, Attrs: attrs}
			check := mc.watch(t, m)
			b := testenv.Solve(t, c, opt)
			check(t, false)
			checkPassThrough(t, mc, b)
			check = mc.watch(t, m)
			testenv.Solve(t, fresh, opt)
			check(t, true)
		})
	}
}

// Feature (b): a setting given as a secret is not part of the step's cache
// key: with the secret, without it and with it again, the step runs once
// and the image is the same.
func TestMirrorSecretsKeepCache(t *testing.T) {
	bed := testenv.Require(t)
	m := startMirrors(t, bed)
	c := bed.Client(t)
	for _, mc := range mirrorCases {
		t.Run(mc.name, func(t *testing.T) {
			id := runID(t)
			dir := mirrorContext(t, bed, mc, mc.body, id)
			// SOURCE_DATE_EPOCH makes the image's timestamps those of the
			// layers, so that equal steps give equal image digests.
			attrs := merge(bed.ContextAttrs(), map[string]string{
				"build-arg:BUILDKIT_CACHE_MOUNT_NS": id, "build-arg:SOURCE_DATE_EPOCH": "0"})
			opt := testenv.SolveOpt{Dir: dir, Frontend: cachefront.Build, Attrs: attrs}
			secrets := asSecrets(settingsFor(mc, m))
			var digests []string
			for i, with := range []bool{true, false, true} {
				opt.Secrets = nil
				if with {
					opt.Secrets = secrets
				}
				check := mc.watch(t, m)
				b, resp := testenv.SolveImage(t, c, opt, filepath.Join(t.TempDir(), "image.tar"))
				if i == 0 {
					if b.Cached(t, mc.step) {
						t.Fatal("the first build found the step cached; the test proves nothing")
					}
					check(t, false)
					checkPassThrough(t, mc, b)
				} else if !b.Cached(t, mc.step) {
					t.Fatalf("build %d (secret given: %v) ran the step again: the secret is part of its cache key\n%s", i+1, with, b.Logs.String())
				}
				digests = append(digests, resp["containerimage.digest"])
			}
			if digests[0] == "" || digests[1] != digests[0] || digests[2] != digests[0] {
				t.Fatalf("the image differs with and without the secret: %v", digests)
			}
		})
	}
}

// Feature: a setting given as a build arg is part of the step's cache key:
// another mirror runs the step again, through that mirror.
func TestMirrorBuildArgInCacheKey(t *testing.T) {
	bed := testenv.Require(t)
	c := bed.Client(t)
	mc := mirrorCases[slices.IndexFunc(mirrorCases, func(mc mirrorCase) bool { return mc.name == "pip" })]
	first, second := testenv.StartIndex(t, 64<<10, "cfhello==1.0.0"), testenv.StartIndex(t, 64<<10, "cfhello==1.0.0")
	id := runID(t)
	dir := mirrorContext(t, bed, mc, mc.body, id)
	build := func(ix *testenv.Index) *testenv.Build {
		attrs := merge(bed.ContextAttrs(), map[string]string{
			"build-arg:" + mc.setting: ix.URL, "build-arg:BUILDKIT_CACHE_MOUNT_NS": id})
		return testenv.Solve(t, c, testenv.SolveOpt{Dir: dir, Frontend: cachefront.Build, Attrs: attrs})
	}
	if b := build(first); b.Cached(t, mc.step) || first.Downloads()["cfhello-1.0.0-py3-none-any.whl"] != 1 {
		t.Fatal("the first build did not install cfhello from the first index")
	}
	if b := build(first); !b.Cached(t, mc.step) {
		t.Fatal("the same build arg did not hit the layer cache")
	}
	if b := build(second); b.Cached(t, mc.step) {
		t.Fatal("another index URL as a build arg hit the layer cache: build args are part of the key")
	}
	if d := second.Downloads(); d["cfhello-1.0.0-py3-none-any.whl"] != 1 {
		t.Fatalf("the rebuild did not download cfhello from the second index: %v", d)
	}
}

// allSettings are every setting at once, with values that can be searched
// for: the mirrors, a proxy (unused: NO_PROXY names the loopback mirrors)
// and a CA certificate.
func allSettings(m *mirrors, ca string) map[string]string {
	s := map[string]string{
		"CACHEFRONT_APT_PROXY":     m.apt.URL,
		"CACHEFRONT_NPM_REGISTRY":  m.npm.URL,
		"CACHEFRONT_GOPROXY":       m.gop.URL,
		"CACHEFRONT_PIP_INDEX_URL": m.pypi.URL,
		"CACHEFRONT_HTTP_PROXY":    "http://127.0.0.1:9/cftest-http-proxy",
		"CACHEFRONT_HTTPS_PROXY":   "http://127.0.0.1:9/cftest-https-proxy",
		"CACHEFRONT_NO_PROXY":      "127.0.0.1,localhost,cftest-no-proxy.invalid",
		"CACHEFRONT_CA_CERT":       ca,
	}
	maps.Copy(s, goPassThrough)
	return s
}

// allManagers is a Dockerfile whose steps run every manager, then a step
// that records what later steps see: the environment and the tools'
// configuration files, read without running a package manager (a step that
// runs one gets the settings).
const allManagers = `FROM golang:1.26-bookworm
ENV TEST_RUN=@ID@
WORKDIR /app
COPY package.json package-lock.json go.mod go.sum ./
RUN apt-get update && apt-get install -y --no-install-recommends jq
RUN npm ci --omit=dev
RUN go mod download
RUN python3 -m venv /opt/venv && /opt/venv/bin/pip install cfhello
RUN env | sort > /later-env \
 && { cat /root/.npmrc /usr/local/etc/npmrc /etc/npmrc /etc/pip.conf /root/.config/pip/pip.conf \
      /root/.pip/pip.conf /root/.config/go/env /etc/apt/apt.conf /etc/apt/apt.conf.d/* 2>/dev/null || true; } > /later-files \
 && apt-config dump > /later-apt
`

func allManagersContext(t *testing.T, bed *testenv.Bed, id string) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{"Dockerfile": strings.ReplaceAll(allManagers, "@ID@", id)}
	for name, src := range map[string]string{"package.json": "examples/npm/package.json", "package-lock.json": "examples/npm/package-lock.json",
		"go.mod": "examples/go/go.mod", "go.sum": "examples/go/go.sum"} {
		dt, err := os.ReadFile(filepath.Join(bed.Root, src))
		if err != nil {
			t.Fatal(err)
		}
		files[name] = string(dt)
	}
	testenv.WriteFiles(t, dir, files)
	return dir
}

// Feature (c): nothing of the settings reaches the image, by either path:
// not its config (env), not its history, not a later step's environment or
// configuration, not a file.
func TestMirrorSettingsStayOut(t *testing.T) {
	bed := testenv.Require(t)
	m := startMirrors(t, bed)
	c := bed.Client(t)
	ca := testCA(t)
	settings := allSettings(m, ca)
	// What must not be found anywhere: every value (the CA by a line of
	// its body; GOSUMDB=off is checked on its own); in the environment and
	// configuration, cachefront's name either (an example's package.json
	// has it in the layers).
	values := []string{pemLine(ca)}
	for k, v := range settings {
		if k != "CACHEFRONT_CA_CERT" && k != "CACHEFRONT_GOSUMDB" {
			values = append(values, v)
		}
	}
	needles := append([]string{"cachefront", "CACHEFRONT"}, values...)
	for _, path := range []string{"build-arg", "secret"} {
		t.Run(path, func(t *testing.T) {
			id := runID(t)
			dir := allManagersContext(t, bed, id)
			attrs := merge(bed.ContextAttrs(), map[string]string{"build-arg:BUILDKIT_CACHE_MOUNT_NS": id})
			// No host CA secret: the CA is the setting's.
			opt := testenv.SolveOpt{Dir: dir, Frontend: cachefront.Build, Secrets: map[string][]byte{testenv.CASecret: nil}}
			if path == "build-arg" {
				attrs = merge(attrs, asBuildArgs(settings))
			} else {
				opt.Secrets = asSecrets(settings)
			}
			opt.Attrs = attrs
			checks := map[string]func(*testing.T, bool){}
			for _, mc := range mirrorCases {
				checks[mc.name] = mc.watch(t, m)
			}
			oci := filepath.Join(t.TempDir(), "image.tar")
			testenv.SolveImage(t, c, opt, oci)
			for _, mc := range mirrorCases {
				checks[mc.name](t, false)
			}
			image := readOCI(t, oci)
			for _, e := range image.config.Config.Env {
				for _, n := range needles {
					if strings.Contains(e, n) {
						t.Errorf("the image's environment has %q", e)
					}
				}
			}
			if e := slices.IndexFunc(image.config.Config.Env, func(e string) bool {
				return strings.HasPrefix(e, "GOSUMDB=") || strings.HasPrefix(e, "GONOSUMDB=") || strings.HasPrefix(e, "GOPRIVATE=")
			}); e >= 0 {
				t.Errorf("the image's environment has %q", image.config.Config.Env[e])
			}
			for _, h := range image.config.History {
				for _, n := range needles {
					if strings.Contains(h.CreatedBy, n) {
						t.Errorf("the image's history has %q in %q", n, h.CreatedBy)
					}
				}
			}
			later := image.files(t, "later-env", "later-files", "later-apt")
			for name, content := range later {
				for _, n := range needles {
					if strings.Contains(content, n) {
						t.Errorf("a later step sees %q in /%s:\n%s", n, name, content)
					}
				}
			}
			// A later step's environment is the image's, what every process
			// gets, and BuildKit's tracing variables.
			imageEnv := map[string]bool{"HOSTNAME": true, "HOME": true, "PWD": true, "SHLVL": true, "_": true, "TRACEPARENT": true}
			for _, e := range image.config.Config.Env {
				imageEnv[strings.SplitN(e, "=", 2)[0]] = true
			}
			for _, line := range strings.Split(strings.TrimSpace(later["later-env"]), "\n") {
				name := strings.SplitN(line, "=", 2)[0]
				if !imageEnv[name] && !strings.HasPrefix(name, "OTEL_") {
					t.Errorf("a later step has %q, which the image does not set", line)
				}
			}
			for n, places := range image.search(t, values...) {
				for _, where := range places {
					if strings.HasPrefix(where, "layer") {
						t.Errorf("%q is in the image: %s", n, where)
					}
				}
			}
		})
	}
}

// Feature (d): a mirror URL that carries a token. Given as a secret, the
// token is nowhere: not in the layers, the image config or history, the
// provenance attestation (mode=max) or the build's logs. Given as a build
// arg, it is in the provenance attestation, and still not in the image:
// with mode=max, in the definition of each step that gets the setting (the
// value is in the step's env). An in-process frontend's provenance has no
// build args; TestMirrorBuildArgTokenBuildx shows the user's path, where
// they are.
func TestMirrorTokens(t *testing.T) {
	bed := testenv.Require(t)
	m := startMirrors(t, bed)
	c := bed.Client(t)
	const token = "SECRETTOKEN123"
	withToken := func(url, who string) string {
		return strings.Replace(url, "://", "://cfuser:"+token+who+"@", 1)
	}
	// The go command refuses to send credentials over http: the module
	// proxy is served over HTTPS, its CA given as the CA setting.
	goFront := testenv.StartTLSFront(t, m.gop.URL)
	settings := map[string]string{
		"CACHEFRONT_APT_PROXY":     withToken(m.apt.URL, "apt"),
		"CACHEFRONT_NPM_REGISTRY":  withToken(m.npm.URL, "npm"),
		"CACHEFRONT_GOPROXY":       withToken(goFront.URL, "go"),
		"CACHEFRONT_PIP_INDEX_URL": withToken(m.pypi.URL, "pip"),
		"CACHEFRONT_CA_CERT":       goFront.CA,
	}
	for _, path := range []string{"secret", "build-arg"} {
		t.Run(path, func(t *testing.T) {
			id := runID(t)
			dir := allManagersContext(t, bed, id)
			attrs := merge(bed.ContextAttrs(), map[string]string{
				"build-arg:BUILDKIT_CACHE_MOUNT_NS": id, "attest:provenance": "mode=max"})
			opt := testenv.SolveOpt{Dir: dir, Frontend: cachefront.Build, Secrets: map[string][]byte{testenv.CASecret: nil}}
			if path == "build-arg" {
				attrs = merge(attrs, asBuildArgs(settings))
			} else {
				opt.Secrets = asSecrets(settings)
			}
			opt.Attrs = attrs
			checks := map[string]func(*testing.T, bool){}
			for _, mc := range mirrorCases {
				checks[mc.name] = mc.watch(t, m)
			}
			oci := filepath.Join(t.TempDir(), "image.tar")
			b, _ := testenv.SolveImage(t, c, opt, oci)
			for _, mc := range mirrorCases {
				checks[mc.name](t, false)
			}
			image := readOCI(t, oci)
			if !image.hasProvenance {
				t.Fatal("the export has no provenance attestation")
			}
			found := image.search(t, token)[token]
			if strings.Contains(b.Logs.String(), token) {
				found = append(found, "build log: "+logLine(b.Logs.String(), token))
			}
			t.Logf("%s path: the token is in %d place(s):\n%s", path, len(found), strings.Join(found, "\n"))
			for _, where := range found {
				if path == "secret" || !strings.HasPrefix(where, "provenance") {
					t.Errorf("the token is in %s", where)
				}
			}
			if path == "build-arg" && !slices.ContainsFunc(found, func(s string) bool {
				return strings.HasPrefix(s, "provenance: ") && strings.Contains(s, ".llbDefinition[") && strings.Contains(s, ".exec.meta.env[")
			}) {
				t.Errorf("the build arg's token is not in the steps' env in the provenance (mode=max)")
			}
		})
	}
}

func logLine(log, needle string) string {
	for _, l := range strings.Split(log, "\n") {
		if strings.Contains(l, needle) {
			return strings.TrimSpace(l)
		}
	}
	return ""
}

// ociImage is what an OCI layout tar holds, read for the tests.
type ociImage struct {
	blobs         map[string][]byte // digest → content
	kinds         map[string]string // digest → what it is
	config        imageConfig
	layers        []string // digests, in order
	hasProvenance bool
}

type imageConfig struct {
	Config struct {
		Env []string `json:"Env"`
	} `json:"config"`
	History []struct {
		CreatedBy string `json:"created_by"`
	} `json:"history"`
}

type ociDescriptor struct {
	MediaType   string            `json:"mediaType"`
	Digest      string            `json:"digest"`
	Annotations map[string]string `json:"annotations"`
}

type ociManifest struct {
	MediaType string          `json:"mediaType"`
	Manifests []ociDescriptor `json:"manifests"` // an index
	Config    ociDescriptor   `json:"config"`    // a manifest
	Layers    []ociDescriptor `json:"layers"`
}

// readOCI reads an OCI layout tar of one image, with its attestations.
func readOCI(t *testing.T, path string) *ociImage {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img := &ociImage{blobs: map[string][]byte{}, kinds: map[string]string{}}
	var index []byte
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		dt, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case h.Name == "index.json":
			index = dt
		case strings.HasPrefix(h.Name, "blobs/sha256/"):
			img.blobs["sha256:"+strings.TrimPrefix(h.Name, "blobs/sha256/")] = dt
		}
	}
	var walk func(dt []byte, attestation bool)
	walk = func(dt []byte, attestation bool) {
		var m ociManifest
		if err := json.Unmarshal(dt, &m); err != nil {
			t.Fatalf("reading %s: %v", path, err)
		}
		for _, d := range m.Manifests {
			att := d.Annotations["vnd.docker.reference.type"] == "attestation-manifest"
			img.kinds[d.Digest] = "manifest"
			walk(img.blobs[d.Digest], att)
		}
		if m.Config.Digest == "" {
			return
		}
		if attestation {
			img.kinds[m.Config.Digest] = "attestation config"
			for _, l := range m.Layers {
				img.kinds[l.Digest] = "provenance"
				if !strings.Contains(l.Annotations["in-toto.io/predicate-type"], "provenance") {
					img.kinds[l.Digest] = "attestation " + l.Annotations["in-toto.io/predicate-type"]
				} else {
					img.hasProvenance = true
				}
			}
			return
		}
		img.kinds[m.Config.Digest] = "image config"
		if err := json.Unmarshal(img.blobs[m.Config.Digest], &img.config); err != nil {
			t.Fatal(err)
		}
		for _, l := range m.Layers {
			img.kinds[l.Digest] = "layer"
			img.layers = append(img.layers, l.Digest)
		}
	}
	walk(index, false)
	if len(img.layers) == 0 {
		t.Fatalf("%s holds no image", path)
	}
	return img
}

// search returns where each needle is in the export: "layer <digest>
// /<file>", "image config: <json path>", "provenance: <json path>",
// "manifest <digest>"... Layers are read once for all needles.
func (img *ociImage) search(t *testing.T, needles ...string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, d := range slices.Sorted(maps.Keys(img.blobs)) {
		dt, kind := img.blobs[d], img.kinds[d]
		switch kind {
		case "layer":
			eachFile(t, dt, func(name string, content []byte) {
				for _, n := range needles {
					if strings.Contains(name, n) || bytes.Contains(content, []byte(n)) {
						out[n] = append(out[n], fmt.Sprintf("layer %s /%s", short(d), name))
					}
				}
			})
		case "image config", "provenance":
			for _, n := range needles {
				for _, p := range jsonPaths(dt, n) {
					out[n] = append(out[n], kind+": "+p)
				}
			}
		default:
			for _, n := range needles {
				if bytes.Contains(dt, []byte(n)) {
					out[n] = append(out[n], fmt.Sprintf("%s %s", kind, short(d)))
				}
			}
		}
	}
	return out
}

// files returns the content of the named files as the image's last layer
// that has each holds them.
func (img *ociImage) files(t *testing.T, names ...string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, d := range img.layers {
		eachFile(t, img.blobs[d], func(name string, content []byte) {
			if slices.Contains(names, name) {
				out[name] = string(content)
			}
		})
	}
	for _, n := range names {
		if _, ok := out[n]; !ok {
			t.Fatalf("the image has no /%s", n)
		}
	}
	return out
}

// eachFile calls fn for every entry of a (gzip-compressed) layer tar.
func eachFile(t *testing.T, layer []byte, fn func(name string, content []byte)) {
	t.Helper()
	var r io.Reader = bytes.NewReader(layer)
	if len(layer) > 2 && layer[0] == 0x1f && layer[1] == 0x8b {
		zr, err := gzip.NewReader(r)
		if err != nil {
			t.Fatal(err)
		}
		r = zr
	}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		dt, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		fn(strings.TrimPrefix(h.Name, "./"), append(dt, []byte(h.Linkname)...))
	}
}

// jsonPaths returns the paths of the JSON values (and keys) of dt that
// contain needle; nested JSON documents in strings are followed.
func jsonPaths(dt []byte, needle string) []string {
	var v any
	if err := json.Unmarshal(dt, &v); err != nil {
		if bytes.Contains(dt, []byte(needle)) {
			return []string{"(not JSON)"}
		}
		return nil
	}
	var out []string
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for _, k := range slices.Sorted(maps.Keys(v)) {
				p := strings.TrimPrefix(path+"."+k, ".")
				if strings.Contains(k, needle) {
					out = append(out, p+" (key)")
				}
				walk(p, v[k])
			}
		case []any:
			for i, e := range v {
				walk(fmt.Sprintf("%s[%d]", path, i), e)
			}
		case string:
			if !strings.Contains(v, needle) {
				// LLB file data (mode=max) is base64 in JSON.
				if dec, err := base64.StdEncoding.DecodeString(v); err == nil && bytes.Contains(dec, []byte(needle)) {
					out = append(out, path+" (base64)")
				}
				return
			}
			var inner any
			if json.Unmarshal([]byte(v), &inner) == nil && (strings.HasPrefix(v, "{") || strings.HasPrefix(v, "[")) {
				walk(path+"(json)", inner)
				return
			}
			out = append(out, path)
		}
	}
	walk("", v)
	return out
}

// testCA returns a new self-signed CA certificate, PEM-encoded.
func testCA(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), crand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "mirror test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(crand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

// pemLine is a line of a PEM's body: what a copy of it must contain.
func pemLine(p string) string { return strings.Split(p, "\n")[2] }

func short(digest string) string {
	if len(digest) > 19 {
		return digest[:19]
	}
	return digest
}

// The user's path for a secret mirror: `docker buildx build --secret
// id=cachefront-npm-registry,src=FILE` with the cachefront image the bed
// pushed. The token in the mirror URL is nowhere in the OCI export, its
// provenance (mode=max) included, and the same build without the secret
// finds the step CACHED.
func TestMirrorSecretBuildx(t *testing.T) {
	bed := testenv.Require(t)
	m := startMirrors(t, bed)
	mc := mirrorCases[slices.IndexFunc(mirrorCases, func(mc mirrorCase) bool { return mc.name == "npm" })]
	id := runID(t)
	dir := mirrorContext(t, bed, mc, mc.body, id)
	replaceInFile(t, filepath.Join(dir, "Dockerfile"), "FROM ", "# syntax="+bed.Image("cachefront:dev")+"\nFROM ")
	const token = "SECRETTOKEN123"
	secret := filepath.Join(t.TempDir(), "mirror")
	if err := os.WriteFile(secret, []byte(strings.Replace(m.npm.URL, "http://", "http://cfuser:"+token+"@", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	build := func(withSecret bool) (string, *ociImage) {
		oci := filepath.Join(t.TempDir(), "image.tar")
		args := append([]string{"build", "--progress=plain", "--build-arg", "BUILDKIT_CACHE_MOUNT_NS=" + id,
			"--attest", "type=provenance,mode=max", "--output", "type=oci,dest=" + oci}, bed.ContextFlags()...)
		if withSecret {
			args = append(args, "--secret", "id="+secretID(mc.setting)+",src="+secret)
		}
		log := bed.Buildx(t, dir, append(args, ".")...)
		return log, readOCI(t, oci)
	}
	check := mc.watch(t, m)
	log, image := build(true)
	check(t, false)
	if !image.hasProvenance {
		t.Fatal("the export has no provenance attestation")
	}
	if found := image.search(t, token)[token]; len(found) > 0 || strings.Contains(log, token) {
		t.Fatalf("the secret's token is in the export: %v (or the log: %q)", found, logLine(log, token))
	}
	log, _ = build(false)
	if !stepCached(log, "npm ci") {
		t.Fatalf("without the secret the npm step was not CACHED:\n%s", log)
	}
}

// stepCached reports whether a plain progress log shows the step whose
// name contains sub as CACHED.
func stepCached(log, sub string) bool {
	vertex := ""
	for _, l := range strings.Split(log, "\n") {
		f := strings.Fields(l)
		if len(f) < 2 || !strings.HasPrefix(f[0], "#") {
			continue
		}
		if strings.Contains(l, sub) && strings.Contains(l, " RUN ") {
			vertex = f[0]
		}
		if vertex != "" && f[0] == vertex && f[1] == "CACHED" {
			return true
		}
	}
	return false
}

// The CA setting adds certificates to the image's bundle for package steps:
// one step reaches a pip index over HTTPS whose CA the image trusts, and a
// Go module proxy over HTTPS whose CA only the setting gives. Without the
// setting the go command fails on the certificate.
func TestMirrorCACert(t *testing.T) {
	bed := testenv.Require(t)
	c := bed.Client(t)
	gop := testenv.StartGoProxyDir(t, filepath.Join(bed.Root, "examples", "go"))
	goFront := testenv.StartTLSFront(t, gop.URL)
	ix := testenv.StartIndex(t, 64<<10, "cfhello==1.0.0")
	pipFront := testenv.StartTLSFront(t, ix.URL)
	gomod, err := os.ReadFile(filepath.Join(bed.Root, "examples", "go", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	gosum, err := os.ReadFile(filepath.Join(bed.Root, "examples", "go", "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	settings := map[string]string{"CACHEFRONT_GOPROXY": goFront.URL, "CACHEFRONT_PIP_INDEX_URL": pipFront.URL}
	cases := []struct {
		name    string
		attrs   map[string]string
		secrets map[string][]byte
		ok      bool
	}{
		{name: "no CA", attrs: asBuildArgs(settings), secrets: map[string][]byte{testenv.CASecret: nil}},
		{name: "build arg", ok: true, attrs: asBuildArgs(merge(settings, map[string]string{"CACHEFRONT_CA_CERT": goFront.CA})),
			secrets: map[string][]byte{testenv.CASecret: nil}},
		{name: "secret", ok: true, attrs: asBuildArgs(settings), secrets: map[string][]byte{testenv.CASecret: []byte(goFront.CA)}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			id := runID(t)
			dir := t.TempDir()
			testenv.WriteFiles(t, dir, map[string]string{
				"Dockerfile": "FROM golang:1.26-bookworm\nENV TEST_RUN=" + id + `
COPY image-ca.crt /usr/local/share/ca-certificates/image-ca.crt
RUN update-ca-certificates
WORKDIR /src
COPY go.mod go.sum ./
RUN python3 -m venv /opt/venv && /opt/venv/bin/pip install cfhello && go mod download
`,
				"image-ca.crt": pipFront.CA, "go.mod": string(gomod), "go.sum": string(gosum),
			})
			gop.Requests()
			ix.Downloads()
			attrs := merge(bed.ContextAttrs(), tc.attrs, map[string]string{"build-arg:BUILDKIT_CACHE_MOUNT_NS": id})
			b, err := testenv.TrySolve(c, testenv.SolveOpt{Dir: dir, Frontend: cachefront.Build, Attrs: attrs, Secrets: tc.secrets})
			if d := ix.Downloads(); d["cfhello-1.0.0-py3-none-any.whl"] != 1 {
				t.Fatalf("pip did not download cfhello from the index the image trusts: %v\n%s", d, b.Logs.String())
			}
			if !tc.ok {
				if err == nil || !strings.Contains(b.Logs.String(), "x509: certificate signed by unknown authority") {
					t.Fatalf("without the CA setting the go step did not fail on the certificate (err %v):\n%s", err, b.Logs.String())
				}
				return
			}
			if err != nil {
				t.Fatalf("build failed: %v\n%s", err, b.Logs.String())
			}
			if n := testenv.Zips(gop.Requests()); n < 2 {
				t.Fatalf("the go command fetched %d module zips through the HTTPS proxy", n)
			}
		})
	}
}

// The user's path for a mirror given as a build arg (`docker buildx build
// --build-arg CACHEFRONT_NPM_REGISTRY=URL`) with the cachefront image: with
// a mode=max provenance attestation the URL's token is in it, in the
// build's arguments and in the npm step's env in the build's definition;
// mode=min leaves both out (BuildKit's docs/attestations/
// slsa-definitions.md: "When building with min mode, the build arguments
// are not included"). It is never in the image.
func TestMirrorBuildArgTokenBuildx(t *testing.T) {
	bed := testenv.Require(t)
	m := startMirrors(t, bed)
	mc := mirrorCases[slices.IndexFunc(mirrorCases, func(mc mirrorCase) bool { return mc.name == "npm" })]
	id := runID(t)
	dir := mirrorContext(t, bed, mc, mc.body, id)
	replaceInFile(t, filepath.Join(dir, "Dockerfile"), "FROM ", "# syntax="+bed.Image("cachefront:dev")+"\nFROM ")
	const token = "SECRETTOKEN123"
	mirror := strings.Replace(m.npm.URL, "http://", "http://cfuser:"+token+"@", 1)
	for _, mode := range []string{"min", "max"} {
		t.Run(mode, func(t *testing.T) {
			oci := filepath.Join(t.TempDir(), "image.tar")
			args := append([]string{"build", "--progress=plain", "--build-arg", "BUILDKIT_CACHE_MOUNT_NS=" + id,
				"--build-arg", mc.setting + "=" + mirror,
				"--attest", "type=provenance,mode=" + mode, "--output", "type=oci,dest=" + oci}, bed.ContextFlags()...)
			check := mc.watch(t, m)
			log := bed.Buildx(t, dir, append(args, ".")...)
			if mode == "min" {
				check(t, false) // the second build finds the step cached
			}
			found := readOCI(t, oci).search(t, token)[token]
			t.Logf("mode=%s: the token is in %d place(s):\n%s", mode, len(found), strings.Join(found, "\n"))
			want := "provenance: predicate.buildDefinition.externalParameters.request.args.build-arg:" + mc.setting
			if slices.Contains(found, want) != (mode == "max") {
				t.Errorf("the token in the provenance's build args (%s): %v, want %v", want, !(mode == "max"), mode == "max")
			}
			inEnv := slices.ContainsFunc(found, func(s string) bool { return strings.Contains(s, ".exec.meta.env[") })
			if inEnv != (mode == "max") {
				t.Errorf("the token in the steps' env in the provenance: %v, want %v (only mode=max has the definition)", inEnv, mode == "max")
			}
			for _, where := range found {
				if !strings.HasPrefix(where, "provenance: ") {
					t.Errorf("the token is in %s", where)
				}
			}
			if strings.Contains(log, token) {
				t.Logf("the build log has the token: %q", logLine(log, token))
			}
		})
	}
}

// The proxy settings reach package steps only: apt's step goes through
// CACHEFRONT_HTTP_PROXY (a counting proxy), unless CACHEFRONT_NO_PROXY names
// the archive's host; a step that runs no package manager fetches the same
// archive directly.
func TestMirrorProxySettings(t *testing.T) {
	bed := testenv.Require(t)
	c := bed.Client(t)
	archive := debianArchive(t)
	u, err := url.Parse(archive)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, run string
		noProxy   string
		proxied   bool
	}{
		{name: "apt step", proxied: true, run: "RUN apt-get update"},
		{name: "apt step, NO_PROXY", noProxy: u.Hostname(), run: "RUN apt-get update"},
		{name: "other step", run: `RUN python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1]).read()' ` +
			strings.TrimSuffix(archive, "/") + "/dists/bookworm/Release"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			testenv.WriteFiles(t, dir, map[string]string{
				"Dockerfile": "FROM golang:1.26-bookworm\nENV TEST_RUN=" + runID(t) + "\n" + tc.run + "\n"})
			proxy := testenv.StartProxy(t)
			settings := map[string]string{"CACHEFRONT_HTTP_PROXY": "http://" + proxy.Addr}
			if tc.noProxy != "" {
				settings["CACHEFRONT_NO_PROXY"] = tc.noProxy
			}
			testenv.Solve(t, c, testenv.SolveOpt{Dir: dir, Frontend: cachefront.Build,
				Attrs: merge(bed.ContextAttrs(), asBuildArgs(settings))})
			if got := proxy.Bytes() > 0; got != tc.proxied {
				t.Fatalf("the step went through the proxy: %v, want %v (%d bytes)", got, tc.proxied, proxy.Bytes())
			}
		})
	}
}

// debianArchive is the Debian archive the host's apt uses (the bed's images
// use the same), read from its sources: no host name is written here.
func debianArchive(t *testing.T) string {
	t.Helper()
	files, _ := filepath.Glob("/etc/apt/sources.list.d/*.sources")
	files = append(files, "/etc/apt/sources.list")
	for _, f := range files {
		dt, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(dt), "\n") {
			fields := strings.Fields(line)
			switch {
			case len(fields) >= 2 && fields[0] == "URIs:" && !strings.Contains(fields[1], "security"):
				return fields[1]
			case len(fields) >= 3 && fields[0] == "deb" && !strings.HasPrefix(fields[1], "["):
				return fields[1]
			}
		}
	}
	t.Fatal("no Debian archive in the host's apt sources")
	return ""
}
