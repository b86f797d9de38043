package testenv

import (
	"crypto/sha1"
	"encoding/hex"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// MavenRepo is a Maven repository on loopback: files in the Maven layout
// (group/as/dirs/artifact/version/artifact-version.ext), each with its
// .sha1, under whatever path ends in /maven2/ (a token in the path, as a
// private repository's, is accepted). It records the paths it is asked
// for, answered or not.
type MavenRepo struct {
	// URL is the server's http:// URL; the repository is URL + [prefix] +
	// "/maven2/".
	URL string

	files map[string][]byte // layout path → content
	pathLog
	authMu sync.Mutex
	auth   [2]string // user, password; none when empty
}

// RequireAuth has the repository answer 401 with a Basic challenge, as
// Nexus and Artifactory do, to requests without user and password.
func (r *MavenRepo) RequireAuth(user, password string) {
	r.authMu.Lock()
	defer r.authMu.Unlock()
	r.auth = [2]string{user, password}
}

// StartMavenRepo serves files (layout path → content); it stops when t ends.
func StartMavenRepo(t testing.TB, files map[string]string) *MavenRepo {
	t.Helper()
	r := &MavenRepo{files: map[string][]byte{}}
	for p, content := range files {
		sum := sha1.Sum([]byte(content))
		r.files[p] = []byte(content)
		r.files[p+".sha1"] = []byte(hex.EncodeToString(sum[:]))
	}
	r.URL = serveT(t, r)
	return r
}

func (r *MavenRepo) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.record(req.URL.Path)
	r.authMu.Lock()
	auth := r.auth
	r.authMu.Unlock()
	if u, p, _ := req.BasicAuth(); auth[0] != "" && (u != auth[0] || p != auth[1]) {
		w.Header().Set("WWW-Authenticate", `Basic realm="maven"`)
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	if _, rest, ok := strings.Cut(req.URL.Path, "/maven2/"); ok {
		if dt, ok := r.files[rest]; ok {
			_, _ = w.Write(dt)
			return
		}
	}
	http.NotFound(w, req)
}
