package builder

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

// A read-write bind mount made upstream's converter dereference its LLB
// capabilities, which an offline plan did not set: a panic.
func TestPlanReadWriteBindMount(t *testing.T) {
	t.Parallel()
	p := plan(t, `FROM debian:bookworm AS src
FROM debian:bookworm
RUN --mount=type=bind,from=src,source=/etc,target=/mnt,readwrite apt-get update && apt-get install -y curl`, nil)
	require.Len(t, p.Steps, 1)
	require.Equal(t, []string{"apt"}, p.Steps[0].Managers)
}

func TestPlanBaseFromUnsetArg(t *testing.T) {
	t.Parallel()
	const df = `ARG BASE_IMAGE
ARG TAG=12
ARG UNUSED
FROM ${BASE_IMAGE}:${TAG} AS build
RUN apt-get update && apt-get install -y curl
FROM ${RUNTIME_IMAGE:-debian}
COPY --from=build /etc/os-release /tmp/`
	p := plan(t, df, nil)
	require.Len(t, p.Steps, 1)
	require.Contains(t, p.Steps[0].Mounts[0].ID, "cachefront/apt/base-image:12/")
	require.Contains(t, p.Notes, "ARG BASE_IMAGE names a base image and has no value (a build needs --build-arg BASE_IMAGE=...): planned with BASE_IMAGE=base-image")
	require.Len(t, p.Notes, 3, "the placeholder note and two base images: %q", p.Notes)

	// Given, the arg is used as is, and nothing is noted.
	p = plan(t, df, map[string]string{"BASE_IMAGE": "debian"})
	require.Contains(t, p.Steps[0].Mounts[0].ID, "cachefront/apt/debian:12/")
	for _, n := range p.Notes {
		require.NotContains(t, n, "ARG ")
	}

	// Other errors stay errors.
	_, err := MakePlan(context.Background(), []byte("ARG BASE\nFROM ${BASE}\nFOO bar\n"), PlanOpt{})
	require.ErrorContains(t, err, "unknown instruction: FOO")
	_, err = MakePlan(context.Background(), []byte("FROM ${NOT_DECLARED}\nRUN true\n"), PlanOpt{})
	require.ErrorContains(t, err, "should not be blank")
}

func TestPlaceholderArgs(t *testing.T) {
	cases := []struct {
		name, df string
		args     map[string]string
		want     map[string]string
	}{
		{name: "unset arg in FROM", df: "ARG BASE\nFROM $BASE\n", want: map[string]string{"BASE": "base"}},
		{name: "given arg", df: "ARG BASE\nFROM $BASE\n", args: map[string]string{"BASE": "x"}, want: map[string]string{"BASE": "x"}},
		{name: "default value", df: "ARG BASE=debian\nFROM $BASE\n", want: nil},
		{name: "redeclared with a value", df: "ARG BASE\nARG BASE=debian\nFROM $BASE\n", want: nil},
		{name: "not in FROM", df: "ARG V\nFROM debian\nRUN echo $V\n", want: nil},
		{name: "platform args are upstream's", df: "ARG TARGETARCH\nFROM img-${TARGETARCH}\n", want: nil},
		{name: "not declared", df: "FROM ${X}\n", want: nil},
		{name: "unparsable", df: "FROM debian\nFOO\n", want: nil},
		{name: "two", df: "ARG A_\nARG __\nFROM ${A_}\nFROM ${__}\n", want: map[string]string{"A_": "a", "__": "unset"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, notes := placeholderArgs([]byte(c.df), c.args)
			if c.want == nil {
				require.Empty(t, notes)
				require.Equal(t, c.args, got)
				return
			}
			require.Equal(t, c.want, got)
			require.Len(t, notes, len(c.want)-len(c.args))
		})
	}
}
