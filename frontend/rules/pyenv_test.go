package rules

import "testing"

func TestPyenv(t *testing.T) {
	t.Parallel()
	mounted := map[string]Mount{"/run/cachefront/pyenv": {ID: "cachefront/pyenv/linux-amd64", Sharing: Locked, Owner: "0"}}
	env := map[string]string{"PYTHON_BUILD_CACHE_PATH": "/run/cachefront/pyenv"}
	managers := []string{"pyenv"}
	runPyCases(t, []pyCase{
		{
			name: "pyenv install", script: "pyenv install 3.12.4 && pyenv global 3.12.4",
			env:      map[string]string{"PYENV_ROOT": "/opt/pyenv"},
			managers: managers, mounts: mounted, env2: env,
		},
		{
			name: "python-build as a user", script: "python-build 3.11.9 /opt/python", user: "build",
			managers: managers, mounts: map[string]Mount{"/run/cachefront/pyenv": {ID: "cachefront/pyenv/linux-amd64", Sharing: Locked, Owner: "build"}},
			env2: env,
		},
		{
			name: "PYTHON_BUILD_CACHE_PATH from the image is mounted where it points", script: "pyenv install -s 3.12",
			env:      map[string]string{"PYTHON_BUILD_CACHE_PATH": "/var/cache/python-build"},
			managers: managers, mounts: map[string]Mount{"/var/cache/python-build": {ID: "cachefront/pyenv/linux-amd64", Sharing: Locked, Owner: "0"}},
		},
		{
			name: "a relative PYTHON_BUILD_CACHE_PATH is not mounted", script: "pyenv install 3.12", env: map[string]string{"PYTHON_BUILD_CACHE_PATH": "cache"},
			managers: managers, note: "PYTHON_BUILD_CACHE_PATH cache is not an absolute path",
		},
		{
			name: "--keep leaves a link into the cache", script: "pyenv install -kv 3.12",
			managers: managers, note: "--keep leaves a link",
		},
		{
			name: "PYENV_BUILD_ROOT keeps the sources too", script: "pyenv install 3.12", env: map[string]string{"PYENV_BUILD_ROOT": "/src"},
			managers: managers, note: "--keep leaves a link",
		},
		{
			name: "the step's own mount at $PYENV_ROOT/cache wins", script: "pyenv install 3.12", cacheMounts: []string{"/root/.pyenv/cache"},
			managers: managers, note: "mounts its own python-build cache",
		},
		{
			name: "commands that build nothing", script: "pyenv install --list && python-build --definitions && pyenv versions",
		},
	})
}
