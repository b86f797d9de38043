package rewrite_test

import (
	"context"
	"testing"

	"github.com/cachefront/cachefront/llb/rewrite"
	"github.com/cachefront/cachefront/llb/rewrite/rewritetest"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
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
		rewrite.RequireMountCaps(e.Metadata(), m)
	}
	rewrite.SetEnv(e.Op.GetExec().Meta, "FUZZ", "1")
	return nil
}

// remarshals reports whether every op of def can be marshalled deterministically, as client/llb
// and rewrite do (not the case with invalid UTF-8 in a string field).
func remarshals(def *pb.Definition) bool {
	for _, dt := range def.Def {
		var op pb.Op
		if op.UnmarshalVT(dt) != nil {
			return false
		}
		if _, err := (proto.MarshalOptions{Deterministic: true}).Marshal(&op); err != nil {
			return false
		}
	}
	return true
}

// FuzzDefinition feeds mutated definitions to Definition: it must not panic or modify its input,
// and when it succeeds its output must be as valid as the input (rewritetest.Validate, and
// llbsolver.Load) and the same on every run; a no-op Func must give a valid input back unchanged.
//
// The seeds are a few KB: run with a short -fuzzminimizetime (e.g. 5s), or minimizing every new
// input eats the run while the stats show 0 execs/sec.
func FuzzDefinition(f *testing.F) {
	sample := sampleDefinition(f)
	f.Add(rewritetest.Marshal(sample))
	f.Add(rewritetest.Marshal(dockerfileDefinition(f)))
	rewritten, err := rewrite.Definition(sample, addCache)
	require.NoError(f, err)
	f.Add(rewritetest.Marshal(rewritten))
	f.Add([]byte{})
	// Small seeds keep mutation and minimization fast.
	small, err := llb.Image("alpine").Run(llb.Shlex("apk add git")).Root().Marshal(context.Background())
	require.NoError(f, err)
	f.Add(rewritetest.Marshal(small.ToPB()))

	ctx := context.Background()
	f.Fuzz(func(t *testing.T, data []byte) {
		var in pb.Definition
		if err := in.UnmarshalVT(data); err != nil {
			return
		}
		// Fuzzed bytes may hold invalid UTF-8, which proto.Marshal refuses: compare with
		// proto.Equal, not bytes.
		before := in.CloneVT()
		valid := rewritetest.Validate(&in) == nil
		loads := rewritetest.Load(ctx, &in) == nil

		out, err := rewrite.Definition(&in, fuzzEdit)
		require.True(t, proto.Equal(before, &in), "input modified")
		if err != nil {
			require.False(t, valid && loads && remarshals(&in), "valid definition rejected: %v", err)
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
		require.True(t, proto.Equal(out, again), "not deterministic")

		same, err := rewrite.Definition(&in, noop)
		require.NoError(t, err)
		if valid {
			require.True(t, proto.Equal(before, same), "no-op changed a valid definition")
		}
	})
}
