package builder

import (
	"context"
	"testing"

	"github.com/cachefront/cachefront/llb/rewrite/rewritetest"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/dockerfile/dockerfile2llb"
	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"
	"github.com/stretchr/testify/require"
)

// convert turns df into LLB as upstream's frontend does, offline, with
// every LLB cap a daemon of the pinned BuildKit has.
func convert(t *testing.T, df string) *pb.Definition {
	t.Helper()
	caps := pb.Caps.CapSet(pb.Caps.All())
	res, err := dockerfile2llb.Dockerfile2LLB(context.Background(), []byte(df), dockerfile2llb.ConvertOpt{
		Config:       dockerui.Config{BuildArgs: map[string]string{"BUILDPLATFORM": "linux/amd64"}},
		SourceMap:    llb.NewSourceMap(nil, "Dockerfile", "Dockerfile", []byte(df)),
		MetaResolver: &offlineResolver{},
		LLBCaps:      &caps,
	})
	require.NoError(t, err)
	def, err := res.State.Marshal(context.Background())
	require.NoError(t, err)
	return def.ToPB()
}

// rewritten converts df, rewrites it with cfg, checks that BuildKit's
// solver loads the result, and returns its ops and the step reports.
func rewritten(t *testing.T, df string, cfg Config) (map[digest.Digest]*pb.Op, []*StepReport) {
	t.Helper()
	out, reports, err := Rewrite(convert(t, df), cfg)
	require.NoError(t, err)
	require.NoError(t, rewritetest.Validate(out))
	require.NoError(t, rewritetest.Load(context.Background(), out))
	ops, _, err := rewritetest.Ops(out)
	require.NoError(t, err)
	return ops, reports
}
