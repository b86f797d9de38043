package builder

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/cachefront/cachefront/frontend/rules"
	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"
	"github.com/stretchr/testify/require"
)

// A cross-compiling Go build on Alpine with tonistiigi/xx, a heredoc, and a
// runtime stage that switches USER.
const sysAlpine = `# syntax=docker/dockerfile:1
FROM --platform=$BUILDPLATFORM tonistiigi/xx:1.6.1 AS xx

FROM --platform=$BUILDPLATFORM golang:1.23-alpine AS build
COPY --from=xx / /
RUN apk add --no-cache clang lld git
ARG TARGETPLATFORM
RUN xx-apk add --no-cache musl-dev gcc
RUN <<EOF
set -e
apk update
apk add --virtual .tools make
xx-go build -o /out/app ./cmd/app
apk del .tools
rm -rf /var/cache/apk/*
EOF

FROM alpine:3.20
RUN apk --no-cache add ca-certificates tzdata && adduser -D app
USER app
RUN apk info -vv | sort > /tmp/packages
USER root
RUN --mount=type=cache,target=/etc/apk/cache apk add curl
COPY --from=build /out/app /usr/local/bin/app
USER app
`

// RPM distributions, openSUSE and a Bitnami image, all copied into one
// final stage so that every stage is built.
const sysRPM = `FROM rockylinux:9 AS rocky
RUN dnf -y install 'dnf-command(config-manager)' \
 && dnf config-manager --set-enabled crb \
 && dnf -y install --setopt=install_weak_deps=False gcc make \
 && dnf clean all && rm -rf /var/cache/dnf

FROM fedora:41 AS fedora
RUN useradd -m dev && dnf5 install -y sudo
USER dev
RUN sudo dnf install -y git-core
RUN <<EOF
#!/bin/bash
dnf install -y jq
EOF

FROM registry.access.redhat.com/ubi9/ubi-minimal:9.4 AS ubi
RUN microdnf install -y tar gzip && microdnf clean all

FROM centos:7 AS legacy
RUN yum install -y epel-release && yum clean all

FROM opensuse/leap:15.6 AS suse
RUN zypper --non-interactive ref \
 && zypper --non-interactive in --no-recommends curl \
 && zypper clean --all

FROM bitnami/minideb:bookworm
RUN install_packages ca-certificates curl
COPY --from=rocky /etc/os-release /rocky
COPY --from=fedora /etc/os-release /fedora
COPY --from=ubi /etc/os-release /ubi
COPY --from=legacy /etc/os-release /legacy
COPY --from=suse /etc/os-release /suse
`

// sysStep is what a step of these Dockerfiles must get.
type sysStep struct {
	line     int
	managers []string
	mount    string // target; "" for none
	id       string
	owner    string
	neutral  []string
	env      []string // variables other rules set; system managers set none
	note     string
}

