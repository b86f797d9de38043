package rules

import "testing"

func TestPipx(t *testing.T) {
	t.Parallel()
	pipMount := map[string]Mount{"/run/cachefront/pip": {ID: "cachefront/pip/debian:bookworm/linux-amd64", Sharing: Shared, Owner: "0"}}
	pipEnv := map[string]string{"PIP_CACHE_DIR": "/run/cachefront/pip"}
	managers := []string{"pipx"}
	runPyCases(t, []pyCase{
		{
			name: "either backend: both caches", script: "pipx install poetry==1.8.3",
			managers: managers,
			mounts: map[string]Mount{
				"/run/cachefront/pip": {ID: "cachefront/pip/debian:bookworm/linux-amd64", Sharing: Shared, Owner: "0"},
				"/run/cachefront/uv":  {ID: "cachefront/uv/debian:bookworm/linux-amd64", Sharing: Shared, Owner: "0"},
			},
			env2: map[string]string{"PIP_CACHE_DIR": "/run/cachefront/pip", "UV_CACHE_DIR": "/run/cachefront/uv", "UV_LINK_MODE": "copy"},
		},
		{
			name: "--backend pip: pip's cache alone", script: "pipx install --backend pip black",
			managers: managers, mounts: pipMount, env2: pipEnv,
		},
		{
			name: "PIPX_DEFAULT_BACKEND=uv: uv's cache alone, UV_NO_CACHE unset", script: "pipx run cowsay hi",
			env:      map[string]string{"PIPX_DEFAULT_BACKEND": "uv", "UV_NO_CACHE": "1"},
			managers: managers, mounts: map[string]Mount{"/run/cachefront/uv": {ID: "cachefront/uv/debian:bookworm/linux-amd64", Sharing: Shared, Owner: "0"}},
			env2:  map[string]string{"UV_CACHE_DIR": "/run/cachefront/uv", "UV_LINK_MODE": "copy"},
			unset: []string{"UV_NO_CACHE"}, neutralized: []string{"UV_NO_CACHE"},
		},
		{
			name: "pip and pipx share pip's cache, PIP_NO_CACHE_DIR unset once", script: "pip install pipx && python3 -m pipx install --backend=pip httpie",
			env:      map[string]string{"PIP_NO_CACHE_DIR": "off"},
			managers: []string{"pip", "pipx"}, mounts: pipMount, env2: pipEnv,
			unset: []string{"PIP_NO_CACHE_DIR"}, neutralized: []string{"PIP_NO_CACHE_DIR"},
		},
		{
			name: "--pip-args with --no-cache-dir is noted", script: `pipx install --backend pip --pip-args="--no-cache-dir" black`,
			managers: managers, mounts: pipMount, env2: pipEnv, note: "--no-cache-dir keeps pip",
		},
		{
			name: "uv's symlink link mode: pip's cache alone", script: "pipx install black", env: map[string]string{"UV_LINK_MODE": "symlink"},
			managers: managers, mounts: pipMount, env2: pipEnv, note: "uv's cache is not mounted",
		},
		{
			name: "commands that download nothing", script: "pipx list && pipx ensurepath && pipx uninstall black",
		},
	})
}
