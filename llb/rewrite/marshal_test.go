package rewrite_test

import (
	"bytes"
	"slices"
	"testing"

	"github.com/cachefront/cachefront/llb/rewrite"
	"github.com/cachefront/cachefront/llb/rewrite/rewritetest"
	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Changed ops other than source and build ops are marshalled with
// MarshalVT, which must give client/llb's bytes: for every such op of a
// Dockerfile's definition, MarshalVT of the parsed op is the op as written.
func TestMarshalVTIsClientLLBs(t *testing.T) {
	t.Parallel()
	checked := 0
	for _, dt := range dockerfileDefinition(t).Def {
		var op pb.Op
		require.NoError(t, op.UnmarshalVT(dt))
		switch op.Op.(type) {
		case *pb.Op_Source, *pb.Op_Build:
			continue
		}
		vt, err := op.MarshalVT()
		require.NoError(t, err)
		det, err := proto.MarshalOptions{Deterministic: true}.Marshal(&op)
		require.NoError(t, err)
		require.Equal(t, dt, vt)
		require.Equal(t, det, vt)
		checked++
	}
	require.Greater(t, checked, 5)
}

// An exec whose bytes put its fields in another order than marshalling
// does (valid protobuf, which another producer may write) keeps them when
// the Func changes nothing: change is told by content, not by bytes.
func TestDefinitionNoopKeepsOtherEncodings(t *testing.T) {
	t.Parallel()
	in := sampleDefinition(t)
	ops, _ := opsOf(t, in)
	// Move the first exec's inputs (field 1) after its other fields, and
	// re-key the ops that name it, in definition order (inputs first).
	var target digest.Digest
	for d, op := range ops {
		if op.GetExec() != nil && len(op.Inputs) > 0 {
			target = d
			break
		}
	}
	require.NotEmpty(t, target)
	def := &pb.Definition{}
	renamed := map[string]string{}
	var reordered []byte
	for _, dt := range in.Def {
		old := digest.FromBytes(dt)
		if old == target {
			dt = reorder(t, dt)
			reordered = dt
		}
		for from, to := range renamed {
			dt = bytes.ReplaceAll(dt, []byte(from), []byte(to))
		}
		if d := digest.FromBytes(dt); d != old {
			renamed[string(old)] = string(d)
		}
		def.Def = append(def.Def, dt)
	}
	require.NotNil(t, reordered)
	require.Contains(t, renamed, string(target))
	rekeyed, err := rewrite.Definition(def, noop)
	require.NoError(t, err)
	require.Equal(t, def.Def, rekeyed.Def)
	require.Contains(t, rekeyed.Def, reordered)
	require.NoError(t, rewritetest.Validate(rekeyed))
	// And with a Func that changes it, the exec is marshalled anew.
	changed, err := rewrite.Definition(def, addCache)
	require.NoError(t, err)
	require.NotContains(t, changed.Def, reordered)
}

// reorder writes the fields of a marshalled op with field 1 (inputs) last.
func reorder(t *testing.T, dt []byte) []byte {
	var first, rest []byte
	for b := dt; len(b) > 0; {
		num, typ, n := protowire.ConsumeTag(b)
		require.Positive(t, n)
		m := protowire.ConsumeFieldValue(num, typ, b[n:])
		require.Positive(t, m)
		if num == 1 {
			first = append(first, b[:n+m]...)
		} else {
			rest = append(rest, b[:n+m]...)
		}
		b = b[n+m:]
	}
	return append(rest, first...)
}

// ReuseInput adds an op added before without building it again, and
// refuses a digest the rewrite does not know.
func TestExecReuseInput(t *testing.T) {
	t.Parallel()
	var added digest.Digest
	var refused error
	out, err := rewrite.Definition(sampleDefinition(t), func(e *rewrite.Exec) error {
		if added == "" {
			op, md, err := rewrite.DirOp(rewrite.DirSpec{Files: map[string][]byte{"/f": []byte("x")}}, nil)
			if err != nil {
				return err
			}
			i, err := e.AddInput(op, md)
			if err != nil {
				return err
			}
			added = digest.Digest(e.Op.Inputs[i].Digest)
			again, err := e.ReuseInput(added)
			require.NoError(t, err)
			require.Equal(t, i, again, "the same op twice is one input")
		} else {
			i, err := e.ReuseInput(added)
			if err != nil {
				return err
			}
			require.Equal(t, string(added), e.Op.Inputs[i].Digest)
			_, refused = e.ReuseInput(digest.FromString("unknown"))
		}
		rewrite.SetEnv(e.Op.GetExec().Meta, "REUSED", "1")
		return nil
	})
	require.NoError(t, err)
	require.Error(t, refused)
	requireValid(t, out)
	users := 0
	for _, op := range execs(t, out) {
		if slices.ContainsFunc(op.Inputs, func(in *pb.Input) bool { return in.Digest == string(added) }) {
			users++
		}
	}
	require.Equal(t, 2, users)
	count := 0
	for _, dt := range out.Def {
		if digest.FromBytes(dt) == added {
			count++
		}
	}
	require.Equal(t, 1, count)
}

// marshalOp's MarshalVT path holds only while ops other than source and
// build ops have no map field anywhere (maps are what MarshalVT writes in
// iteration order): a BuildKit upgrade that adds one fails here.
func TestNoMapsOutsideSourceAndBuildOps(t *testing.T) {
	t.Parallel()
	seen := map[protoreflect.FullName]bool{}
	var walk func(md protoreflect.MessageDescriptor, path string)
	walk = func(md protoreflect.MessageDescriptor, path string) {
		if seen[md.FullName()] {
			return
		}
		seen[md.FullName()] = true
		fields := md.Fields()
		for i := 0; i < fields.Len(); i++ {
			f := fields.Get(i)
			p := path + "." + string(f.Name())
			switch {
			case f.IsMap():
				t.Errorf("%s is a map: marshalOp must not use MarshalVT for ops that hold it", p)
			case f.Kind() == protoreflect.MessageKind:
				if p == "Op.source" || p == "Op.build" {
					continue
				}
				walk(f.Message(), p)
			}
		}
	}
	walk((&pb.Op{}).ProtoReflect().Descriptor(), "Op")
	require.True(t, seen["pb.ExecOp"] && seen["pb.FileOp"], "the walk reached the ops it guards")
}
