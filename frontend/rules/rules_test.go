package rules

import (
	"testing"

	"github.com/cachefront/cachefront/frontend/shell"
	"github.com/stretchr/testify/require"
)

// step parses script as a RUN step as root on debian:bookworm.
func step(t *testing.T, script string, env map[string]string, user string) *Step {
	t.Helper()
	cmds, err := shell.Parse(script)
	require.NoError(t, err)
	if env == nil {
		env = map[string]string{}
	}
	return &Step{Script: script, Spliceable: true, Commands: cmds, Env: env, User: user, Platform: "linux/amd64", Base: "debian:bookworm"}
}

func TestRules(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		script   string
		env      map[string]string
		user     string
		managers []string
		mounts   map[string]Mount // by target; ID and Sharing and Owner checked
		env2     map[string]string
		unset    []string
		edited   string // the script after the plan's edits
	}{
		{
			name: "apt update+install with lists removal caches lists", script: "apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*",
			managers: []string{"apt"},
			mounts:   map[string]Mount{"/run/cachefront/apt": {ID: "cachefront/apt/debian:bookworm/linux-amd64", Sharing: Locked, Owner: "0"}},
			env2:     map[string]string{}, edited: "apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*",
		},
		{
			name: "apt-get clean cleans the image's archives", script: "apt-get install -y curl; apt-get clean",
			managers: []string{"apt"},
			mounts:   map[string]Mount{"/run/cachefront/apt": {ID: "cachefront/apt/debian:bookworm/linux-amd64", Sharing: Locked, Owner: "0"}},
			env2:     map[string]string{}, edited: "apt-get install -y curl; apt-get -o Dir::Cache::archives=/var/cache/apt/archives/ clean",
		},
		{
			name: "apt-get without a download verb", script: "apt-get --version && apt-cache policy curl",
			env2: map[string]string{}, edited: "apt-get --version && apt-cache policy curl",
		},
		{
			name: "pip in a venv as a user with --no-cache-dir", script: "/opt/venv/bin/pip install --no-cache-dir -r req.txt", user: "1000:1000",
			managers: []string{"pip"},
			mounts:   map[string]Mount{"/run/cachefront/pip": {ID: "cachefront/pip/debian:bookworm/linux-amd64", Sharing: Shared, Owner: "1000:1000"}},
			env2:     map[string]string{"PIP_CACHE_DIR": "/run/cachefront/pip"}, edited: "/opt/venv/bin/pip install  -r req.txt",
		},
		{
			name: "python -m pip with PIP_NO_CACHE_DIR in the image", script: "python3.12 -m pip install flask", env: map[string]string{"PIP_NO_CACHE_DIR": "1"},
			managers: []string{"pip"},
			mounts:   map[string]Mount{"/run/cachefront/pip": {ID: "cachefront/pip/debian:bookworm/linux-amd64", Sharing: Shared, Owner: "0"}},
			env2:     map[string]string{"PIP_CACHE_DIR": "/run/cachefront/pip"}, unset: []string{"PIP_NO_CACHE_DIR"}, edited: "python3.12 -m pip install flask",
		},
		{
			name: "python without -m pip", script: "python3 -m venv /opt/venv && python3 setup.py install",
			env2: map[string]string{}, edited: "python3 -m venv /opt/venv && python3 setup.py install",
		},
		{
			name: "npm through gosu", script: "gosu node npm ci && npm cache clean --force",
			managers: []string{"npm"},
			mounts:   map[string]Mount{"/run/cachefront/npm": {ID: "cachefront/npm", Sharing: Shared, Owner: "node"}},
			env2:     map[string]string{"npm_config_cache": "/run/cachefront/npm"}, edited: "gosu node npm ci && true",
		},
		{
			name: "npm cache set by the image", script: "npm install", env: map[string]string{"NPM_CONFIG_CACHE": "/cache/npm"},
			managers: []string{"npm"},
			mounts:   map[string]Mount{"/cache/npm": {ID: "cachefront/npm", Sharing: Shared, Owner: "0"}},
			env2:     map[string]string{}, edited: "npm install",
		},
		{
			name: "go with GOMODCACHE and go clean -cache", script: "go build ./... && go clean -cache", env: map[string]string{"GOMODCACHE": "/mod", "GOCACHE": "/gocache"},
			managers: []string{"go"},
			mounts: map[string]Mount{
				"/gocache":            {ID: "cachefront/go-build/linux-amd64", Sharing: Shared, Owner: "0"},
				"/mod/cache/download": {ID: "cachefront/go-mod", Sharing: Shared, Owner: "0"},
			},
			env2: map[string]string{}, edited: "go build ./... && true",
		},
		{
			name: "go as a user whose home is unknown", script: "go mod download", user: "app",
			managers: []string{"go"},
			mounts:   map[string]Mount{"/run/cachefront/go-build": {ID: "cachefront/go-build/linux-amd64", Sharing: Shared, Owner: "app"}},
			env2:     map[string]string{"GOCACHE": "/run/cachefront/go-build"}, edited: "go mod download",
		},
		{
			name: "go version downloads nothing", script: "go version && go env",
			env2: map[string]string{}, edited: "go version && go env",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := step(t, tc.script, tc.env, tc.user)
			p := checkedRun(t, s, All(), nil)
			require.Equal(t, tc.managers, p.Managers)
			require.Len(t, p.Mounts, len(tc.mounts))
			for _, m := range p.Mounts {
				want, ok := tc.mounts[m.Target]
				require.True(t, ok, "unexpected mount %s", m.Target)
				require.Equal(t, want.ID, m.ID)
				require.Equal(t, want.Sharing, m.Sharing)
				require.Equal(t, want.Owner, m.Owner)
			}
			require.Equal(t, tc.env2, p.Env)
			require.Equal(t, tc.unset, p.Unset)
			got, err := shell.Splice(tc.script, p.Edits)
			require.NoError(t, err)
			require.Equal(t, tc.edited, got)
		})
	}
}

func TestSkipAndNamespace(t *testing.T) {
	t.Parallel()
	s := step(t, "apt-get install -y curl && npm ci", nil, "")
	s.Namespace = "ns/"
	p := checkedRun(t, s, All(), map[string]bool{"apt": true})
	require.Equal(t, []string{"npm"}, p.Managers)
	require.Equal(t, "ns/cachefront/npm", p.Mounts[0].ID)
}

func TestGoModcacheCleanKeepsTheDownloadCache(t *testing.T) {
	t.Parallel()
	s := step(t, "go mod download && go clean -modcache", map[string]string{"GOPATH": "/go"}, "")
	p := checkedRun(t, s, All(), nil)
	got, err := shell.Splice(s.Script, p.Edits)
	require.NoError(t, err)
	require.Contains(t, got, `! -name download`)
	_, err = shell.Parse(got)
	require.NoError(t, err, "the rewritten script must still parse")
}