func TestPlanSystemManagers(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		dockerfile string
		steps      []sysStep
	}{
		{
			name: "alpine with xx, heredoc and USER", dockerfile: sysAlpine,
			steps: []sysStep{
				{line: 6, managers: []string{"apk"}, mount: "/run/cachefront/apk", id: "cachefront/apk/golang:1.23-alpine/linux-amd64", owner: "0", neutral: []string{"apk --no-cache"}},
				{line: 8, managers: []string{"apk"}, mount: "/run/cachefront/apk", id: "cachefront/apk/golang:1.23-alpine/linux-amd64", owner: "0", neutral: []string{"apk --no-cache"}},
				{line: 9, managers: []string{"go", "apk"}, mount: "/run/cachefront/apk", id: "cachefront/apk/golang:1.23-alpine/linux-amd64", owner: "0", neutral: []string{}, env: []string{"GOCACHE"}},
				{line: 19, managers: []string{"apk"}, mount: "/run/cachefront/apk", id: "cachefront/apk/alpine:3.20/linux-amd64", owner: "0", neutral: []string{"apk --no-cache"}},
				{line: 21, managers: []string{}, neutral: []string{}},
				{line: 23, managers: []string{"apk"}, neutral: []string{}, note: "mounts its own apk cache"},
			},
		},
		{
			name: "dnf, yum, microdnf, zypper and install_packages", dockerfile: sysRPM,
			steps: []sysStep{
				{line: 2, managers: []string{"dnf"}, mount: "/run/cachefront/dnf", id: "cachefront/dnf/rockylinux:9/linux-amd64", owner: "0", neutral: []string{}},
				{line: 8, managers: []string{"dnf"}, mount: "/run/cachefront/dnf", id: "cachefront/dnf/fedora:41/linux-amd64", owner: "0", neutral: []string{}},
				{line: 10, managers: []string{"dnf"}, mount: "/run/cachefront/dnf", id: "cachefront/dnf/fedora:41/linux-amd64", owner: "0", neutral: []string{}},
				{line: 11, managers: []string{"dnf"}, neutral: []string{}, note: "could not be rewritten"},
				// Base images are keyed by their last path element.
				{line: 17, managers: []string{"dnf"}, mount: "/run/cachefront/dnf", id: "cachefront/dnf/ubi-minimal:9.4/linux-amd64", owner: "0", neutral: []string{}},
				{line: 20, managers: []string{"dnf"}, mount: "/run/cachefront/dnf", id: "cachefront/dnf/centos:7/linux-amd64", owner: "0", neutral: []string{}},
				{line: 23, managers: []string{"zypper"}, mount: "/run/cachefront/zypper", id: "cachefront/zypper/leap:15.6/linux-amd64", owner: "0", neutral: []string{}},
				{line: 28, managers: []string{"apt"}, mount: "/run/cachefront/apt", id: "cachefront/apt/minideb:bookworm/linux-amd64", owner: "0", neutral: []string{}},
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, err := MakePlan(context.Background(), []byte(tc.dockerfile), PlanOpt{BuildArgs: map[string]string{"BUILDPLATFORM": "linux/amd64"}})
			require.NoError(t, err)
			byLine := map[int]*StepReport{}
			for _, s := range p.Steps {
				byLine[s.Line] = s
			}
			for _, want := range tc.steps {
				s, ok := byLine[want.line]
				require.True(t, ok, "no step at line %d", want.line)
				require.Equal(t, want.managers, s.Managers, "line %d", want.line)
				require.Equal(t, want.neutral, s.Neutralized, "line %d", want.line)
				if want.env == nil {
					want.env = []string{}
				}
				require.Equal(t, want.env, s.Env, "line %d", want.line)
				if want.mount == "" {
					require.Empty(t, s.Mounts, "line %d", want.line)
				} else {
					i := slices.IndexFunc(s.Mounts, func(m rules.Mount) bool { return m.Target == want.mount })
					require.GreaterOrEqual(t, i, 0, "line %d: no mount at %s", want.line, want.mount)
					m := s.Mounts[i]
					require.Equal(t, want.id, m.ID, "line %d", want.line)
					require.Equal(t, want.owner, m.Owner, "line %d", want.line)
					require.EqualValues(t, "locked", m.Sharing, "line %d", want.line)
				}
				if want.note != "" {
					require.Contains(t, strings.Join(s.Notes, "\n"), want.note, "line %d", want.line)
				}
			}
		})
	}
}

// sysExecs converts df as upstream does, rewrites it, and returns the
// rewritten ops and the execs among them.
func sysExecs(t *testing.T, df string) (map[digest.Digest]*pb.Op, []*pb.Op) {
	t.Helper()
	ops, _ := rewritten(t, df, Config{})
	var execs []*pb.Op
	for _, op := range ops {
		if op.GetExec() != nil {
			execs = append(execs, op)
		}
	}
	return ops, execs
}

// sysExec returns the exec whose argv holds a word containing text.
func sysExec(t *testing.T, execs []*pb.Op, text string) *pb.ExecOp {
	t.Helper()
	var found *pb.ExecOp
	for _, op := range execs {
		for _, a := range op.GetExec().GetMeta().GetArgs() {
			if strings.Contains(a, text) {
				require.Nil(t, found, "two steps hold %q", text)
				found = op.GetExec()
				break
			}
		}
	}
	require.NotNil(t, found, "no step holds %q", text)
	return found
}

// sysMount returns the exec's mount at dest.
func sysMount(t *testing.T, e *pb.ExecOp, dest string) *pb.Mount {
	t.Helper()
	for _, m := range e.GetMounts() {
		if m.Dest == dest {
			return m
		}
	}
	require.Failf(t, "no mount", "no mount at %s", dest)
	return nil
}

