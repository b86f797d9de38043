package rewrite_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/cachefront/cachefront/llb/rewrite"
	"github.com/cachefront/cachefront/llb/rewrite/rewritetest"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/require"
)

const (
	cacheDest  = "/root/.cache/pip"
	cacheID    = "cachefront-pip"
	configDest = "/etc/pip.conf"
	envKey     = "PIP_CACHE_DIR"
)

var linuxAmd64 = ocispecs.Platform{OS: "linux", Architecture: "amd64"}

// sampleDockerfile is what the source map of sampleDefinition points into.
const sampleDockerfile = `FROM python:3.12 AS build
RUN pip install -r requirements.txt
RUN --mount=type=cache,target=/var/cache/apt make
FROM alpine
COPY --from=build /out/app /usr/bin/app
`

// sampleDefinition builds a definition like a multi-stage Dockerfile produces: image source,
// RUN, RUN with existing mounts (bind, cache with owned initial content, secret, and a second
// output), a file op copying from the other stage, a merge and a diff. Every op has a custom name
// (kept in Metadata) so tests can pair ops across a rewrite, and most have a source location.
func sampleDefinition(t testing.TB) *pb.Definition {
	ctx := context.Background()
	sm := llb.NewSourceMap(nil, "Dockerfile", "Dockerfile", []byte(sampleDockerfile))
	loc := func(line int32) llb.ConstraintsOpt {
		return sm.Location([]*pb.Range{{Start: &pb.Position{Line: line}, End: &pb.Position{Line: line}}})
	}
	p := llb.Platform(linuxAmd64)

	img := llb.Image("docker.io/library/python:3.12", p, llb.WithCustomName("python"), loc(1))
	// A fixed unique id: llb.Local picks a random one otherwise.
	src := llb.Local("context", llb.LocalUniqueID("sample"), llb.WithCustomName("context"))

	install := img.Run(
		llb.Shlex("pip install -r /src/requirements.txt"),
		llb.AddMount("/src", src, llb.Readonly),
		llb.AddEnv("HOME", "/root"),
		llb.WithCustomName("pip install"), loc(2),
	)

	// Cache mount with owned initial content, like dockerfile2llb's setCacheUIDGID.
	cacheInit := llb.Scratch().File(llb.Mkdir("/cache", 0o755, llb.WithUIDGID(1000, 1000)), llb.WithCustomName("cache init"))
	makeRun := install.Root().Run(
		llb.Shlex("make"),
		llb.AddMount("/var/cache/apt", cacheInit, llb.AsPersistentCacheDir("apt", llb.CacheMountLocked), llb.SourcePath("/cache")),
		llb.AddSecret("/run/secrets/token", llb.SecretID("token")),
		llb.Dir("/src"),
		llb.WithCustomName("make"), loc(3),
	)
	out := makeRun.AddMount("/out", llb.Scratch())

	final := llb.Image("docker.io/library/alpine:latest", p, llb.WithCustomName("alpine"), loc(4)).
		File(llb.Copy(out, "/app", "/usr/bin/app"), llb.WithCustomName("copy app"), loc(5))
	merged := llb.Merge([]llb.State{final, llb.Diff(img, makeRun.Root(), llb.WithCustomName("diff"))}, llb.WithCustomName("merge"))

	def, err := merged.Marshal(ctx)
	require.NoError(t, err)
	return def.ToPB()
}

// addCache is the Func the tests use: every exec with a rootfs gets a pip cache owned by "app"
// (resolved against the rootfs), a config file and an env var.
func addCache(e *rewrite.Exec) error {
	exec := e.Op.GetExec()
	if m, _ := rewrite.FindMount(exec, cacheDest); m != nil {
		return nil
	}
	rootfs := e.Rootfs()
	if rootfs == nil {
		return nil
	}
	dirOp, dirMD, err := rewrite.DirOp(rewrite.DirSpec{Owner: rewrite.ParseOwner("app"), Dirs: []string{"/cache/http", "/cache/wheels"}}, rootfs)
	if err != nil {
		return err
	}
	cacheIn, err := e.AddInput(dirOp, dirMD)
	if err != nil {
		return err
	}
	cfgOp, cfgMD, err := rewrite.DirOp(rewrite.DirSpec{Files: map[string][]byte{"/pip.conf": []byte("[global]\nno-cache-dir = false\n")}}, nil)
	if err != nil {
		return err
	}
	cfgIn, err := e.AddInput(cfgOp, cfgMD)
	if err != nil {
		return err
	}
	for _, m := range []*pb.Mount{
		rewrite.CacheMount(cacheDest, cacheID, pb.CacheSharingOpt_LOCKED, cacheIn, "/cache"),
		rewrite.FileMount(configDest, cfgIn, "/pip.conf"),
	} {
		if rewrite.AddMount(exec, m) {
			rewrite.RequireMountCaps(e.Metadata(), m)
		}
	}
	rewrite.SetEnv(exec.Meta, envKey, cacheDest)
	return nil
}

func noop(*rewrite.Exec) error { return nil }

// opsOf parses def and fails the test on error.
func opsOf(t testing.TB, def *pb.Definition) (map[digest.Digest]*pb.Op, []digest.Digest) {
	ops, order, err := rewritetest.Ops(def)
	require.NoError(t, err)
	return ops, order
}

// byName maps the llb.customname of each op to its digest.
func byName(t testing.TB, def *pb.Definition) map[string]digest.Digest {
	m := map[string]digest.Digest{}
	_, order := opsOf(t, def)
	for _, d := range order {
		if md := def.Metadata[string(d)]; md != nil {
			if name := md.Description["llb.customname"]; name != "" {
				require.NotContains(t, m, name, "custom names must be unique")
				m[name] = d
			}
		}
	}
	return m
}

// execs returns the exec ops of def by their first arg.
func execs(t testing.TB, def *pb.Definition) map[string]*pb.Op {
	ops, order := opsOf(t, def)
	m := map[string]*pb.Op{}
	for _, d := range order {
		if e := ops[d].GetExec(); e != nil {
			m[strings.Join(e.Meta.Args, " ")] = ops[d]
		}
	}
	return m
}

// requireSortedMounts checks that the bind/cache/tmpfs mounts are sorted by Dest with the root
// mount first (client/llb appends secret and ssh mounts after them).
func requireSortedMounts(t testing.TB, exec *pb.ExecOp) {
	require.Equal(t, pb.RootMount, exec.Mounts[0].Dest)
	var dests []string
	for _, m := range exec.Mounts {
		if m.MountType != pb.MountType_SECRET && m.MountType != pb.MountType_SSH {
			dests = append(dests, m.Dest)
		}
	}
	require.True(t, slices.IsSorted(dests), "mounts not sorted: %v", dests)
}

func requireValid(t testing.TB, def *pb.Definition) {
	t.Helper()
	require.NoError(t, rewritetest.Validate(def))
	require.NoError(t, rewritetest.Load(context.Background(), def))
}
