package rewrite_test

import (
	"context"
	"testing"

	"github.com/cachefront/cachefront/llb/rewrite"
	"github.com/cachefront/cachefront/llb/rewrite/rewritetest"
	"github.com/moby/buildkit/solver/pb"
	"github.com/stretchr/testify/require"
)

// fuzzEdit is addCache made total: it edits any exec, with or without a rootfs or meta, and
// pokes at every input through InputOp and BaseSource.
func fuzzEdit(e *rewrite.Exec) error {
	for i := range e.Op.Inputs {
		if _, err := e.InputOp(i); err != nil {
			return err
		}
		e.BaseSource(i)
	}
	e.BaseSource(-1)
	e.BaseSource(len(e.Op.Inputs))
	if e.Rootfs() != nil {
		return addCache(e)
	}
	op, md, err := rewrite.DirOp(rewrite.DirSpec{Owner: rewrite.ParseOwner("1000"), Dirs: []string{"/cache"}}, nil)
	if err != nil {
		return err
	}
	in, err := e.AddInput(op, md)
	if err != nil {
		return err
	}
	m := rewrite.CacheMount("/cache", "fuzz", pb.CacheSharingOpt_SHARED, in, "/cache")
	if rewrite.AddMount(e.Op.GetExec(), m) {
		rewrite.RequireMountCaps(e.Metadata, m)
	}
	rewrite.SetEnv(e.Op.GetExec().Meta, "FUZZ", "1")
	return nil
}

// FuzzDefinition feeds mutated definitions to Definition: it must not panic or modify its input,
// and when it succeeds its output must be as valid as the input (rewritetest.Validate, and
// llbsolver.Load) and the same on every run; a no-op Func must give a valid input back unchanged.
func FuzzDefinition(f *testing.F) {
	sample := sampleDefinition(f)
	f.Add(rewritetest.Marshal(sample))
	f.Add(rewritetest.Marshal(dockerfileDefinition(f)))
	rewritten, err := rewrite.Definition(sample, addCache)
	require.NoError(f, err)
	f.Add(rewritetest.Marshal(rewritten))
	f.Add([]byte{})

	ctx := context.Background()
	f.Fuzz(func(t *testing.T, data []byte) {
		var in pb.Definition
		if err := in.UnmarshalVT(data); err != nil {
			return
		}
		before := rewritetest.Marshal(&in)
		valid := rewritetest.Validate(&in) == nil
		loads := rewritetest.Load(ctx, &in) == nil

		out, err := rewrite.Definition(&in, fuzzEdit)
		require.Equal(t, before, rewritetest.Marshal(&in), "input modified")
		if err != nil {
			require.False(t, valid && loads, "valid definition rejected: %v", err)
			return
		}
		if valid {
			require.NoError(t, rewritetest.Validate(out))
		}
		if loads {
			require.NoError(t, rewritetest.Load(ctx, out))
		}
		again, err := rewrite.Definition(&in, fuzzEdit)
		require.NoError(t, err)
		require.Equal(t, rewritetest.Marshal(out), rewritetest.Marshal(again))

		same, err := rewrite.Definition(&in, noop)
		require.NoError(t, err)
		if valid {
			require.Equal(t, before, rewritetest.Marshal(same))
		}
	})
}