// The rewritten LLB carries the edited scripts, locked cache mounts and, for
// zypper, a new cache that starts with the .keep_packages marker.
func TestRewriteSystemManagers(t *testing.T) {
	t.Parallel()
	_, execs := sysExecs(t, sysAlpine)
	e := sysExec(t, execs, "apk --cache-dir /run/cachefront/apk add --update-cache clang lld git")
	m := sysMount(t, e, "/run/cachefront/apk")
	require.Equal(t, pb.MountType_CACHE, m.MountType)
	require.Equal(t, pb.CacheSharingOpt_LOCKED, m.CacheOpt.Sharing)
	require.Equal(t, "cachefront/apk/golang:1.23-alpine/linux-amd64", m.CacheOpt.ID)
	sysExec(t, execs, "xx-apk --cache-dir /run/cachefront/apk add --update-cache musl-dev gcc")
	// The heredoc without a shebang is a shell script like any other.
	sysExec(t, execs, "apk --cache-dir /run/cachefront/apk --update-cache update\napk --cache-dir /run/cachefront/apk --update-cache add --virtual .tools make")
	sysExec(t, execs, "apk --cache-dir /run/cachefront/apk del .tools")
	sysExec(t, execs, "apk --cache-dir /run/cachefront/apk --update-cache add ca-certificates tzdata && adduser -D app")
	sysExec(t, execs, "apk info -vv | sort > /tmp/packages")
	sysExec(t, execs, "apk add curl")

	ops, execs := sysExecs(t, sysRPM)
	sysExec(t, execs, "dnf --setopt=cachedir=/run/cachefront/dnf --setopt=system_cachedir=/run/cachefront/dnf --setopt=keepcache=1 --refresh -y install 'dnf-command(config-manager)'")
	sysExec(t, execs, "sudo dnf --setopt=cachedir=/run/cachefront/dnf")
	sysExec(t, execs, "microdnf --setopt=cachedir=/run/cachefront/dnf --setopt=keepcache=1 --refresh install -y tar gzip && microdnf clean all")
	sysExec(t, execs, "yum --setopt=cachedir=/run/cachefront/dnf --setopt=keepcache=1 '--setopt=*.metadata_expire=0' install -y epel-release && yum clean all")
	e = sysExec(t, execs, "zypper --pkg-cache-dir /run/cachefront/zypper --non-interactive in --no-recommends curl")
	m = sysMount(t, e, "/run/cachefront/zypper")
	require.Equal(t, pb.CacheSharingOpt_LOCKED, m.CacheOpt.Sharing)
	require.Equal(t, "/cache", m.Selector)
	init := ops[digest.Digest(sysInput(t, execs, e, m))]
	var made []string
	for _, a := range init.GetFile().GetActions() {
		if mk := a.GetMkdir(); mk != nil {
			made = append(made, mk.Path)
		}
	}
	require.Contains(t, made, "/cache/.keep_packages")

	// install_packages is left as written; a transient apt.conf.d file moves
	// archives and lists and recreates the directories the script deletes.
	e = sysExec(t, execs, "install_packages ca-certificates curl")
	sysMount(t, e, "/run/cachefront/apt")
	conf := sysMount(t, e, "/etc/apt/apt.conf.d/zz-cachefront")
	require.True(t, conf.Readonly)
	var content string
	for _, a := range ops[digest.Digest(sysInput(t, execs, e, conf))].GetFile().GetActions() {
		if mk := a.GetMkfile(); mk != nil && mk.Path == conf.Selector {
			content = string(mk.Data)
		}
	}
	require.Contains(t, content, `Dir::State::lists "/run/cachefront/apt/lists/";`)
	require.Contains(t, content, `APT::Update::Pre-Invoke { "mkdir -p /var/lib/apt/lists /var/cache/apt/archives"; };`)
}

func TestPlanSkipSystemManagers(t *testing.T) {
	t.Parallel()
	p, err := MakePlan(context.Background(), []byte(sysRPM), PlanOpt{BuildArgs: map[string]string{"CACHEFRONT_SKIP": "dnf,zypper,apt"}})
	require.NoError(t, err)
	for _, s := range p.Steps {
		require.Empty(t, s.Managers, "line %d", s.Line)
		require.Empty(t, s.Mounts, "line %d", s.Line)
	}
	p, err = MakePlan(context.Background(), []byte(sysAlpine), PlanOpt{BuildArgs: map[string]string{"CACHEFRONT_SKIP": "apk"}})
	require.NoError(t, err)
	for _, s := range p.Steps {
		require.NotContains(t, s.Managers, "apk", "line %d", s.Line)
	}
}

// sysInput returns the digest of the op that feeds mount m of exec e.
func sysInput(t *testing.T, execs []*pb.Op, e *pb.ExecOp, m *pb.Mount) string {
	t.Helper()
	for _, op := range execs {
		if op.GetExec() == e {
			require.GreaterOrEqual(t, m.Input, int64(0))
			require.Less(t, int(m.Input), len(op.Inputs))
			return op.Inputs[m.Input].Digest
		}
	}
	require.Fail(t, "exec not found")
	return ""
}
