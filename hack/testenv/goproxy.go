package testenv

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// GoProxy serves a module download directory over HTTP on loopback: a Go
// module proxy for builds (GOPROXY=URL), filled on the host by `go mod
// download` into a GOMODCACHE of its own. The Go modules reference
// (go.dev/ref/mod#module-cache) documents the layout of
// $GOMODCACHE/cache/download as the GOPROXY protocol's, servable by any
// HTTP file server. It counts the requests it serves.
type GoProxy struct {
	// URL is the proxy's URL, for GOPROXY.
	URL string
	// Dir is the module download directory served.
	Dir string

	mu       sync.Mutex
	requests map[string]int // path → count
}

// StartGoProxyDir downloads, with the host's go command and its GOPROXY,
// the modules that each directory's go.mod and go.sum require, and serves
// them; it stops when t ends. The directories are not modified: `go mod
// download` runs in a copy of their go.mod and go.sum.
func StartGoProxyDir(t testing.TB, moduleDirs ...string) *GoProxy {
	t.Helper()
	modcache := filepath.Join(t.TempDir(), "mod")
	for _, src := range moduleDirs {
		work := t.TempDir()
		for _, name := range []string{"go.mod", "go.sum"} {
			dt, err := os.ReadFile(filepath.Join(src, name))
			if err != nil {
				if name == "go.sum" && os.IsNotExist(err) {
					continue
				}
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(work, name), dt, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		cmd := exec.Command("go", "mod", "download")
		cmd.Dir = work
		// -modcacherw lets t.TempDir remove the extracted modules;
		// GOTOOLCHAIN=local keeps a go line from fetching a toolchain.
		cmd.Env = append(os.Environ(), "GOMODCACHE="+modcache, "GOFLAGS=-modcacherw", "GOWORK=off", "GOTOOLCHAIN=local")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go mod download in a copy of %s: %v\n%s", src, err, out)
		}
	}
	p := &GoProxy{Dir: filepath.Join(modcache, "cache", "download"), requests: map[string]int{}}
	if err := os.MkdirAll(p.Dir, 0o755); err != nil {
		t.Fatal(err)
	}
	files := http.FileServer(http.Dir(p.Dir))
	p.URL = serveT(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.requests[r.URL.Path]++
		p.mu.Unlock()
		files.ServeHTTP(w, r)
	}))
	return p
}

// Requests returns how often each path was requested since the last call,
// and resets the counts.
func (p *GoProxy) Requests() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	r := p.requests
	p.requests = map[string]int{}
	return r
}

// Zips counts the module zips among requests (from [GoProxy.Requests]).
func Zips(requests map[string]int) int {
	n := 0
	for path, c := range requests {
		if strings.HasSuffix(path, ".zip") {
			n += c
		}
	}
	return n
}
