package rules

import "testing"

func TestPipenv(t *testing.T) {
	t.Parallel()
	mounted := map[string]Mount{"/run/cachefront/pipenv": {ID: "cachefront/pipenv/debian:bookworm/linux-amd64", Sharing: Shared, Owner: "0"}}
	env := map[string]string{"PIPENV_CACHE_DIR": "/run/cachefront/pipenv"}
	managers := []string{"pipenv"}
	runPyCases(t, []pyCase{
		{
			name: "pipenv install --system --deploy", script: "pipenv install --system --deploy",
			managers: managers, mounts: mounted, env2: env,
		},
		{
			name: "PIP_NO_CACHE_DIR in the image would reach pipenv's pip", script: "pip install pipenv && pipenv sync",
			env:      map[string]string{"PIP_NO_CACHE_DIR": "1"},
			managers: []string{"pip", "pipenv"},
			mounts: map[string]Mount{
				"/run/cachefront/pip":    {ID: "cachefront/pip/debian:bookworm/linux-amd64", Sharing: Shared, Owner: "0"},
				"/run/cachefront/pipenv": {ID: "cachefront/pipenv/debian:bookworm/linux-amd64", Sharing: Shared, Owner: "0"},
			},
			env2:  map[string]string{"PIP_CACHE_DIR": "/run/cachefront/pip", "PIPENV_CACHE_DIR": "/run/cachefront/pipenv"},
			unset: []string{"PIP_NO_CACHE_DIR"}, neutralized: []string{"PIP_NO_CACHE_DIR"},
		},
		{
			name: "pipenv --clear becomes a no-op, install --clear stays", script: "pipenv lock --clear && pipenv --clear",
			managers: managers, mounts: mounted, env2: env, neutralized: []string{"pipenv --clear"},
			edited: "pipenv lock --clear && true",
		},
		{
			name: "pipenv --clear alone cleans the image, as upstream", script: "pipenv --clear",
		},
		{
			name: "PIPENV_CACHE_DIR from the image is mounted where it points", script: "pipenv install --python 3.12",
			env:      map[string]string{"PIPENV_CACHE_DIR": "/var/cache/pipenv"},
			managers: managers, mounts: map[string]Mount{"/var/cache/pipenv": {ID: "cachefront/pipenv/debian:bookworm/linux-amd64", Sharing: Shared, Owner: "0"}},
		},
		{
			name: "a relative PIPENV_CACHE_DIR is not mounted", script: "pipenv sync", env: map[string]string{"PIPENV_CACHE_DIR": ".cache"},
			managers: managers, note: "PIPENV_CACHE_DIR .cache is not an absolute path",
		},
		{
			name: "a user through python -m pipenv", script: "python -m pipenv install --deploy", user: "1000",
			managers: managers, mounts: map[string]Mount{"/run/cachefront/pipenv": {ID: "cachefront/pipenv/debian:bookworm/linux-amd64", Sharing: Shared, Owner: "1000"}},
			env2: env,
		},
		{
			name: "the step's own mount wins", script: "pipenv install", cacheMounts: []string{"/root/.cache/pipenv"},
			managers: managers, note: "mounts its own pipenv cache",
		},
		{
			name: "commands that download nothing", script: "pipenv --venv && pipenv run python app.py && pipenv clean && pipenv requirements > r.txt",
		},
	})
}
