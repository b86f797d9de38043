package builder

import (
	"context"
	"strings"
	"testing"

	"github.com/cachefront/cachefront/frontend/rules"
	"github.com/moby/buildkit/solver/pb"
	"github.com/stretchr/testify/require"
)

// pyStep is what a Python manager's RUN step must look like in the plan.
type pyStep struct {
	line        int
	managers    []string
	mounts      map[string]rules.Mount // by target: ID prefix, Sharing and Owner checked
	env         []string
	neutralized []string
	note        string
}

// pyPlan plans dockerfile offline and returns its steps by line.
func pyPlan(t *testing.T, dockerfile string, args map[string]string) map[int]*StepReport {
	t.Helper()
	p, err := MakePlan(context.Background(), []byte(dockerfile), PlanOpt{BuildArgs: args})
	require.NoError(t, err)
	out := map[int]*StepReport{}
	for _, s := range p.Steps {
		out[s.Line] = s
	}
	return out
}

func checkPyStep(t *testing.T, steps map[int]*StepReport, want pyStep) {
	t.Helper()
	s, ok := steps[want.line]
	require.True(t, ok, "no RUN step at line %d", want.line)
	require.Equal(t, want.managers, s.Managers, "line %d", want.line)
	require.Len(t, s.Mounts, len(want.mounts), "line %d: %v", want.line, s.Mounts)
	for _, m := range s.Mounts {
		w, ok := want.mounts[m.Target]
		require.True(t, ok, "line %d: unexpected mount %s", want.line, m.Target)
		require.True(t, strings.HasPrefix(m.ID, w.ID), "line %d: id %s, want %s...", want.line, m.ID, w.ID)
		require.Equal(t, w.Sharing, m.Sharing, "line %d", want.line)
		require.Equal(t, w.Owner, m.Owner, "line %d", want.line)
	}
	if want.env == nil {
		want.env = []string{}
	}
	require.Equal(t, want.env, s.Env, "line %d", want.line)
	if want.neutralized == nil {
		want.neutralized = []string{}
	}
	require.Equal(t, want.neutralized, s.Neutralized, "line %d", want.line)
	if want.note != "" {
		require.Contains(t, strings.Join(s.Notes, "\n"), want.note, "line %d", want.line)
	}
}

// pyExecs converts and rewrites dockerfile and returns the rewritten execs'
// argv and env, after checking that BuildKit's solver loads the result.
func pyExecs(t *testing.T, dockerfile string) []*pb.Meta {
	t.Helper()
	ops, _ := rewritten(t, dockerfile, Config{})
	var metas []*pb.Meta
	for _, op := range ops {
		if exec := op.GetExec(); exec != nil {
			metas = append(metas, exec.Meta)
		}
	}
	return metas
}

// pyScript returns the argv of the rewritten exec whose argv holds marker.
func pyScript(t *testing.T, metas []*pb.Meta, marker string) *pb.Meta {
	t.Helper()
	for _, m := range metas {
		if strings.Contains(strings.Join(m.Args, "\n"), marker) {
			return m
		}
	}
	require.Fail(t, "no exec runs "+marker)
	return nil
}

func hasEnv(m *pb.Meta, key string) bool {
	for _, kv := range m.Env {
		if strings.HasPrefix(kv, key+"=") {
			return true
		}
	}
	return false
}

const uvMultiStage = `# syntax=docker/dockerfile:1
FROM python:3.12-slim AS builder
COPY --from=astral/uv:0.9.5 /uv /uvx /bin/
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy
WORKDIR /app
COPY pyproject.toml uv.lock ./
RUN uv sync --locked --no-install-project --no-dev
COPY . .
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --locked --no-dev

FROM python:3.12-slim
COPY --from=builder --chown=app:app /app /app
ENV PATH="/app/.venv/bin:$PATH"
CMD ["python", "-m", "app"]
`

const uvUser = `FROM debian:bookworm-slim
COPY --from=astral/uv:latest /uv /usr/local/bin/uv
RUN useradd --create-home app
USER app
ENV HOME=/home/app PATH=/home/app/.local/bin:$PATH
RUN <<EOF
set -e
uv python install 3.12
uv tool install --no-cache ruff
EOF
ENV UV_NO_CACHE=1
RUN uv pip install --system flask && uv cache clean
RUN ["uv", "pip", "install", "--system", "--no-cache", "httpx"]
`

