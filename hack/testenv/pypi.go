package testenv

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"math/rand"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// Index is a PEP 503 simple index on loopback serving pure-Python wheels
// made by the test, so pip can be tested where the public index is not
// reachable. It counts the wheel downloads it serves.
type Index struct {
	// URL is the index URL, for PIP_INDEX_URL.
	URL string
	// Host is its host, for PIP_TRUSTED_HOST.
	Host string

	mu        sync.Mutex
	wheels    map[string][]byte // file name → content
	downloads map[string]int
	srv       *http.Server
}

// StartIndex serves a wheel for each "name==version" in pkgs; it stops when
// t ends. Each wheel carries size bytes of incompressible padding.
func StartIndex(t testing.TB, size int, pkgs ...string) *Index {
	t.Helper()
	var wheels []Wheel
	for _, p := range pkgs {
		name, version, _ := strings.Cut(p, "==")
		wheels = append(wheels, Wheel{Name: name, Version: version, Size: size})
	}
	ix, err := NewIndex(wheels...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ix.Close)
	return ix
}

// A Wheel is a pure-Python package an Index serves: a module that returns
// its name, and Size bytes of incompressible padding.
type Wheel struct {
	Name, Version string
	Size          int
}

// NewIndex serves wheels; Close stops it.
func NewIndex(wheels ...Wheel) (*Index, error) {
	ix := &Index{wheels: map[string][]byte{}, downloads: map[string]int{}}
	for _, w := range wheels {
		file := fmt.Sprintf("%s-%s-py3-none-any.whl", w.Name, w.Version)
		dt, err := makeWheel(w.Name, w.Version, w.Size)
		if err != nil {
			return nil, err
		}
		ix.wheels[file] = dt
	}
	addr, srv, err := serve(ix)
	if err != nil {
		return nil, err
	}
	ix.Host, ix.URL, ix.srv = "127.0.0.1", "http://"+addr+"/simple/", srv
	return ix, nil
}

// Close stops the index.
func (ix *Index) Close() { _ = ix.srv.Close() }

// Downloads returns how often each wheel was downloaded, and resets counts.
func (ix *Index) Downloads() map[string]int {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	d := ix.downloads
	ix.downloads = map[string]int{}
	return d
}

func (ix *Index) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	switch {
	case strings.HasPrefix(r.URL.Path, "/simple/"):
		project := strings.Trim(strings.TrimPrefix(r.URL.Path, "/simple/"), "/")
		var b strings.Builder
		b.WriteString("<!DOCTYPE html><html><body>\n")
		for file, dt := range ix.wheels {
			if project == "" || strings.HasPrefix(file, project+"-") {
				fmt.Fprintf(&b, "<a href=\"/files/%s#sha256=%x\">%s</a>\n", file, sha256.Sum256(dt), file)
			}
		}
		b.WriteString("</body></html>\n")
		w.Header().Set("Content-Type", "text/html")
		w.Header().Set("Cache-Control", "max-age=600, public")
		fmt.Fprint(w, b.String())
	case strings.HasPrefix(r.URL.Path, "/files/"):
		file := strings.TrimPrefix(r.URL.Path, "/files/")
		dt, ok := ix.wheels[file]
		if !ok {
			http.NotFound(w, r)
			return
		}
		ix.downloads[file]++
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Cache-Control", "max-age=365000000, immutable, public")
		_, _ = w.Write(dt)
	default:
		http.NotFound(w, r)
	}
}

func makeWheel(name, version string, size int) ([]byte, error) {
	pad := make([]byte, size)
	rand.New(rand.NewSource(int64(len(name) * 7919))).Read(pad)
	dist := fmt.Sprintf("%s-%s.dist-info", name, version)
	files := []struct {
		name string
		data []byte
	}{
		{name + "/__init__.py", []byte(fmt.Sprintf("def greeting():\n    return %q\n\ndef name():\n    return %q\n", "hello", name))},
		{name + "/padding.bin", pad},
		{dist + "/METADATA", []byte(fmt.Sprintf("Metadata-Version: 2.1\nName: %s\nVersion: %s\n", name, version))},
		{dist + "/WHEEL", []byte("Wheel-Version: 1.0\nGenerator: cachefront-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n")},
	}
	var record strings.Builder
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range files {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f.name, Method: zip.Store})
		if err != nil {
			return nil, err
		}
		_, _ = w.Write(f.data)
		sum := sha256.Sum256(f.data)
		fmt.Fprintf(&record, "%s,sha256=%s,%d\n", f.name, base64.RawURLEncoding.EncodeToString(sum[:]), len(f.data))
	}
	fmt.Fprintf(&record, "%s/RECORD,,\n", dist)
	w, err := zw.Create(dist + "/RECORD")
	if err != nil {
		return nil, err
	}
	_, _ = w.Write([]byte(record.String()))
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
