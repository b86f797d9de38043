package rules

import (
	"strings"
	"testing"

	"github.com/cachefront/cachefront/frontend/shell"
	"github.com/stretchr/testify/require"
)

// pyCase is one step for the Python rules, checked through All().
type pyCase struct {
	name        string
	script      string
	env         map[string]string
	user        string
	cacheMounts []string
	managers    []string
	mounts      map[string]Mount // by target: ID, Sharing and Owner checked
	env2        map[string]string
	unset       []string
	neutralized []string
	edited      string // the script after the plan's edits; "" for unchanged
	note        string // a substring of the plan's notes; "" for none
}

func runPyCases(t *testing.T, cases []pyCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := step(t, tc.script, tc.env, tc.user)
			s.CacheMounts = tc.cacheMounts
			p := checkedRun(t, s, All(), nil)
			require.Equal(t, tc.managers, p.Managers)
			got := map[string]Mount{}
			for _, m := range p.Mounts {
				got[m.Target] = Mount{ID: m.ID, Sharing: m.Sharing, Owner: m.Owner}
			}
			want := tc.mounts
			if want == nil {
				want = map[string]Mount{}
			}
			require.Equal(t, want, got)
			env2 := tc.env2
			if env2 == nil {
				env2 = map[string]string{}
			}
			require.Equal(t, env2, p.Env)
			require.Equal(t, tc.unset, p.Unset)
			require.Equal(t, tc.neutralized, p.Neutralized)
			edited, err := shell.Splice(tc.script, p.Edits)
			require.NoError(t, err)
			if tc.edited == "" {
				tc.edited = tc.script
			}
			require.Equal(t, tc.edited, edited)
			_, err = shell.Parse(edited)
			require.NoError(t, err, "the rewritten script must still parse")
			notes := strings.Join(p.Notes, "\n")
			if tc.note == "" {
				require.Empty(t, notes)
			} else {
				require.Contains(t, notes, tc.note)
			}
		})
	}
}

var (
	uvMounted = map[string]Mount{
		"/run/cachefront/uv":        {ID: "cachefront/uv/debian:bookworm/linux-amd64", Sharing: Shared, Owner: "0"},
		"/run/cachefront/uv-python": {ID: "cachefront/uv-python", Sharing: Shared, Owner: "0"},
	}
	uvOnly = map[string]Mount{
		"/run/cachefront/uv": {ID: "cachefront/uv/debian:bookworm/linux-amd64", Sharing: Shared, Owner: "0"},
	}
	uvEnv       = map[string]string{"UV_CACHE_DIR": "/run/cachefront/uv", "UV_LINK_MODE": "copy", "UV_PYTHON_CACHE_DIR": "/run/cachefront/uv-python"}
	uvEnvNoPy   = map[string]string{"UV_CACHE_DIR": "/run/cachefront/uv", "UV_LINK_MODE": "copy"}
	uvManagers  = []string{"uv"}
	appUVMounts = map[string]Mount{
		"/run/cachefront/uv":        {ID: "cachefront/uv/debian:bookworm/linux-amd64", Sharing: Shared, Owner: "app"},
		"/run/cachefront/uv-python": {ID: "cachefront/uv-python", Sharing: Shared, Owner: "app"},
	}
)