func TestPlanUV(t *testing.T) {
	t.Parallel()
	steps := pyPlan(t, uvMultiStage, nil)
	uvMount := rules.Mount{ID: "cachefront/uv/python:3.12-slim/linux-", Sharing: rules.Shared, Owner: "0"}
	pyMount := rules.Mount{ID: "cachefront/uv-python", Sharing: rules.Shared, Owner: "0"}
	checkPyStep(t, steps, pyStep{
		line: 7, managers: []string{"uv"},
		mounts: map[string]rules.Mount{"/run/cachefront/uv": uvMount, "/run/cachefront/uv-python": pyMount},
		env:    []string{"UV_CACHE_DIR", "UV_PYTHON_CACHE_DIR"}, // the Dockerfile sets UV_LINK_MODE
	})
	checkPyStep(t, steps, pyStep{line: 9, managers: []string{"uv"}, note: "mounts its own uv cache"})

	steps = pyPlan(t, uvUser, nil)
	appMount := rules.Mount{ID: "cachefront/uv/debian:bookworm-slim/", Sharing: rules.Shared, Owner: "app"}
	checkPyStep(t, steps, pyStep{
		line: 6, managers: []string{"uv"},
		mounts: map[string]rules.Mount{"/run/cachefront/uv": appMount, "/run/cachefront/uv-python": {ID: "cachefront/uv-python", Sharing: rules.Shared, Owner: "app"}},
		env:    []string{"UV_CACHE_DIR", "UV_LINK_MODE", "UV_PYTHON_CACHE_DIR"}, neutralized: []string{"uv --no-cache"},
	})
	checkPyStep(t, steps, pyStep{
		line: 12, managers: []string{"uv"}, mounts: map[string]rules.Mount{"/run/cachefront/uv": appMount},
		env: []string{"UV_CACHE_DIR", "UV_LINK_MODE"}, neutralized: []string{"UV_NO_CACHE", "uv cache clean"},
	})
	checkPyStep(t, steps, pyStep{
		line: 13, managers: []string{"uv"}, mounts: map[string]rules.Mount{"/run/cachefront/uv": appMount},
		env: []string{"UV_CACHE_DIR", "UV_LINK_MODE"}, neutralized: []string{"UV_NO_CACHE"}, note: "uv --no-cache could not be rewritten",
	})

	metas := pyExecs(t, uvUser)
	heredoc := pyScript(t, metas, "uv python install 3.12")
	require.Contains(t, strings.Join(heredoc.Args, "\n"), "uv tool install  ruff", "--no-cache is removed from the heredoc")
	require.True(t, hasEnv(heredoc, "UV_CACHE_DIR"))
	flask := pyScript(t, metas, "uv pip install --system flask")
	require.Contains(t, strings.Join(flask.Args, "\n"), "uv pip install --system flask && true")
	require.False(t, hasEnv(flask, "UV_NO_CACHE"), "UV_NO_CACHE is unset for the step")
}

const poetryBlog = `FROM python:3.11-bookworm AS builder
RUN pip install poetry==1.8.3
ENV POETRY_NO_INTERACTION=1 \
    POETRY_VIRTUALENVS_IN_PROJECT=1 \
    POETRY_VIRTUALENVS_CREATE=1 \
    POETRY_CACHE_DIR=/tmp/poetry_cache
WORKDIR /app
COPY pyproject.toml poetry.lock ./
RUN touch README.md
RUN poetry install --without dev --no-root && rm -rf $POETRY_CACHE_DIR

FROM python:3.11-slim-bookworm AS runtime
ENV VIRTUAL_ENV=/app/.venv PATH="/app/.venv/bin:$PATH"
COPY --from=builder ${VIRTUAL_ENV} ${VIRTUAL_ENV}
COPY app ./app
ENTRYPOINT ["python", "-m", "app.main"]
`

const poetrySystem = `FROM python:3.12-slim
ENV POETRY_VIRTUALENVS_CREATE=false
RUN pip install --no-cache-dir poetry
WORKDIR /app
COPY pyproject.toml poetry.lock ./
RUN poetry install --only main --no-root --no-cache && poetry cache clear --all pypi
RUN useradd --create-home app
USER app
RUN POETRY_VIRTUALENVS_CREATE=true poetry install --no-root
`

