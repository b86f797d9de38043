package testenv

import (
	"net"
	"net/http"
	"sync"
	"testing"
	"time"
)

// serve serves h on a free loopback port and returns its host:port; closing
// the server stops it.
func serve(h http.Handler) (string, *http.Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 30 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return ln.Addr().String(), srv, nil
}

// serveT is serve for a test: it returns the http:// URL, fails t when it
// can't listen, and stops when t ends.
func serveT(t testing.TB, h http.Handler) string {
	t.Helper()
	addr, srv, err := serve(h)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return "http://" + addr
}

// pathLog records the paths a test server is asked for.
type pathLog struct {
	mu    sync.Mutex
	paths []string
}

func (l *pathLog) record(path string) {
	l.mu.Lock()
	l.paths = append(l.paths, path)
	l.mu.Unlock()
}

// Paths returns the paths asked for since the last call.
func (l *pathLog) Paths() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	p := l.paths
	l.paths = nil
	return p
}
