package rules

import (
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
		script, edited string
		private        bool
		neutral        []string
	}{
		{script: "go mod download", private: true},
		{script: "go mod download", private: false},
		{script: "go build ./... && go clean -modcache", private: true, edited: "go build ./... && true", neutral: []string{"go clean -modcache"}},
		{script: "go build ./... && go clean -modcache", private: false, neutral: []string{"go clean -modcache"}},
	} {
		s := step(t, tc.script, golangImage, "")
		var asked []string
		s.Private = func(dir string) bool {
			asked = append(asked, dir)
			return tc.private
		}
		p := checkedRun(t, s, All(), nil)
		require.NotEmpty(t, asked, tc.script)
		for _, dir := range asked {
			require.Equal(t, "/go/pkg/mod", dir, tc.script)
		}
		want := map[string]string{"/run/cachefront/go-build": "cachefront/go-build/linux-amd64", "/go/pkg/mod/cache/download": "cachefront/go-mod"}
		if tc.private {
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
		if tc.edited != "" {
			require.Equal(t, tc.edited, edited)
		} else if !tc.private && len(tc.neutral) > 0 {
			require.Contains(t, edited, `! -name download`, "the store outside the cache is removed as written")
		}
	}
}