func TestPlanPoetry(t *testing.T) {
	t.Parallel()
	steps := pyPlan(t, poetryBlog, nil)
	poetryMount := rules.Mount{ID: "cachefront/poetry/python:3.11-bookworm/", Sharing: rules.Locked, Owner: "0"}
	checkPyStep(t, steps, pyStep{
		line: 2, managers: []string{"pip"},
		mounts: map[string]rules.Mount{"/run/cachefront/pip": {ID: "cachefront/pip/python:3.11-bookworm/", Sharing: rules.Shared, Owner: "0"}},
		env:    []string{"PIP_CACHE_DIR"},
	})
	checkPyStep(t, steps, pyStep{
		line: 10, managers: []string{"poetry"}, mounts: map[string]rules.Mount{"/run/cachefront/poetry": poetryMount},
		note: "given to poetry alone",
	})
	install := pyScript(t, pyExecs(t, poetryBlog), "poetry install")
	require.Contains(t, strings.Join(install.Args, "\n"),
		"env POETRY_CACHE_DIR=/run/cachefront/poetry poetry install --without dev --no-root && rm -rf $POETRY_CACHE_DIR",
		"poetry gets the mount; the shell's POETRY_CACHE_DIR, which the cleanup removes, is the image's")
	require.Contains(t, install.Env, "POETRY_CACHE_DIR=/tmp/poetry_cache")

	steps = pyPlan(t, poetrySystem, nil)
	poetryMount.ID = "cachefront/poetry/python:3.12-slim/"
	checkPyStep(t, steps, pyStep{
		line: 6, managers: []string{"poetry"}, mounts: map[string]rules.Mount{"/run/cachefront/poetry": poetryMount},
		env: []string{"POETRY_CACHE_DIR"}, neutralized: []string{"poetry --no-cache", "poetry cache clear"},
	})
	poetryMount.Owner = "app"
	checkPyStep(t, steps, pyStep{
		line: 9, managers: []string{"poetry"}, mounts: map[string]rules.Mount{"/run/cachefront/poetry": poetryMount},
		env: []string{"POETRY_CACHE_DIR", "POETRY_VIRTUALENVS_PATH"},
	})
	metas := pyExecs(t, poetrySystem)
	user := pyScript(t, metas, "POETRY_VIRTUALENVS_CREATE=true poetry install")
	require.Contains(t, user.Env, "POETRY_VIRTUALENVS_PATH=~/.cache/pypoetry/virtualenvs", "the virtualenv stays in app's home")
}

const pipenvSystem = `FROM python:3.12
ENV PIP_NO_CACHE_DIR=1 PIPENV_VENV_IN_PROJECT=1
RUN pip install pipenv
WORKDIR /app
COPY Pipfile Pipfile.lock ./
RUN pipenv install --deploy --system && pipenv --clear
`

func TestPlanPipenvAndPipx(t *testing.T) {
	t.Parallel()
	steps := pyPlan(t, pipenvSystem, nil)
	checkPyStep(t, steps, pyStep{
		line: 6, managers: []string{"pipenv"},
		mounts: map[string]rules.Mount{"/run/cachefront/pipenv": {ID: "cachefront/pipenv/python:3.12/", Sharing: rules.Shared, Owner: "0"}},
		env:    []string{"PIPENV_CACHE_DIR"}, neutralized: []string{"PIP_NO_CACHE_DIR", "pipenv --clear"},
	})
	install := pyScript(t, pyExecs(t, pipenvSystem), "pipenv install")
	require.Contains(t, strings.Join(install.Args, "\n"), "pipenv install --deploy --system && true")
	require.False(t, hasEnv(install, "PIP_NO_CACHE_DIR"))

	steps = pyPlan(t, `FROM python:3.12
RUN pip install pipx
RUN useradd --create-home app
USER app
ENV HOME=/home/app
RUN pipx install --backend pip poetry && pipx inject poetry poetry-plugin-export
`, nil)
	checkPyStep(t, steps, pyStep{
		line: 6, managers: []string{"pipx"},
		mounts: map[string]rules.Mount{"/run/cachefront/pip": {ID: "cachefront/pip/python:3.12/", Sharing: rules.Shared, Owner: "app"}},
		env:    []string{"PIP_CACHE_DIR"},
	})
}

