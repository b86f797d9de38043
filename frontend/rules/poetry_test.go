package rules

import "testing"

func TestPoetry(t *testing.T) {
	t.Parallel()
	mounted := map[string]Mount{"/run/cachefront/poetry": {ID: "cachefront/poetry/debian:bookworm/linux-amd64", Sharing: Locked, Owner: "0"}}
	managers := []string{"poetry"}
	runPyCases(t, []pyCase{
		{
			name: "root: the cache moves, the virtualenvs stay where they were", script: "poetry install --no-root",
			managers: managers, mounts: mounted,
			env2: map[string]string{"POETRY_CACHE_DIR": "/run/cachefront/poetry", "POETRY_VIRTUALENVS_PATH": "/root/.cache/pypoetry/virtualenvs"},
		},
		{
			name: "virtualenvs not created: nothing to pin", script: "poetry install --only main --no-interaction",
			env:      map[string]string{"POETRY_VIRTUALENVS_CREATE": "false"},
			managers: managers, mounts: mounted, env2: map[string]string{"POETRY_CACHE_DIR": "/run/cachefront/poetry"},
		},
		{
			name: "virtualenvs in the project: nothing to pin", script: "poetry sync",
			env:      map[string]string{"POETRY_VIRTUALENVS_IN_PROJECT": "1"},
			managers: managers, mounts: mounted, env2: map[string]string{"POETRY_CACHE_DIR": "/run/cachefront/poetry"},
		},
		{
			name: "poetry reads only true and 1 as true", script: "poetry install",
			env:      map[string]string{"POETRY_VIRTUALENVS_IN_PROJECT": "yes"},
			managers: managers, mounts: mounted,
			env2: map[string]string{"POETRY_CACHE_DIR": "/run/cachefront/poetry", "POETRY_VIRTUALENVS_PATH": "/root/.cache/pypoetry/virtualenvs"},
		},
		{
			name: "poetry config in the step turns virtualenvs off", script: "poetry config virtualenvs.create false && poetry install",
			managers: managers, mounts: mounted, env2: map[string]string{"POETRY_CACHE_DIR": "/run/cachefront/poetry"},
		},
		{
			name: "poetry config in the step sets the virtualenvs path", script: "poetry config virtualenvs.path /venvs && poetry install",
			managers: managers, mounts: mounted, env2: map[string]string{"POETRY_CACHE_DIR": "/run/cachefront/poetry"},
		},
		{
			name: "poetry config cache-dir in the step: left as written", script: "poetry config cache-dir /pc && poetry install",
			managers: managers, note: "configures cache-dir",
		},
		{
			name: "a user of unknown home: poetry expands ~ itself", script: "poetry install", user: "app",
			managers: managers, mounts: map[string]Mount{"/run/cachefront/poetry": {ID: "cachefront/poetry/debian:bookworm/linux-amd64", Sharing: Locked, Owner: "app"}},
			env2: map[string]string{"POETRY_CACHE_DIR": "/run/cachefront/poetry", "POETRY_VIRTUALENVS_PATH": "~/.cache/pypoetry/virtualenvs"},
		},
		{
			name: "XDG_CACHE_HOME decides the default", script: "poetry install", env: map[string]string{"XDG_CACHE_HOME": "/xdg"},
			managers: managers, mounts: mounted,
			env2: map[string]string{"POETRY_CACHE_DIR": "/run/cachefront/poetry", "POETRY_VIRTUALENVS_PATH": "/xdg/pypoetry/virtualenvs"},
		},
		{
			name:     "POETRY_CACHE_DIR from the image: poetry gets the mount, the shell's cleanup cleans the image",
			script:   `poetry install --without dev --no-root && rm -rf $POETRY_CACHE_DIR`,
			env:      map[string]string{"POETRY_CACHE_DIR": "/tmp/poetry_cache", "POETRY_VIRTUALENVS_IN_PROJECT": "1"},
			managers: managers, mounts: mounted,
			edited: `env POETRY_CACHE_DIR=/run/cachefront/poetry poetry install --without dev --no-root && rm -rf $POETRY_CACHE_DIR`,
			note:   "given to poetry alone",
		},
		{
			name: "POETRY_CACHE_DIR inline, virtualenvs pinned under it", script: `POETRY_CACHE_DIR='/tmp/p c' sudo -E poetry install`,
			managers: managers, mounts: mounted,
			edited: `POETRY_CACHE_DIR='/tmp/p c' sudo -E env POETRY_CACHE_DIR=/run/cachefront/poetry POETRY_VIRTUALENVS_PATH='/tmp/p c/virtualenvs' poetry install`,
			note:   "given to poetry alone",
		},
		{
			name: "POETRY_CACHE_DIR set and the command nested: not cached", script: `sh -c 'poetry install'`,
			env:      map[string]string{"POETRY_CACHE_DIR": "/tmp/pc"},
			managers: managers, note: "can't be edited",
		},
		{
			name: "--no-cache is removed, cache clear becomes a no-op", script: "poetry --no-cache install && poetry cache clear pypi --all",
			env:      map[string]string{"POETRY_VIRTUALENVS_CREATE": "false"},
			managers: managers, mounts: mounted, env2: map[string]string{"POETRY_CACHE_DIR": "/run/cachefront/poetry"},
			neutralized: []string{"poetry --no-cache", "poetry cache clear"},
			edited:      "poetry  install && true",
		},
		{
			name: "poetry cache clear of the image's own directory is kept", script: "poetry install && poetry cache clear --all pypi",
			env:      map[string]string{"POETRY_CACHE_DIR": "/tmp/pc", "POETRY_VIRTUALENVS_CREATE": "false"},
			managers: managers, mounts: mounted,
			edited: "env POETRY_CACHE_DIR=/run/cachefront/poetry poetry install && poetry cache clear --all pypi",
			note:   "given to poetry alone",
		},
		{
			name: "poetry self add and python -m poetry", script: "python3 -m poetry self add poetry-plugin-export",
			env:      map[string]string{"POETRY_VIRTUALENVS_CREATE": "false"},
			managers: managers, mounts: mounted, env2: map[string]string{"POETRY_CACHE_DIR": "/run/cachefront/poetry"},
		},
		{
			name: "the step's own mount wins", script: "poetry install", cacheMounts: []string{"/root/.cache/pypoetry/artifacts"},
			managers: managers, note: "mounts its own poetry cache",
		},
		{
			name: "commands that download nothing", script: "poetry --version && poetry run python app.py && poetry build && poetry config --list",
		},
	})
}
