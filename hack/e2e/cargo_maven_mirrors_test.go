package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	cachefront "github.com/cachefront/cachefront/frontend/builder"
	"github.com/cachefront/cachefront/hack/testenv"
)

// The tests of CACHEFRONT_CARGO_REGISTRY and CACHEFRONT_MAVEN_MIRROR, given
// as secrets with a token, against registries the test serves: the only
// source of the packages, since neither tool's default registry is
// reachable here. Without the setting the same build fails.

// checkNoToken fails t if token is in the build log, or token or any of
// more in the export: its layers, config, history or provenance.
func checkNoToken(t *testing.T, oci string, b *testenv.Build, token string, more ...string) *ociImage {
	t.Helper()
	image := readOCI(t, oci)
	if !image.hasProvenance {
		t.Fatal("the export has no provenance attestation")
	}
	for n, where := range image.search(t, append(more, token)...) {
		t.Errorf("%q is in %s", n, strings.Join(where, ", "))
	}
	if strings.Contains(b.Logs.String(), token) {
		t.Errorf("the token is in the build log: %s", logLine(b.Logs.String(), token))
	}
	return image
}

func TestMirrorCargoRegistry(t *testing.T) {
	bed := testenv.Require(t)
	c := bed.Client(t)
	reg := testenv.StartCrateRegistry(t, testenv.Crate{Name: "cfhello", Version: "1.0.0", Lib: "pub fn hello() -> &'static str { \"hello\" }\n"})
	const token = "CARGOTOKEN456"
	cargo, err := os.ReadFile(testenv.HostCargo(t))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	testenv.WriteFiles(t, dir, map[string]string{
		"Dockerfile": fmt.Sprintf(`FROM debian:bookworm
COPY cargo /usr/local/bin/cargo
WORKDIR /app
COPY Cargo.toml ./
RUN mkdir src && touch src/lib.rs
ENV TEST_RUN=%s
RUN cargo generate-lockfile && cargo vendor --respect-source-config /opt/vendor >/dev/null && ls /opt/vendor
`, runID(t)),
		"Cargo.toml": "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\ncfhello = \"1\"\n",
	})
	if err := os.WriteFile(filepath.Join(dir, "cargo"), cargo, 0o755); err != nil {
		t.Fatal(err)
	}
	attrs := merge(bed.ContextAttrs(), map[string]string{"attest:provenance": "mode=max"})

	// Without the setting, cargo reaches for its default registry and fails.
	if _, err := testenv.TrySolve(c, testenv.SolveOpt{Dir: dir, Frontend: cachefront.Build, Attrs: attrs}); err == nil {
		t.Fatal("the build without a mirror succeeded: the test's registry is not the only source")
	}
	if p := reg.Paths(); len(p) > 0 {
		t.Fatalf("the registry was asked for %v without the setting", p)
	}

	url := "sparse+" + reg.URL + "/" + token + "/index/"
	opt := testenv.SolveOpt{Dir: dir, Frontend: cachefront.Build, Attrs: attrs,
		Secrets: map[string][]byte{"cachefront-cargo-registry": []byte(url)}}
	oci := filepath.Join(t.TempDir(), "image.tar")
	b, _ := testenv.SolveImage(t, c, opt, oci)
	paths := reg.Paths()
	t.Logf("the registry served %v", paths)
	for _, want := range []string{"/" + token + "/index/config.json", "/" + token + "/index/cf/he/cfhello", "/" + token + "/crates/cfhello/1.0.0/download"} {
		if !slices.Contains(paths, want) {
			t.Errorf("cargo did not ask the registry for %s", want)
		}
	}
	image := checkNoToken(t, oci, b, token, reg.URL[len("http://"):])
	if got := image.files(t, "opt/vendor/cfhello/src/lib.rs")["opt/vendor/cfhello/src/lib.rs"]; !strings.Contains(got, "hello") {
		t.Errorf("the vendored crate is not the registry's: %q", got)
	}
	for _, d := range image.layers {
		eachFile(t, image.blobs[d], func(name string, _ []byte) {
			if name == ".cargo" || strings.HasPrefix(name, ".cargo/") {
				t.Errorf("layer %s has /%s: the mount point of cargo's config stayed", short(d), name)
			}
		})
	}

	// The secret is read at run time: the same build without it is the
	// same definition, served from the layer cache.
	b = testenv.Solve(t, c, testenv.SolveOpt{Dir: dir, Frontend: cachefront.Build, Attrs: attrs})
	if !b.Cached(t, "cargo generate-lockfile") {
		t.Error("the cargo step re-ran once the secret was off")
	}
	if p := reg.Paths(); len(p) > 0 {
		t.Errorf("the registry was asked for %v by a cached step", p)
	}
}

