package testenv

import (
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Proxy is a forward HTTP proxy on loopback that counts the bytes it
// receives from upstream servers: what a build downloaded. Builds use it
// through the standard proxy build args, which BuildKit keeps out of cache
// keys. It can also play a slow link (SetRate).
type Proxy struct {
	// Addr is host:port of the proxy.
	Addr  string
	bytes atomic.Int64
	link  link
	srv   *http.Server
}

// StartProxy starts a counting proxy; it stops when t ends.
func StartProxy(t testing.TB) *Proxy {
	t.Helper()
	p, err := NewProxy()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

// NewProxy starts a counting proxy; Close stops it.
func NewProxy() (*Proxy, error) {
	p := &Proxy{}
	var err error
	if p.Addr, p.srv, err = serve(p); err != nil {
		return nil, err
	}
	return p, nil
}

// Close stops the proxy and drops its connections.
func (p *Proxy) Close() { _ = p.srv.Close() }

// Bytes returns the bytes received from upstream so far.
func (p *Proxy) Bytes() int64 { return p.bytes.Load() }

// SetRate limits what all of the proxy's connections together receive from
// upstream to bits per second, as one shared link would; 0 lifts the limit.
func (p *Proxy) SetRate(bits int64) { p.link.setRate(bits) }

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
	_, _ = p.copy(w, resp.Body)
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
	_, _ = p.copy(conn, up)
	conn.Close()
	up.Close()
}

// copy is io.Copy from upstream to the client, counted and paced by the
// link.
func (p *Proxy) copy(dst io.Writer, src io.Reader) (int64, error) {
	buf := make([]byte, 32<<10)
	var total int64
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.bytes.Add(int64(n))
			p.link.wait(n)
			w, werr := dst.Write(buf[:n])
			total += int64(w)
			if werr != nil {
				return total, werr
			}
		}
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

// link paces bytes through one shared queue: each chunk is sent when the
// chunks before it would have crossed a link of the set rate.
type link struct {
	mu   sync.Mutex
	bits int64
	free time.Time // when the link has sent everything queued so far
}

func (l *link) setRate(bits int64) {
	l.mu.Lock()
	l.bits, l.free = bits, time.Time{}
	l.mu.Unlock()
}

func (l *link) wait(n int) {
	l.mu.Lock()
	if l.bits <= 0 {
		l.mu.Unlock()
		return
	}
	now := time.Now()
	if l.free.Before(now) {
		l.free = now
	}
	l.free = l.free.Add(time.Duration(int64(n) * 8 * int64(time.Second) / l.bits))
	until := l.free
	l.mu.Unlock()
	time.Sleep(time.Until(until))
}
