package testenv

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/moby/buildkit/client"
)

// The package mirrors hack/testbed runs beside buildkitd: apt-cacher-ng (an
// apt proxy) and verdaccio (an npm registry that proxies the npm registry).
// Both are long-lived and shared by every test, so a test reads their logs
// from a [Mark] it takes before its build: what a build asked for, and
// whether the mirror served it from its cache or fetched it upstream.

// Mark is a position in a mirror's log.
type Mark int64

// AptCacher is the bed's apt-cacher-ng.
type AptCacher struct {
	// URL is its address, for apt's Acquire::http::Proxy.
	URL string
	// CacheDir holds what it fetched, by host and path.
	CacheDir string
	// Log is its transfer log, one line per file: time|I or O|bytes|client|path.
	Log string
}

// AptTransfers are the files an apt-cacher-ng log shows, path → bytes.
type AptTransfers struct {
	// Fetched are the files it downloaded from upstream ("I" lines).
	Fetched map[string]int64
	// Served are the files it sent to clients ("O" lines), fetched or not.
	Served map[string]int64
}

// AptCacher returns the bed's apt-cacher-ng, failing t when it does not
// answer.
func (b *Bed) AptCacher(t testing.TB) *AptCacher {
	t.Helper()
	root := filepath.Join(b.Dir, "apt-cacher-ng")
	a := &AptCacher{
		URL:      "http://" + readAddr(t, root),
		CacheDir: filepath.Join(root, "cache"),
		Log:      filepath.Join(root, "log", "apt-cacher.log"),
	}
	ping(t, "apt-cacher-ng", a.URL+"/acng-report.html")
	return a
}

// Mark returns the end of the transfer log.
func (a *AptCacher) Mark(t testing.TB) Mark { return logEnd(t, a.Log) }

// Since returns the transfers logged after m. apt-cacher-ng logs a file
// when its transfer ends, a moment after the client has it: Since waits for
// the log to stop growing.
func (a *AptCacher) Since(t testing.TB, m Mark) AptTransfers {
	t.Helper()
	tr := AptTransfers{Fetched: map[string]int64{}, Served: map[string]int64{}}
	for _, line := range logSince(t, a.Log, m) {
		f := strings.Split(line, "|")
		if len(f) < 5 {
			continue
		}
		n, _ := strconv.ParseInt(f[2], 10, 64)
		path := strings.Join(f[4:], "|")
		switch f[1] {
		case "I":
			tr.Fetched[path] += n
		case "O":
			tr.Served[path] += n
		}
	}
	return tr
}

// Debs returns the base names of the .deb files in m.
func Debs(m map[string]int64) []string {
	var out []string
	for p := range m {
		if strings.HasSuffix(p, ".deb") {
			out = append(out, filepath.Base(p))
		}
	}
	return out
}

// Verdaccio is the bed's verdaccio.
type Verdaccio struct {
	// URL is its registry URL (with a trailing slash), for npm's registry.
	URL string
	// Storage holds the packages it has: <name>/package.json and tarballs.
	Storage string
	// Log is its JSON request log.
	Log string
}

// NpmTraffic is what a verdaccio log shows.
type NpmTraffic struct {
	// Requests are the paths clients asked for, in order.
	Requests []string
	// Upstream are the URLs verdaccio fetched from its uplink.
	Upstream []string
}

// Tarballs returns the entries of s that are package tarballs.
func Tarballs(s []string) []string {
	var out []string
	for _, p := range s {
		if strings.HasSuffix(p, ".tgz") {
			out = append(out, p)
		}
	}
	return out
}

// Verdaccio returns the bed's verdaccio, failing t when it does not answer.
func (b *Bed) Verdaccio(t testing.TB) *Verdaccio {
	t.Helper()
	root := filepath.Join(b.Dir, "verdaccio")
	v := &Verdaccio{
		URL:     "http://" + readAddr(t, root) + "/",
		Storage: filepath.Join(root, "storage"),
		Log:     filepath.Join(b.Dir, "run", "verdaccio.log"),
	}
	ping(t, "verdaccio", v.URL+"-/ping")
	return v
}

// Mark returns the end of the request log.
func (v *Verdaccio) Mark(t testing.TB) Mark { return logEnd(t, v.Log) }

