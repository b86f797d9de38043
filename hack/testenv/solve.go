package testenv

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/frontend/dockerfile/builder"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/session"
	"github.com/moby/buildkit/session/secrets/secretsprovider"
	"github.com/tonistiigi/fsutil"
)

// Build is what one solve did: its vertices (by name) and whether each was
// served from the cache.
type Build struct {
	mu       sync.Mutex
	Vertices map[string]*client.Vertex
	Logs     strings.Builder
	// Exporter is the exporter's response, when the build exported.
	Exporter map[string]string
}

// Cached reports whether the vertex whose name contains sub was cached; it
// fails t when no vertex matches.
func (b *Build) Cached(t testing.TB, sub string) bool {
	t.Helper()
	for name, v := range b.Vertices {
		if strings.Contains(name, sub) {
			return v.Cached
		}
	}
	t.Fatalf("no vertex named like %q in %v", sub, b.names())
	return false
}

func (b *Build) names() []string {
	var out []string
	for n := range b.Vertices {
		out = append(out, n)
	}
	return out
}

// SolveOpt describes one Dockerfile build through the Go client.
type SolveOpt struct {
	// Dir is the build context; its Dockerfile is built.
	Dir string
	// Frontend builds in-process when set (for example upstream's
	// builder.Build or cachefront's); when nil the daemon's dockerfile.v0 does.
	Frontend gateway.BuildFunc
	// Attrs are frontend options ("build-arg:X", "target", ...).
	Attrs map[string]string
	// OCI, when set, receives the result as an OCI image layout tar, with
	// the attestations Attrs ask for ("attest:provenance"); Build.Exporter
	// then holds the exporter's response ("containerimage.digest", ...).
	OCI string
	// Output, when set, receives the result as a tar file (one stream,
	// much faster than a local directory export of a whole root filesystem).
	Output string
	// CacheExports and CacheImports go to BuildKit as they are.
	CacheExports []client.CacheOptionsEntry
	CacheImports []client.CacheOptionsEntry
	// Dockerfile, when set, is built instead of Dir's Dockerfile.
	Dockerfile string
	// Secrets are the build's secrets by id. CASecret holds the host's CA
	// bundle unless Secrets names it (an empty value: no such secret).
	Secrets map[string][]byte
}

// Solve runs one build on c and returns what it did; the test fails when the
// build fails.
func Solve(t testing.TB, c *client.Client, o SolveOpt) *Build {
	t.Helper()
	b, err := TrySolve(c, o)
	if err != nil {
		t.Fatalf("build of %s failed: %v\n%s", o.Dir, err, tail(b.Logs.String(), 60))
	}
	return b
}

// TrySolve is [Solve] that returns the error instead of failing.
func TrySolve(c *client.Client, o SolveOpt) (*Build, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	b := &Build{Vertices: map[string]*client.Vertex{}}
	fs, err := fsutil.NewFS(o.Dir)
	if err != nil {
		return b, err
	}
	dfs := fs
	if o.Dockerfile != "" {
		dir, err := os.MkdirTemp("", "dockerfile-")
		if err != nil {
			return b, err
		}
		defer os.RemoveAll(dir)
		if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(o.Dockerfile), 0o644); err != nil {
			return b, err
		}
		if dfs, err = fsutil.NewFS(dir); err != nil {
			return b, err
		}
	}
	secrets, err := buildSecrets(o.Secrets)
	if err != nil {
		return b, err
	}
	opt := client.SolveOpt{
		FrontendAttrs: map[string]string{},
		LocalMounts:   map[string]fsutil.FS{"context": fs, "dockerfile": dfs},
		CacheExports:  o.CacheExports,
		CacheImports:  o.CacheImports,
		Session:       []session.Attachable{secretsprovider.FromMap(secrets)},
	}
	for k, v := range o.Attrs {
		opt.FrontendAttrs[k] = v
	}
	for typ, out := range map[string]string{client.ExporterTar: o.Output, client.ExporterOCI: o.OCI} {
		if out == "" {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			return b, err
		}
		opt.Exports = append(opt.Exports, client.ExportEntry{Type: typ, Output: func(map[string]string) (io.WriteCloser, error) {
			return os.Create(out)
		}})
	}
	ch := make(chan *client.SolveStatus)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for st := range ch {
			b.mu.Lock()
			for _, v := range st.Vertexes {
				b.Vertices[v.Name] = v
			}
			for _, l := range st.Logs {
				b.Logs.Write(l.Data)
			}
			b.mu.Unlock()
		}
	}()
	var resp *client.SolveResponse
	if o.Frontend != nil {
		resp, err = c.Build(ctx, opt, "", o.Frontend, ch)
	} else {
		opt.Frontend = "dockerfile.v0"
		resp, err = c.Solve(ctx, nil, opt, ch)
	}
	<-done
	if resp != nil {
		b.Exporter = resp.ExporterResponse
	}
	return b, err
}

// buildSecrets is secrets plus the host's CA bundle as CASecret, unless
// secrets names it; empty values are left out.
func buildSecrets(secrets map[string][]byte) (map[string][]byte, error) {
	out := map[string][]byte{}
	if _, ok := secrets[CASecret]; !ok {
		ca, err := os.ReadFile(CABundle)
		if err != nil {
			return nil, err
		}
		out[CASecret] = ca
	}
	for id, v := range secrets {
		if len(v) > 0 {
			out[id] = v
		}
	}
	return out, nil
}

// Upstream is upstream's Dockerfile frontend, run in-process.
var Upstream gateway.BuildFunc = builder.Build

// WriteFiles writes name → content under dir (making parent directories).
func WriteFiles(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