func TestUV(t *testing.T) {
	t.Parallel()
	runPyCases(t, []pyCase{
		{
			name: "uv sync as root caches packages and Pythons", script: "uv sync --locked --no-install-project",
			managers: uvManagers, mounts: uvMounted, env2: uvEnv,
		},
		{
			name: "uv pip install --no-cache: pip downloads no Python", script: "uv pip install --system --no-cache -r requirements.txt",
			managers: uvManagers, mounts: uvOnly, env2: uvEnvNoPy, neutralized: []string{"uv --no-cache"},
			edited: "uv pip install --system  -r requirements.txt",
		},
		{
			name: "-n and --no-cache-dir are --no-cache too", script: "uv -n pip install --no-cache-dir flask",
			managers: uvManagers, mounts: uvOnly, env2: uvEnvNoPy, neutralized: []string{"uv --no-cache"},
			edited: "uv  pip install  flask",
		},
		{
			name: "uv run: the arguments of the command it runs are not uv's", script: "uv run -n --with httpx python app.py --no-cache -n",
			managers: uvManagers, mounts: uvMounted, env2: uvEnv, neutralized: []string{"uv --no-cache"},
			edited: "uv run  --with httpx python app.py --no-cache -n",
		},
		{
			name: "uvx: the tool's own --no-cache is kept", script: "uvx --from ruff==0.6.0 ruff check --no-cache .",
			managers: uvManagers, mounts: uvMounted, env2: uvEnv,
		},
		{
			name: "uv tool run -- keeps what follows", script: "uv tool run -- black --no-cache",
			managers: uvManagers, mounts: uvMounted, env2: uvEnv,
		},
		{
			name: "UV_NO_CACHE in the image is unset", script: "uv pip install --system flask", env: map[string]string{"UV_NO_CACHE": "true"},
			managers: uvManagers, mounts: uvOnly, env2: uvEnvNoPy, unset: []string{"UV_NO_CACHE"}, neutralized: []string{"UV_NO_CACHE"},
		},
		{
			name: "a false UV_NO_CACHE is left alone", script: "uv pip install --system flask", env: map[string]string{"UV_NO_CACHE": "0"},
			managers: uvManagers, mounts: uvOnly, env2: uvEnvNoPy,
		},
		{
			name: "UV_NO_CACHE on the command line is noted", script: "UV_NO_CACHE=1 uv pip install --system flask",
			managers: uvManagers, mounts: uvOnly, env2: uvEnvNoPy, note: "UV_NO_CACHE set on the command line",
		},
		{
			name: "UV_CACHE_DIR from the image is mounted where it points", script: "uv sync", env: map[string]string{"UV_CACHE_DIR": "/cache/uv", "UV_LINK_MODE": "copy"},
			managers: uvManagers,
			mounts: map[string]Mount{
				"/cache/uv":                 {ID: "cachefront/uv/debian:bookworm/linux-amd64", Sharing: Shared, Owner: "0"},
				"/run/cachefront/uv-python": {ID: "cachefront/uv-python", Sharing: Shared, Owner: "0"},
			},
			env2: map[string]string{"UV_PYTHON_CACHE_DIR": "/run/cachefront/uv-python"},
		},
		{
			name: "--cache-dir is mounted where it points", script: "uv pip install --cache-dir=/tmp/uvc --link-mode hardlink flask",
			managers: uvManagers, mounts: map[string]Mount{"/tmp/uvc": {ID: "cachefront/uv/debian:bookworm/linux-amd64", Sharing: Shared, Owner: "0"}},
		},
		{
			name: "a --cache-dir known at run time is not mounted", script: `uv pip install --cache-dir "$CACHE" flask`,
			managers: uvManagers, note: "--cache-dir is known only at run time",
		},
		{
			name: "a relative --cache-dir is not mounted", script: "uv pip install --cache-dir .uv-cache flask",
			managers: uvManagers, note: "the cache directory .uv-cache is not an absolute path",
		},
		{
			name: "symlink link mode from the image makes the cache a store", script: "uv sync", env: map[string]string{"UV_LINK_MODE": "symlink"},
			managers: uvManagers, note: "symlink link mode",
		},
		{
			name: "--link-mode=symlink makes the cache a store", script: "uv pip install --link-mode=symlink flask",
			managers: uvManagers, note: "symlink link mode",
		},
		{
			name: "preview keeps project environments in the cache", script: "uv sync", env: map[string]string{"UV_PREVIEW": "1"},
			managers: uvManagers, note: "preview mode",
		},
		{
			name: "centralized-project-envs given as a flag", script: "uv --preview-features centralized-project-envs run app.py",
			managers: uvManagers, note: "preview mode",
		},
		{
			name: "preview with UV_PROJECT_ENVIRONMENT keeps the environment out of the cache", script: "uv sync --preview",
			env:      map[string]string{"UV_PROJECT_ENVIRONMENT": "/opt/venv"},
			managers: uvManagers, mounts: uvMounted, env2: uvEnv,
		},
		{
			name: "preview does not matter to uv pip", script: "uv pip install --preview --system flask",
			managers: uvManagers, mounts: uvOnly, env2: uvEnvNoPy,
		},
		{
			name: "uv cache clean and prune become no-ops", script: "uv sync && uv cache clean && uv cache prune --ci",
			managers: uvManagers, mounts: uvMounted, env2: uvEnv, neutralized: []string{"uv cache clean", "uv cache prune"},
			edited: "uv sync && true && true",
		},
		{
			name: "uv cache clean alone cleans the image, as upstream", script: "uv cache clean",
		},
		{
			name: "uv python install as a user", script: "uv python install 3.12", user: "app", env: map[string]string{"HOME": "/home/app"},
			managers: uvManagers, mounts: appUVMounts, env2: uvEnv,
		},
		{
			name: "uv tool install through gosu", script: "gosu app uv tool install ruff",
			managers: uvManagers, mounts: appUVMounts, env2: uvEnv,
		},
		{
			name: "UV_PYTHON_DOWNLOADS=manual: only uv python install downloads Pythons", script: "uv venv /opt/venv && uv pip install --python /opt/venv flask",
			env:      map[string]string{"UV_PYTHON_DOWNLOADS": "manual"},
			managers: uvManagers, mounts: uvOnly, env2: uvEnvNoPy,
		},
		{
			name: "UV_PYTHON_CACHE_DIR from the image is mounted where it points", script: "uv python install",
			env:      map[string]string{"UV_PYTHON_CACHE_DIR": "/opt/uv-python-cache"},
			managers: uvManagers,
			mounts: map[string]Mount{
				"/run/cachefront/uv":   {ID: "cachefront/uv/debian:bookworm/linux-amd64", Sharing: Shared, Owner: "0"},
				"/opt/uv-python-cache": {ID: "cachefront/uv-python", Sharing: Shared, Owner: "0"},
			},
			env2: uvEnvNoPy,
		},
		{
			name: "the step's own cache mount wins", script: "uv sync --locked", cacheMounts: []string{"/root/.cache/uv"},
			managers: uvManagers, note: "mounts its own uv cache",
		},
		{
			name: "the step's own mount at $XDG_CACHE_HOME/uv wins", script: "uv sync", env: map[string]string{"XDG_CACHE_HOME": "/xdg"},
			cacheMounts: []string{"/xdg/uv"}, managers: uvManagers, note: "mounts its own uv cache",
		},
		{
			name: "python -m uv", script: "python3 -m uv pip install flask",
			managers: uvManagers, mounts: uvOnly, env2: uvEnvNoPy,
		},
		{
			name: "uv cache dir in the step is noted", script: `uv sync && rm -rf "$(uv cache dir)"`,
			managers: uvManagers, mounts: uvMounted, env2: uvEnv, note: "`uv cache dir` prints the mounted cache",
		},
		{
			name: "a nested --no-cache can't be removed", script: `sh -c 'uv pip install --no-cache flask'`,
			managers: uvManagers, mounts: uvOnly, env2: uvEnvNoPy, note: "uv --no-cache could not be rewritten",
		},
		{
			name: "commands that download nothing", script: "uv --version && uv self update && uv tool list && uv python dir && uv pip freeze",
		},
	})
}

func TestParseUV(t *testing.T) {
	t.Parallel()
	for script, want := range map[string]string{
		"uv sync":                                "sync",
		"uv --directory /app --no-cache sync":    "sync",
		"uv pip install -r r.txt flask":          "pip install",
		"uv tool run --from x y z":               "tool run",
		"uvx ruff":                               "tool run",
		"uv run -p 3.12 python -m pip install x": "run",
		"uv -q":                                  "",
	} {
		cmds, err := shell.Parse(script)
		require.NoError(t, err)
		u, ok := parseUV(cmds[0])
		require.True(t, ok, script)
		require.Equal(t, want, u.path, script)
	}
	cmds, err := shell.Parse("uv run -p 3.12 python -m pip install x")
	require.NoError(t, err)
	u, _ := parseUV(cmds[0])
	require.Len(t, u.args, 3, "uv's own arguments end before the command it runs")
	cmds, err = shell.Parse("uvenv sync")
	require.NoError(t, err)
	_, ok := parseUV(cmds[0])
	require.False(t, ok)
}
