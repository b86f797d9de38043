package builder

import (
	"bytes"
	"context"
	"testing"

	"github.com/cachefront/cachefront/llb/rewrite/rewritetest"
	"github.com/moby/buildkit/solver/pb"
	"github.com/stretchr/testify/require"
)

func plan(t *testing.T, dockerfile string, args map[string]string) *Plan {
	t.Helper()
	p, err := MakePlan(context.Background(), []byte(dockerfile), PlanOpt{BuildArgs: args})
	require.NoError(t, err)
	return p
}

func targets(r *StepReport) []string {
	var out []string
	for _, m := range r.Mounts {
		out = append(out, m.Target)
	}
	return out
}

func TestPlan(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		dockerfile string
		args       map[string]string
		step       int // index in Steps
		managers   []string
		mounts     []string
		env        []string
		owner      string
		neutral    []string
		note       string
	}{
		{
			name: "apt with cleanup",
			dockerfile: `FROM debian:bookworm
RUN apt-get update && apt-get install -y curl && apt-get clean && rm -rf /var/lib/apt/lists/*`,
			managers: []string{"apt"}, mounts: []string{"/run/cachefront/apt"}, env: []string{}, owner: "0",
			neutral: []string{"apt-get clean"},
		},
		{
			name: "apt keeps lists when the step keeps them",
			dockerfile: `FROM debian:bookworm
RUN apt-get update && apt-get install -y curl`,
			managers: []string{"apt"}, mounts: []string{"/run/cachefront/apt"}, env: []string{}, owner: "0",
			neutral: []string{}, note: "package lists stay in the image",
		},
		{
			name: "non-root pip through sudo-less USER",
			dockerfile: `FROM python:3.12
USER app
RUN pip install --no-cache-dir -r requirements.txt`,
			managers: []string{"pip"}, mounts: []string{"/run/cachefront/pip"}, env: []string{"PIP_CACHE_DIR"}, owner: "app",
			neutral: []string{"pip --no-cache-dir"},
		},
		{
			name: "PIP_CACHE_DIR set by the Dockerfile is respected",
			dockerfile: `FROM python:3.12
ENV PIP_CACHE_DIR=/cache/pip
RUN python3 -m pip install flask`,
			managers: []string{"pip"}, mounts: []string{"/cache/pip"}, env: []string{}, owner: "0", neutral: []string{},
		},
		{
			name: "an existing cache mount wins",
			dockerfile: `FROM node:20
RUN --mount=type=cache,target=/root/.npm npm ci`,
			managers: []string{"npm"}, env: []string{}, neutral: []string{}, note: "mounts its own npm cache",
		},
		{
			name: "npm cache clean is neutralised",
			dockerfile: `FROM node:20
RUN npm ci --omit=dev && npm cache clean --force`,
			managers: []string{"npm"}, mounts: []string{"/run/cachefront/npm"}, env: []string{"npm_config_cache"}, owner: "0",
			neutral: []string{"npm cache clean"},
		},
		{
			name: "go with GOPATH from the image env",
			dockerfile: `FROM golang:1.26
ENV GOPATH=/go
RUN go mod download && go build ./...`,
			managers: []string{"go"}, mounts: []string{"/run/cachefront/go-build", "/go/pkg/mod/cache/download"},
			env: []string{"GOCACHE"}, owner: "0", neutral: []string{},
		},
		{
			name: "wrappers, sh -c and absolute paths",
			dockerfile: `FROM debian:bookworm
RUN set -eux; sudo -E /usr/bin/apt-get -y -q install curl; sh -c 'npm install left-pad'`,
			managers: []string{"apt", "npm"}, mounts: []string{"/run/cachefront/apt", "/run/cachefront/npm"},
			env: []string{"npm_config_cache"}, owner: "0", neutral: []string{},
		},
		{
			name: "exec form",
			dockerfile: `FROM node:20
RUN ["npm", "ci"]`,
			managers: []string{"npm"}, mounts: []string{"/run/cachefront/npm"}, env: []string{"npm_config_cache"}, owner: "0", neutral: []string{},
		},
		{
			name: "heredoc with a shebang",
			dockerfile: `FROM node:20
RUN <<EOF
#!/bin/bash
set -e
npm ci
EOF`,
			managers: []string{"npm"}, mounts: []string{"/run/cachefront/npm"}, env: []string{"npm_config_cache"}, owner: "0", neutral: []string{},
		},
		{
			name: "quoted text and echo are not commands",
			dockerfile: `FROM debian:bookworm
RUN echo "apt-get install -y curl" > /notes && printf 'npm ci\n' # pip install x`,
			managers: []string{}, env: []string{}, neutral: []string{},
		},
		{
			name: "opt-out comment",
			dockerfile: `FROM debian:bookworm
# cachefront: off
RUN apt-get update && apt-get install -y curl`,
			managers: []string{}, env: []string{}, neutral: []string{}, note: "# cachefront: off",
		},
		{
			name: "CACHEFRONT=off",
			dockerfile: `FROM debian:bookworm
RUN apt-get update && apt-get install -y curl`,
			args: map[string]string{"CACHEFRONT": "off"}, managers: []string{}, env: []string{}, neutral: []string{}, note: "CACHEFRONT=off",
		},
		{
			name: "CACHEFRONT_SKIP",
			dockerfile: `FROM node:20
RUN apt-get update && apt-get install -y curl && npm ci`,
			args: map[string]string{"CACHEFRONT_SKIP": "apt"}, managers: []string{"npm"}, mounts: []string{"/run/cachefront/npm"},
			env: []string{"npm_config_cache"}, owner: "0", neutral: []string{},
		},
		{
			name: "a script the parser can't read is left alone",
			dockerfile: `FROM debian:bookworm
RUN apt-get install -y curl && if then fi (`,
			managers: []string{}, env: []string{}, neutral: []string{}, note: "could not be parsed",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := plan(t, tc.dockerfile, tc.args)
			require.Greater(t, len(p.Steps), tc.step)
			s := p.Steps[tc.step]
			require.Equal(t, tc.managers, s.Managers)
			require.Equal(t, tc.mounts, targets(s))
			require.Equal(t, tc.env, s.Env)
			require.Equal(t, tc.neutral, s.Neutralized)
			for _, m := range s.Mounts {
				require.Equal(t, tc.owner, m.Owner)
				require.Contains(t, m.ID, "cachefront/")
			}
			if tc.note != "" {
				require.Contains(t, joined(s.Notes), tc.note)
			}
		})
	}
}