func TestMirrorMaven(t *testing.T) {
	bed := testenv.Require(t)
	c := bed.Client(t)
	const token = "MAVENTOKEN789"
	parent := "org/example/cachefront/cfparent/1.0/cfparent-1.0.pom"
	repo := testenv.StartMavenRepo(t, map[string]string{parent: `<project><modelVersion>4.0.0</modelVersion>
<groupId>org.example.cachefront</groupId><artifactId>cfparent</artifactId><version>1.0</version><packaging>pom</packaging></project>
`})
	repo.RequireAuth("cfuser", token)
	dir := t.TempDir()
	// The parent POM is resolved while Maven reads the project, before any
	// plugin: `mvn validate` of a pom project needs nothing else.
	testenv.WriteFiles(t, dir, map[string]string{
		"Dockerfile": fmt.Sprintf(`FROM debian:bookworm
RUN apt-get update && apt-get install -y --no-install-recommends maven
WORKDIR /app
COPY pom.xml ./
ENV TEST_RUN=%s
RUN mvn -B validate
`, runID(t)),
		"pom.xml": `<project><modelVersion>4.0.0</modelVersion>
<parent><groupId>org.example.cachefront</groupId><artifactId>cfparent</artifactId><version>1.0</version><relativePath/></parent>
<artifactId>app</artifactId><packaging>pom</packaging></project>
`,
	})
	attrs := merge(bed.ContextAttrs(), map[string]string{"attest:provenance": "mode=max"})
	secrets := map[string][]byte{"cachefront-apt-proxy": []byte(bed.AptCacher(t).URL)}

	if _, err := testenv.TrySolve(c, testenv.SolveOpt{Dir: dir, Frontend: cachefront.Build, Attrs: attrs, Secrets: secrets}); err == nil {
		t.Fatal("the build without a mirror succeeded: the test's repository is not the only source")
	}
	if p := repo.Paths(); len(p) > 0 {
		t.Fatalf("the repository was asked for %v without the setting", p)
	}

	hostPort := repo.URL[len("http://"):]
	secrets["cachefront-maven-mirror"] = []byte("http://cfuser:" + token + "@" + hostPort + "/maven2/")
	oci := filepath.Join(t.TempDir(), "image.tar")
	b, _ := testenv.SolveImage(t, c, testenv.SolveOpt{Dir: dir, Frontend: cachefront.Build, Attrs: attrs, Secrets: secrets}, oci)
	paths := repo.Paths()
	t.Logf("the repository was asked for %v", paths)
	if !slices.Contains(paths, "/maven2/"+parent) {
		t.Errorf("Maven did not ask the mirror for the parent POM")
	}
	if !strings.Contains(b.Logs.String(), "BUILD SUCCESS") {
		t.Errorf("mvn validate did not succeed:\n%s", b.Logs.String())
	}
	checkNoToken(t, oci, b, token, hostPort)
}

// Gradle runs Debian's Gradle 4.4, the oldest the init script supports;
// it resolves a dependency of a java project from mavenCentral(), which the
// init script points at the mirror, with the URL's credentials.
func TestMirrorGradle(t *testing.T) {
	bed := testenv.Require(t)
	c := bed.Client(t)
	const token = "GRADLETOKEN321"
	lib := "org/example/cachefront/cflib/1.0/cflib-1.0"
	repo := testenv.StartMavenRepo(t, map[string]string{
		lib + ".pom": `<project><modelVersion>4.0.0</modelVersion>
<groupId>org.example.cachefront</groupId><artifactId>cflib</artifactId><version>1.0</version></project>
`,
		lib + ".jar": "PK\x05\x06" + strings.Repeat("\x00", 18), // an empty zip
	})
	repo.RequireAuth("cfuser", token)
	dir := t.TempDir()
	testenv.WriteFiles(t, dir, map[string]string{
		"Dockerfile": fmt.Sprintf(`FROM debian:bookworm
RUN apt-get update && apt-get install -y --no-install-recommends gradle
WORKDIR /app
COPY build.gradle ./
ENV TEST_RUN=%s
RUN gradle --no-daemon -q resolve
`, runID(t)),
		"build.gradle": `apply plugin: 'java'
repositories { mavenCentral() }
dependencies { compile 'org.example.cachefront:cflib:1.0' }
task resolve { doLast { configurations.compile.files.each { println 'RESOLVED ' + it.name } } }
`,
	})
	attrs := merge(bed.ContextAttrs(), map[string]string{"attest:provenance": "mode=max"})
	secrets := map[string][]byte{"cachefront-apt-proxy": []byte(bed.AptCacher(t).URL)}

	if _, err := testenv.TrySolve(c, testenv.SolveOpt{Dir: dir, Frontend: cachefront.Build, Attrs: attrs, Secrets: secrets}); err == nil {
		t.Fatal("the build without a mirror succeeded: the test's repository is not the only source")
	}
	if p := repo.Paths(); len(p) > 0 {
		t.Fatalf("the repository was asked for %v without the setting", p)
	}

	hostPort := repo.URL[len("http://"):]
	secrets["cachefront-gradle-mirror"] = []byte("http://cfuser:" + token + "@" + hostPort + "/maven2/")
	oci := filepath.Join(t.TempDir(), "image.tar")
	b, _ := testenv.SolveImage(t, c, testenv.SolveOpt{Dir: dir, Frontend: cachefront.Build, Attrs: attrs, Secrets: secrets}, oci)
	paths := repo.Paths()
	t.Logf("the repository was asked for %v", paths)
	for _, want := range []string{"/maven2/" + lib + ".pom", "/maven2/" + lib + ".jar"} {
		if !slices.Contains(paths, want) {
			t.Errorf("Gradle did not ask the mirror for %s", want)
		}
	}
	if !strings.Contains(b.Logs.String(), "RESOLVED cflib-1.0.jar") {
		t.Errorf("gradle did not resolve the mirror's jar:\n%s", b.Logs.String())
	}
	checkNoToken(t, oci, b, token, hostPort)
}