const condaEnv = `FROM continuumio/miniconda3:24.7.1-0
COPY environment.yml .
RUN conda env create -f environment.yml && conda clean -afy
SHELL ["conda", "run", "-n", "app", "/bin/bash", "-c"]
RUN python -c "import numpy"
`

const micromambaUser = `FROM --platform=linux/arm64 mambaorg/micromamba:2.0.5
# What the image's config says, spelled out for a plan that can't resolve it.
ENV MAMBA_USER=mambauser MAMBA_ROOT_PREFIX=/opt/conda
USER $MAMBA_USER
COPY --chown=$MAMBA_USER:$MAMBA_USER env.yaml /tmp/env.yaml
RUN micromamba install -y -n base -f /tmp/env.yaml && \
    micromamba clean --all --yes
`

func TestPlanConda(t *testing.T) {
	t.Parallel()
	steps := pyPlan(t, condaEnv, nil)
	checkPyStep(t, steps, pyStep{
		line: 3, managers: []string{"conda"},
		mounts: map[string]rules.Mount{"/run/cachefront/conda": {ID: "cachefront/conda/linux-", Sharing: rules.Locked, Owner: "0"}},
		env:    []string{"CONDA_ALLOW_SOFTLINKS", "CONDA_ALWAYS_SOFTLINK", "CONDA_PKGS_DIRS"}, neutralized: []string{"conda clean"},
	})
	checkPyStep(t, steps, pyStep{line: 5, managers: []string{}})
	create := pyScript(t, pyExecs(t, condaEnv), "conda env create")
	require.Contains(t, strings.Join(create.Args, "\n"), "conda env create -f environment.yml && env -u CONDA_PKGS_DIRS conda clean -afy")

	steps = pyPlan(t, micromambaUser, nil)
	checkPyStep(t, steps, pyStep{
		line: 6, managers: []string{"conda"},
		mounts: map[string]rules.Mount{"/run/cachefront/conda": {ID: "cachefront/conda/linux-arm64", Sharing: rules.Locked, Owner: "mambauser"}},
		env:    []string{"CONDA_PKGS_DIRS", "MAMBA_ALLOW_SOFTLINKS", "MAMBA_ALWAYS_SOFTLINK"}, neutralized: []string{"micromamba clean"},
	})
	install := pyScript(t, pyExecs(t, micromambaUser), "micromamba install")
	require.Contains(t, strings.Join(install.Args, "\n"), "env -u CONDA_PKGS_DIRS micromamba clean --all --yes")
}

const pyenvBuild = `FROM ubuntu:24.04
ENV PYENV_ROOT=/root/.pyenv PATH=/root/.pyenv/shims:/root/.pyenv/bin:$PATH
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential libssl-dev zlib1g-dev libffi-dev git \
 && rm -rf /var/lib/apt/lists/*
COPY pyenv/ /root/.pyenv/
RUN pyenv install 3.12.4 && pyenv global 3.12.4
RUN --mount=type=cache,target=/root/.pyenv/cache pyenv install 3.11.9
`

func TestPlanPyenv(t *testing.T) {
	t.Parallel()
	steps := pyPlan(t, pyenvBuild, nil)
	checkPyStep(t, steps, pyStep{
		line: 7, managers: []string{"pyenv"},
		mounts: map[string]rules.Mount{"/run/cachefront/pyenv": {ID: "cachefront/pyenv/linux-", Sharing: rules.Locked, Owner: "0"}},
		env:    []string{"PYTHON_BUILD_CACHE_PATH"},
	})
	checkPyStep(t, steps, pyStep{line: 8, managers: []string{"pyenv"}, note: "mounts its own python-build cache"})
}

func TestPlanPythonSkip(t *testing.T) {
	t.Parallel()
	steps := pyPlan(t, uvMultiStage, map[string]string{"CACHEFRONT_SKIP": "uv,poetry,pipenv,pipx,conda,pyenv"})
	checkPyStep(t, steps, pyStep{line: 7, managers: []string{}})
	steps = pyPlan(t, condaEnv, map[string]string{"CACHEFRONT_SKIP": "uv"})
	require.Equal(t, []string{"conda"}, steps[3].Managers)
}