// Since returns the requests logged after m.
func (v *Verdaccio) Since(t testing.TB, m Mark) NpmTraffic {
	t.Helper()
	var tr NpmTraffic
	for _, line := range logSince(t, v.Log, m) {
		var e struct {
			Msg string `json:"msg"`
			URI string `json:"uri"` // set on requests to the uplink
			Sub string `json:"sub"`
			Req *struct {
				URL string `json:"url"`
			} `json:"req"` // set on a client's request, as it arrives
		}
		if json.Unmarshal([]byte(line), &e) != nil {
			continue
		}
		switch {
		case e.URI != "" && strings.HasPrefix(e.Msg, "making request"):
			tr.Upstream = append(tr.Upstream, e.URI)
		case e.Sub == "in" && e.Req != nil:
			tr.Requests = append(tr.Requests, e.Req.URL)
		}
	}
	return tr
}

// Stored returns the tarballs verdaccio's storage holds for a package.
func (v *Verdaccio) Stored(t testing.TB, pkg string) []string {
	t.Helper()
	out, err := filepath.Glob(filepath.Join(v.Storage, pkg, "*.tgz"))
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range out {
		out[i] = filepath.Base(p)
	}
	return out
}

func readAddr(t testing.TB, root string) string {
	t.Helper()
	dt, err := os.ReadFile(filepath.Join(root, "addr"))
	if err != nil {
		t.Fatalf("the bed has no %s: %v\nstart it with `hack/testbed up`", filepath.Base(root), err)
	}
	return strings.TrimSpace(string(dt))
}

func ping(t testing.TB, name, url string) {
	t.Helper()
	c := http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("%s does not answer: %v\nstart it with `hack/testbed up`", name, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s answers %s to %s", name, resp.Status, url)
	}
}

func logEnd(t testing.TB, path string) Mark {
	t.Helper()
	fi, err := os.Stat(path)
	if os.IsNotExist(err) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return Mark(fi.Size())
}

// logSince returns the complete lines of the log at path after m, once the
// log has not grown for half a second (at most 5 seconds).
func logSince(t testing.TB, path string, m Mark) []string {
	t.Helper()
	last := Mark(-1)
	for i := 0; i < 10; i++ {
		end := logEnd(t, path)
		if end == last {
			break
		}
		last = end
		time.Sleep(500 * time.Millisecond)
	}
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if last < m {
		m = 0 // the log was started anew (the mirror restarted)
	}
	dt, err := io.ReadAll(io.NewSectionReader(f, int64(m), int64(last-m)))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(dt))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	return out
}

// SolveImage runs one build like [Solve] and exports its result as an OCI
// image layout tar to oci; it returns what the build did and the exporter's
// response ("containerimage.digest", ...).
func SolveImage(t testing.TB, c *client.Client, o SolveOpt, oci string) (*Build, map[string]string) {
	t.Helper()
	o.OCI = oci
	b := Solve(t, c, o)
	return b, b.Exporter
}

// TLSFront is an HTTPS reverse proxy on loopback in front of an HTTP
// mirror, with a certificate from a CA of its own: a mirror a build reaches
// only when it trusts CA.
type TLSFront struct {
	// URL is the target's URL with the front's scheme and address.
	URL string
	// CA is the certificate of the front's CA, PEM-encoded.
	CA string
}

// StartTLSFront serves target (an http:// URL) over HTTPS; it stops when t
// ends. It tells the target the scheme (X-Forwarded-Proto), so that URLs
// the target writes into its answers (verdaccio's tarball URLs) point to
// the front.
func StartTLSFront(t testing.TB, target string) *TLSFront {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: u.Scheme, Host: u.Host})
	direct := rp.Director
	rp.Director = func(r *http.Request) {
		direct(r)
		r.Header.Set("X-Forwarded-Proto", "https")
	}
	caPEM, cert := newCA(t)
	srv := httptest.NewUnstartedServer(rp)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // handshakes that tests make fail
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return &TLSFront{URL: srv.URL + u.Path, CA: caPEM}
}

// newCA makes a CA and a certificate it signs for 127.0.0.1.
func newCA(t testing.TB) (string, tls.Certificate) {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(now.UnixNano()), Subject: pkix.Name{CommonName: "mirror test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(now.UnixNano() + 1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:    x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
	return string(caPEM), tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}
