package builder

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/cachefront/cachefront/llb/rewrite/rewritetest"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/dockerfile/dockerfile2llb"
	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
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
	def := convert(t, df)
	out, reports, err := Rewrite(def, cfg)
	require.NoError(t, err)
	requireSameAsParseAll(t, def, cfg, out, reports)
	require.NoError(t, rewritetest.Validate(out))
	require.NoError(t, rewritetest.Load(context.Background(), out))
	ops, _, err := rewritetest.Ops(out)
	require.NoError(t, err)
	return ops, reports
}

// requireSameAsParseAll checks that the rewrite of def with cfg, out and
// reports, is what it is when every step is parsed: the steps that name
// no program a rule reads, which the rewrite skips, get nothing.
func requireSameAsParseAll(t *testing.T, def *pb.Definition, cfg Config, out *pb.Definition, reports []*StepReport) {
	t.Helper()
	cfg.parseAll = true
	all, allReports, err := Rewrite(def, cfg)
	require.NoError(t, err)
	require.True(t, proto.Equal(all, out), "skipping steps that name no package manager changed the definition")
	require.Equal(t, allReports, reports)
}

// The rewrite skips the steps that name no package manager with no effect
// on any Dockerfile at hand: the examples, the bench's scenarios, and the
// shared corpus when the checkout sits next to it.
func TestSkippingChangesNothing(t *testing.T) {
	t.Parallel()
	var files []string
	for _, pattern := range []string{"../../examples/*/Dockerfile*", "../../hack/bench/scenarios/*/Dockerfile*", "../../../shared/corpus/*Dockerfile*"} {
		m, err := filepath.Glob(pattern)
		require.NoError(t, err)
		files = append(files, m...)
	}
	require.NotEmpty(t, files)
	cfg, err := ParseConfig(nil)
	require.NoError(t, err)
	converted := 0
	for _, f := range files {
		dt, err := os.ReadFile(f)
		require.NoError(t, err)
		def, _, err := Convert(context.Background(), dt, PlanOpt{Filename: f})
		if err != nil {
			continue // templates in the corpus that upstream refuses too
		}
		converted++
		out, reports, err := Rewrite(def, cfg)
		require.NoError(t, err, f)
		requireSameAsParseAll(t, def, cfg, out, reports)
	}
	require.NotZero(t, converted)
}
