package rules

import "testing"

func TestConda(t *testing.T) {
	t.Parallel()
	mounted := map[string]Mount{"/run/cachefront/conda": {ID: "cachefront/conda/linux-amd64", Sharing: Locked, Owner: "0"}}
	condaEnv := map[string]string{"CONDA_PKGS_DIRS": "/run/cachefront/conda", "CONDA_ALLOW_SOFTLINKS": "false", "CONDA_ALWAYS_SOFTLINK": "false"}
	mambaEnv := map[string]string{"CONDA_PKGS_DIRS": "/run/cachefront/conda", "MAMBA_ALLOW_SOFTLINKS": "false", "MAMBA_ALWAYS_SOFTLINK": "false"}
	managers := []string{"conda"}
	runPyCases(t, []pyCase{
		{
			name: "conda clean cleans the image's package caches, not the mount", script: "conda install -y numpy && conda clean -afy",
			managers: managers, mounts: mounted, env2: condaEnv, neutralized: []string{"conda clean"},
			edited: "conda install -y numpy && env -u CONDA_PKGS_DIRS conda clean -afy",
		},
		{
			name: "micromamba as MAMBA_USER", script: "micromamba install -y -n base -f /tmp/env.yaml && micromamba clean --all --yes",
			env: map[string]string{"MAMBA_ROOT_PREFIX": "/opt/conda"}, user: "mambauser",
			managers: managers, mounts: map[string]Mount{"/run/cachefront/conda": {ID: "cachefront/conda/linux-amd64", Sharing: Locked, Owner: "mambauser"}},
			env2: mambaEnv, neutralized: []string{"micromamba clean"},
			edited: "micromamba install -y -n base -f /tmp/env.yaml && env -u CONDA_PKGS_DIRS micromamba clean --all --yes",
		},
		{
			name: "mamba env create: both tools' link settings", script: "mamba env create -f environment.yml",
			managers: managers, mounts: mounted,
			env2: map[string]string{
				"CONDA_PKGS_DIRS": "/run/cachefront/conda", "CONDA_ALLOW_SOFTLINKS": "false", "CONDA_ALWAYS_SOFTLINK": "false",
				"MAMBA_ALLOW_SOFTLINKS": "false", "MAMBA_ALWAYS_SOFTLINK": "false",
			},
		},
		{
			name: "CONDA_PKGS_DIRS from the image: mounted where it points, clean becomes a no-op", script: "conda create -y -n app python=3.12 && conda clean -a -y",
			env:      map[string]string{"CONDA_PKGS_DIRS": "/cache/conda,/opt/conda/pkgs", "CONDA_ALWAYS_SOFTLINK": "false"},
			managers: managers, mounts: map[string]Mount{"/cache/conda": {ID: "cachefront/conda/linux-amd64", Sharing: Locked, Owner: "0"}},
			env2: map[string]string{"CONDA_ALLOW_SOFTLINKS": "false"}, neutralized: []string{"conda clean"},
			edited: "conda create -y -n app python=3.12 && true",
		},
		{
			name: "conda's alias CONDA_SOFTLINK is not given a second spelling", script: "conda install -y numpy",
			env:      map[string]string{"CONDA_SOFTLINK": "no"},
			managers: managers, mounts: mounted,
			env2: map[string]string{"CONDA_PKGS_DIRS": "/run/cachefront/conda", "CONDA_ALLOW_SOFTLINKS": "false"},
		},
		{
			name: "a CONDA_PKGS_DIRS known only at run time", script: "conda install -y numpy", env: map[string]string{"CONDA_PKGS_DIRS": "$HOME/pkgs"},
			managers: managers, note: "known only at run time",
		},
		{
			name: "a relative CONDA_PKGS_DIRS is not mounted", script: "conda install -y numpy", env: map[string]string{"CONDA_PKGS_DIRS": "pkgs"},
			managers: managers, note: "CONDA_PKGS_DIRS pkgs is not an absolute path",
		},
		{
			name: "soft links from the environment make the cache a store", script: "conda install -y numpy", env: map[string]string{"CONDA_ALLOW_SOFTLINKS": "true"},
			managers: managers, note: "CONDA_ALLOW_SOFTLINKS links environments",
		},
		{
			name: "--always-softlink makes the cache a store", script: "micromamba create -y -n x --always-softlink python",
			managers: managers, note: "--always-softlink links environments",
		},
		{
			name: "the step's own pkgs mount wins", script: "micromamba install -y python",
			cacheMounts: []string{"/opt/conda/pkgs"}, managers: managers, note: "mounts its own package cache",
		},
		{
			name: "a nested clean can't be rewritten", script: `conda install -y numpy && bash -c 'conda clean -ay'`,
			managers: managers, mounts: mounted, env2: condaEnv, note: "conda clean could not be rewritten",
		},
		{
			name: "conda clean alone cleans the image, as upstream", script: "conda clean -afy",
		},
		{
			name: "commands that download nothing", script: "conda list && conda env list && micromamba run -n base python -V && conda config --add channels x",
		},
	})
}
