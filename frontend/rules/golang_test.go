package rules

import (
	"strings"
	"testing"

	"github.com/cachefront/cachefront/frontend/shell"
	"github.com/stretchr/testify/require"
)

// golangImage is the environment of the official Go image.
var golangImage = map[string]string{"GOPATH": "/go", "GOTOOLCHAIN": "local"}

var goMounts = map[string]Mount{
	"/run/cachefront/go-build":   {ID: "cachefront/go-build/linux-amd64", Sharing: Shared, Owner: "0"},
	"/go/pkg/mod/cache/download": {ID: "cachefront/go-mod", Sharing: Shared, Owner: "0"},
}

var goEnv = map[string]string{"GOCACHE": "/run/cachefront/go-build"}

// xx-go (tonistiigi/xx) runs go with GOOS, GOARCH and a cross C compiler
// for TARGETPLATFORM; its caches are go's own.
func TestGoThroughXX(t *testing.T) {
	t.Parallel()
	runCompiled(t, []compiledCase{
		{
			name: "xx-go build", script: "CGO_ENABLED=0 xx-go build -ldflags '-s -w' -o /out/app ./cmd/app && xx-verify --static /out/app", env: golangImage,
			managers: []string{"go"}, mounts: goMounts, env2: goEnv,
		},
		{
			name: "xx-go install of a tool", script: `xx-go install "gotest.tools/gotestsum@v1.12.0"`, env: golangImage,
			managers: []string{"go"}, mounts: goMounts, env2: goEnv,
		},
		{
			name: "go after xx-go --wrap", script: "xx-go --wrap && go build ./... && xx-go --unwrap", env: golangImage,
			managers: []string{"go"}, mounts: goMounts, env2: goEnv,
		},
		{
			name: "a non-root user gets the build cache only", script: "go mod download", env: golangImage, user: "app",
			managers: []string{"go"}, env2: goEnv,
			mounts: map[string]Mount{"/run/cachefront/go-build": {ID: "cachefront/go-build/linux-amd64", Sharing: Shared, Owner: "app"}},
			note:   "module downloads are not cached for user app",
		},
		{
			name: "xx-go --wrap alone downloads nothing", script: "xx-go --wrap && xx-info env", env: golangImage,
		},
		{
			name: "xx-go clean -cache keeps the cache", script: "xx-go build ./... && xx-go clean -cache", env: golangImage,
			managers: []string{"go"}, mounts: goMounts, env2: goEnv,
			edited: "xx-go build ./... && true", neutral: []string{"go clean -cache"},
		},
	})
}

// In a step whose module store no image sees (Step.Private), all of
// GOMODCACHE is a cache, the download cache stays mounted inside it, and
// go clean -modcache no longer empties it.
func TestGoPrivateModuleStore(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		script  string
		private bool
		neutral []string
	}{
		{script: "go mod download", private: true},
		{script: "go mod download", private: false},
		// A step that cleans the store keeps it in the image.
		{script: "go build ./... && go clean -modcache", private: true, neutral: []string{"go clean -modcache"}},
	} {
		s := step(t, tc.script, golangImage, "")
		var asked []string
		s.Private = func(dir string, keeps func(string, string, When) bool) bool {
			asked = append(asked, dir)
			return tc.private && keeps(s.Script, "/src", Self)
		}
		p := checkedRun(t, s, All(), nil)
		require.NotEmpty(t, asked, tc.script)
		for _, dir := range asked {
			require.Equal(t, "/go/pkg/mod", dir, tc.script)
		}
		want := map[string]string{"/run/cachefront/go-build": "cachefront/go-build/linux-amd64", "/go/pkg/mod/cache/download": "cachefront/go-mod"}
		if tc.private && !strings.Contains(tc.script, "-modcache") {
			want["/go/pkg/mod"] = "cachefront/go-modcache"
		}
		got := map[string]string{}
		for _, m := range p.Mounts {
			got[m.Target] = m.ID
		}
		require.Equal(t, want, got, tc.script)
		require.Equal(t, tc.neutral, p.Neutralized, tc.script)
		edited, err := shell.Splice(tc.script, p.Edits)
		require.NoError(t, err)
		if len(tc.neutral) > 0 {
			require.Contains(t, edited, `! -name download`, "the store outside the cache is removed as written")
		}
	}
}

// What a step before, after or at the one whose module store is private
// may do for the store to stay go's: a cache at /go/pkg/mod must hold what
// the layers would.
func TestGoStoreKept(t *testing.T) {
	t.Parallel()
	keeps := goStoreKept("/go/pkg/mod")
	for _, tc := range []struct {
		text, cwd string
		when      When
		want      bool
	}{
		{"go mod download", "/src", Self, true},
		{"go mod download", "/go", Self, false}, // relative paths reach the store
		{"go mod download", "/", Self, true},
		{"go mod download && cp -r /go/pkg/mod /vendor", "/src", Self, false},
		{"apk add --no-cache git", "/go", Before, true},
		{"apt-get update && rm -rf /var/lib/apt/lists/*", "/", Before, true},
		{"go install golang.org/x/tools/cmd/stringer@latest", "/", Before, false},
		{"mkdir -p /go && tar xf mods.tgz -C /go", "/", Before, false},
		{"CGO_ENABLED=0 go build -o /out/app .", "/src", After, true},
		{"make && ls -l /out", "/src", After, true},
		{"go clean -modcache", "/src", After, false},
		{"sed -i s/a/b/ $GOPATH/pkg/mod/x@v1/a.go", "/src", After, false},
		{"tar czf /out/mods.tgz --directory=/go .", "/src", After, false},
		{"rm -rf /tmp/build", "/src", After, false},
		{"chown -R app /srv", "/src", After, false},
		{"ls /", "/src", After, true},
	} {
		require.Equal(t, tc.want, keeps(tc.text, tc.cwd, tc.when), "%q in %s (%d)", tc.text, tc.cwd, tc.when)
	}
}

func TestGoStoreFilled(t *testing.T) {
	t.Parallel()
	// The history of golang:1.26-bookworm, and of an older golang image
	// whose install step ends with `go version`.
	golang := []string{
		"# debian.sh --arch 'amd64' out/ 'bookworm' '@1731283200'",
		"ENV GOLANG_VERSION=1.26.0", "ENV GOTOOLCHAIN=local", "ENV GOPATH=/go",
		"ENV PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"COPY /target/ / # buildkit",
		`RUN /bin/sh -c mkdir -p "$GOPATH/src" "$GOPATH/bin" && chmod -R 1777 "$GOPATH" # buildkit`,
		"WORKDIR /go",
	}
	require.False(t, goStoreFilled(golang))
	require.False(t, goStoreFilled([]string{`/bin/sh -c set -eux; url="https://dl.google.com/go/go1.18.linux-amd64.tar.gz"; tar -C /usr/local -xzf go.tgz; go version`}))
	require.False(t, goStoreFilled(nil))
	for _, h := range []string{
		"RUN /bin/sh -c go mod download # buildkit",
		"|1 GOFLAGS=-mod=mod /bin/sh -c cd /src && /usr/local/go/bin/go build ./... # buildkit",
		"RUN /bin/sh -c xx-go install golang.org/x/tools/cmd/stringer@latest # buildkit",
		"COPY /go/pkg/mod /go/pkg/mod # buildkit",
		"ENV GOMODCACHE=/cache",
	} {
		require.True(t, goStoreFilled(append(golang, h)), h)
	}
}
