package testenv

import (
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"
)

// Proxy is a forward HTTP proxy on loopback that counts the bytes it
// receives from upstream servers: what a build downloaded. Builds use it
// through the standard proxy build args, which BuildKit keeps out of cache
// keys.
type Proxy struct {
	// Addr is host:port of the proxy.
	Addr  string
	bytes atomic.Int64
}

// StartProxy starts a counting proxy; it stops when t ends.
func StartProxy(t testing.TB) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{Addr: ln.Addr().String()}
	srv := &http.Server{Handler: p, ReadHeaderTimeout: 30 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return p
}

// Bytes returns the bytes received from upstream so far.
func (p *Proxy) Bytes() int64 { return p.bytes.Load() }

// BuildArgs are the frontend attrs that send a build's traffic through p.
func (p *Proxy) BuildArgs() map[string]string {
	url := "http://" + p.Addr
	return map[string]string{
		"build-arg:HTTP_PROXY": url, "build-arg:HTTPS_PROXY": url,
		"build-arg:http_proxy": url, "build-arg:https_proxy": url,
		"build-arg:NO_PROXY": "localhost", "build-arg:no_proxy": "localhost",
	}
}

func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodConnect {
		p.tunnel(w, r)
		return
	}
	r.RequestURI = ""
	r.Header.Del("Proxy-Connection")
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	for k, vs := range resp.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	w.WriteHeader(resp.StatusCode)
	n, _ := io.Copy(w, resp.Body)
	p.bytes.Add(n)
}

func (p *Proxy) tunnel(w http.ResponseWriter, r *http.Request) {
	up, err := net.DialTimeout("tcp", r.Host, 30*time.Second)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		up.Close()
		return
	}
	w.WriteHeader(http.StatusOK)
	conn, buf, err := hj.Hijack()
	if err != nil {
		up.Close()
		return
	}
	go func() {
		_, _ = io.Copy(up, buf)
		if c, ok := up.(*net.TCPConn); ok {
			_ = c.CloseWrite()
		}
	}()
	n, _ := io.Copy(conn, up)
	p.bytes.Add(n)
	conn.Close()
	up.Close()
}
