package testenv

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// A Crate is a library crate a CrateRegistry serves: Cargo.toml and
// src/lib.rs, no dependencies.
type Crate struct {
	Name, Version string
	// Lib is src/lib.rs.
	Lib string
}

// CrateRegistry is a Cargo sparse registry on loopback, as the Cargo book's
// registry index chapter describes it: config.json and one index file per
// crate (1/, 2/, 3/<c>/ and <ab>/<cd>/ prefixes) under the index URL, and
// the .crate archives at "dl". Whatever path comes before /index/ is kept
// in "dl", so that a token in the path (a private registry's) is sent with
// downloads too. It records the paths it is asked for.
type CrateRegistry struct {
	// URL is the server's http:// URL; a cargo source registry is
	// "sparse+" + URL + [prefix] + "/index/".
	URL string

	crates map[string][]byte   // "name/version" → .crate
	index  map[string][]string // name → index lines
	pathLog
}

// StartCrateRegistry serves crates; it stops when t ends.
func StartCrateRegistry(t testing.TB, crates ...Crate) *CrateRegistry {
	t.Helper()
	r := &CrateRegistry{crates: map[string][]byte{}, index: map[string][]string{}}
	for _, c := range crates {
		archive := crateArchive(t, c)
		sum := sha256.Sum256(archive)
		line, err := json.Marshal(map[string]any{
			"name": c.Name, "vers": c.Version, "deps": []any{}, "features": map[string]any{},
			"cksum": hex.EncodeToString(sum[:]), "yanked": false,
		})
		if err != nil {
			t.Fatal(err)
		}
		r.crates[c.Name+"/"+c.Version] = archive
		r.index[c.Name] = append(r.index[c.Name], string(line))
	}
	r.URL = serveT(t, r)
	return r
}

func (r *CrateRegistry) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.record(req.URL.Path)
	if prefix, rest, ok := strings.Cut(req.URL.Path, "/index/"); ok {
		if rest == "config.json" {
			_ = json.NewEncoder(w).Encode(map[string]string{"dl": r.URL + prefix + "/crates"})
			return
		}
		name := rest[strings.LastIndex(rest, "/")+1:]
		if lines, ok := r.index[name]; ok && rest == indexPath(name) {
			_, _ = w.Write([]byte(strings.Join(lines, "\n") + "\n"))
			return
		}
	}
	// dl + "/{crate}/{version}/download", the default when dl has no markers.
	if _, rest, ok := strings.Cut(req.URL.Path, "/crates/"); ok {
		if name, version, ok := strings.Cut(strings.TrimSuffix(rest, "/download"), "/"); ok {
			if archive, ok := r.crates[name+"/"+version]; ok {
				_, _ = w.Write(archive)
				return
			}
		}
	}
	http.NotFound(w, req)
}

// indexPath is a crate's index file, relative to the index URL.
func indexPath(name string) string {
	n := strings.ToLower(name)
	switch len(n) {
	case 1, 2:
		return string(rune('0'+len(n))) + "/" + n
	case 3:
		return "3/" + n[:1] + "/" + n
	}
	return n[:2] + "/" + n[2:4] + "/" + n
}

// crateArchive is what `cargo package` makes: a gzipped tar of
// <name>-<version>/.
func crateArchive(t testing.TB, c Crate) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	dir := c.Name + "-" + c.Version + "/"
	for name, content := range map[string]string{
		"Cargo.toml": "[package]\nname = \"" + c.Name + "\"\nversion = \"" + c.Version + "\"\nedition = \"2021\"\n",
		"src/lib.rs": c.Lib,
	} {
		if err := tw.WriteHeader(&tar.Header{Name: dir + name, Mode: 0o644, Size: int64(len(content)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(content)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// HostCargo returns the path of the host's cargo binary itself (not
// rustup's proxy), which runs on any glibc image: cargo resolves, fetches
// and vendors without rustc.
func HostCargo(t testing.TB) string {
	t.Helper()
	rustup, err := exec.LookPath("rustup")
	if err != nil {
		home, _ := os.UserHomeDir()
		rustup = filepath.Join(home, ".cargo", "bin", "rustup")
	}
	out, err := exec.Command(rustup, "which", "cargo").Output()
	if err != nil {
		t.Fatalf("%s which cargo: %v", rustup, err)
	}
	return strings.TrimSpace(string(out))
}
