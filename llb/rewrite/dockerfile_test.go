package rewrite_test

import (
	"context"
	"strings"
	"testing"

	"github.com/cachefront/cachefront/llb/rewrite"
	"github.com/cachefront/cachefront/llb/rewrite/rewritetest"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	"github.com/moby/buildkit/frontend/dockerfile/dockerfile2llb"
	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"
	"github.com/stretchr/testify/require"
)

const testDockerfile = `# syntax=docker/dockerfile:1
FROM python:3.12-slim AS deps
RUN useradd -m app
USER app
WORKDIR /home/app
COPY requirements.txt .
RUN pip install --user -r requirements.txt
RUN --mount=type=cache,target=/home/app/.cache/pip,uid=1000 pip install --user flask

FROM node:20 AS web
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci
COPY . .
RUN npm run build

FROM python:3.12-slim
COPY --from=deps /home/app/.local /home/app/.local
COPY --from=web /src/dist /srv/static
RUN apt-get update && apt-get install -y curl
CMD ["python", "-m", "app"]
`

// fakeResolver answers image config lookups offline: every image is a linux/amd64 image pinned
// to a digest made from its name.
type fakeResolver struct{}

func (fakeResolver) ResolveImageConfig(_ context.Context, ref string, _ sourceresolver.Opt) (string, digest.Digest, []byte, error) {
	// At least one layer: dockerfile2llb turns an image without layers into scratch.
	cfg := `{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/usr/local/bin:/usr/bin:/bin"]},"rootfs":{"type":"layers","diff_ids":["` + digest.FromString(ref+" layer").String() + `"]}}`
	return ref, digest.FromString(ref), []byte(cfg), nil
}

// dockerfileDefinition converts testDockerfile offline (a fake MetaResolver; with nil,
// dockerfile2llb falls back to a registry client) with a source map, as the dockerfile frontend
// does.
func dockerfileDefinition(t testing.TB) *pb.Definition {
	return convert(t, testDockerfile, "")
}

// convert converts dockerfile, building target ("" for the last stage), as dockerfileDefinition
// says, with every capability a build against this BuildKit has (COPY --link then makes merge
// ops).
func convert(t testing.TB, dockerfile, target string) *pb.Definition {
	ctx := context.Background()
	caps := pb.Caps.CapSet(pb.Caps.All())
	res, err := dockerfile2llb.Dockerfile2LLB(ctx, []byte(dockerfile), dockerfile2llb.ConvertOpt{
		Config:         dockerui.Config{Target: target},
		LLBCaps:        &caps,
		SourceMap:      llb.NewSourceMap(nil, "Dockerfile", "Dockerfile", []byte(dockerfile)),
		TargetPlatform: &linuxAmd64,
		MainContext:    dockerui.DefaultMainContext(),
		MetaResolver:   fakeResolver{},
	})
	require.NoError(t, err)
	def, err := res.State.Marshal(ctx, llb.Platform(linuxAmd64))
	require.NoError(t, err)
	return def.ToPB()
}

func TestDockerfileDefinition(t *testing.T) {
	t.Parallel()
	in := dockerfileDefinition(t)
	requireValid(t, in)

	bases := map[string]string{}
	var locations = map[string][]*pb.Location{}
	out, err := rewrite.Definition(in, func(e *rewrite.Exec) error {
		args := strings.Join(e.Op.GetExec().Meta.Args, " ")
		root, _ := rewrite.FindMount(e.Op.GetExec(), pb.RootMount)
		bases[args], _ = e.BaseSource(int(root.Input))
		require.NotEmpty(t, e.Locations, args)
		require.NotNil(t, e.Source)
		locations[args] = e.Locations
		return addCache(e)
	})
	require.NoError(t, err)
	requireValid(t, out)

	// BaseSource walks RUNs and COPYs back to each stage's image.
	python := "docker-image://docker.io/library/python:3.12-slim@" + digest.FromString("docker.io/library/python:3.12-slim").String()
	node := "docker-image://docker.io/library/node:20@" + digest.FromString("docker.io/library/node:20").String()
	wantBases := map[string]string{
		"useradd -m app": python, "pip install --user -r requirements.txt": python, "pip install --user flask": python,
		"npm ci": node, "npm run build": node,
		"apt-get update && apt-get install -y curl": python,
	}
	got := map[string]string{}
	for args, base := range bases {
		got[args[strings.LastIndex(args, " -c ")+len(" -c "):]] = base
	}
	require.Equal(t, wantBases, got)

	inOps, _ := opsOf(t, in)
	outOps, outOrder := opsOf(t, out)
	require.Nil(t, outOps[outOrder[len(outOrder)-1]].Op, "terminal op last")
	require.Len(t, out.Source.Locations, len(in.Source.Locations))

	require.Len(t, execs(t, out), len(wantBases))
	for _, d := range outOrder {
		op := outOps[d]
		exec := op.GetExec()
		if exec == nil {
			continue
		}
		args := strings.Join(exec.Meta.Args, " ")
		requireSortedMounts(t, exec)
		m, _ := rewrite.FindMount(exec, cacheDest)
		require.NotNil(t, m, args)
		require.Contains(t, outOps, digest.Digest(op.Inputs[m.Input].Digest))
		v, _ := rewrite.Getenv(exec.Meta, envKey)
		require.Equal(t, cacheDest, v)

		// The Dockerfile's own cache mount (with its uid FileOp) is still there.
		if strings.Contains(args, "flask") {
			own, _ := rewrite.FindMount(exec, "/home/app/.cache/pip")
			require.NotNil(t, own)
			require.Equal(t, "/cache", own.Selector)
		}

		_, unchanged := inOps[d]
		require.False(t, unchanged, args)
		require.Equal(t, rewritetest.Marshal(&pb.Locations{Locations: locations[args]}), rewritetest.Marshal(out.Source.Locations[string(d)]), args)
		require.True(t, out.Metadata[string(d)].Caps["exec.mount.cache"], args)
	}

	// Sources and the ops before the first RUN of each stage keep their digests.
	kept := 0
	for d, op := range inOps {
		if op.GetSource() != nil {
			require.Contains(t, outOps, d)
			kept++
		}
	}
	require.GreaterOrEqual(t, kept, 3)

	// Same input, same output.
	again, err := rewrite.Definition(in, addCache)
	require.NoError(t, err)
	require.Equal(t, rewritetest.Marshal(out), rewritetest.Marshal(again))
}