func joined(ss []string) string {
	var b bytes.Buffer
	for _, s := range ss {
		b.WriteString(s + "\n")
	}
	return b.String()
}

func TestPlanLinesStagesAndNamespace(t *testing.T) {
	t.Parallel()
	p := plan(t, `FROM debian:bookworm AS base
RUN apt-get update && apt-get install -y curl

FROM base AS build
RUN echo no manager here
RUN npm ci
`, map[string]string{"BUILDKIT_CACHE_MOUNT_NS": "team"})
	require.Len(t, p.Steps, 3)
	require.Equal(t, 2, p.Steps[0].Line)
	require.Equal(t, "base", p.Steps[0].Stage)
	require.Equal(t, 5, p.Steps[1].Line)
	require.Equal(t, "build", p.Steps[1].Stage)
	require.Equal(t, []string{}, p.Steps[1].Managers)
	require.Equal(t, "team/cachefront/npm", p.Steps[2].Mounts[0].ID)
	require.Contains(t, p.Notes[0], "was not resolved")
}

// The rewrite's output is byte-identical on every run, and BuildKit's
// solver loads it.
func TestRewriteDeterministicAndLoadable(t *testing.T) {
	t.Parallel()
	df := `FROM debian:bookworm AS base
RUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*
FROM base
USER app
RUN pip install -r r.txt && npm ci && GOPATH=/go go build ./... && go clean -modcache
`
	in := convert(t, df)

	first, reports, err := Rewrite(in, Config{})
	require.NoError(t, err)
	require.True(t, reports[0].Changed())
	require.NoError(t, rewritetest.Validate(first))
	require.NoError(t, rewritetest.Load(context.Background(), first))
	want := rewritetest.Marshal(first)
	for range 100 {
		again, _, err := Rewrite(in, Config{})
		require.NoError(t, err)
		require.Equal(t, want, rewritetest.Marshal(again))
	}

	// The rewritten apt step has the cache mount, the transient config and
	// no change to the image config side (env lives in the op only).
	ops, _, err := rewritetest.Ops(first)
	require.NoError(t, err)
	var found bool
	for _, op := range ops {
		exec := op.GetExec()
		if exec == nil {
			continue
		}
		for _, m := range exec.Mounts {
			if m.Dest == "/run/cachefront/apt" {
				found = true
				require.Equal(t, pb.MountType_CACHE, m.MountType)
				require.Equal(t, pb.CacheSharingOpt_LOCKED, m.CacheOpt.Sharing)
			}
		}
	}
	require.True(t, found)
}

func TestRewriteOffIsIdentity(t *testing.T) {
	t.Parallel()
	df := "FROM debian:bookworm\nRUN apt-get update && apt-get install -y curl\n"
	in := convert(t, df)
	out, _, err := Rewrite(in, Config{Off: true})
	require.NoError(t, err)
	require.Equal(t, rewritetest.Marshal(in), rewritetest.Marshal(out))
}

func TestStageOf(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]string{
		"[build 2/4] RUN npm ci":             "build",
		"[linux/arm64 build 2/4] RUN npm ci": "build",
		"[linux/arm64 2/4] RUN npm ci":       "stage-0",
		"[2/2] RUN npm ci":                   "stage-0",
		"RUN npm ci":                         "stage-0",
	} {
		require.Equal(t, want, stageOf(name), name)
	}
}

func TestParseConfig(t *testing.T) {
	t.Parallel()
	c, err := ParseConfig(map[string]string{"build-arg:CACHEFRONT_SKIP": "apt, npm", "build-arg:BUILDKIT_CACHE_MOUNT_NS": "ns"})
	require.NoError(t, err)
	require.Equal(t, map[string]bool{"apt": true, "npm": true}, c.Skip)
	require.Equal(t, "ns/", c.Namespace)
	_, err = ParseConfig(map[string]string{"build-arg:CACHEFRONT_SKIP": "apt,brew"})
	require.ErrorContains(t, err, `unknown manager "brew"`)
	_, err = ParseConfig(map[string]string{"build-arg:CACHEFRONT": "maybe"})
	require.ErrorContains(t, err, "want on or off")
}

func TestIsSelf(t *testing.T) {
	t.Parallel()
	require.True(t, IsSelf("ghcr.io/cachefront/cachefront"))
	require.True(t, IsSelf("127.0.0.1:5000/cachefront:dev"))
	require.True(t, IsSelf("ghcr.io/cachefront/cachefront:1@sha256:abc"))
	require.False(t, IsSelf("docker/dockerfile:1"))
	require.False(t, IsSelf("example.com/cachefront-fork:1"))
}
