package rewrite

import (
	"maps"

	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"
	"github.com/pkg/errors"
)

// Exec is one ExecOp handed to a Func. Op and Metadata() are the rewriter's own (parsed from def's
// bytes, and a copy): the Func may edit them.
type Exec struct {
	// Op is the op with its input digests already rewritten. Op.GetExec() is the ExecOp; a Func
	// may edit Meta (Env, Args, ...), Mounts and, through AddInput, Inputs. It must stay an
	// ExecOp whose inputs are ops of the definition (or added ones) and whose mounts use inputs
	// in range.
	Op *pb.Op
	// Locations are this op's Dockerfile source ranges from def.Source (read-only; nil when none).
	Locations []*pb.Location
	// Source is def.Source (read-only; may be nil).
	Source *pb.Source

	r    *rewriter
	orig digest.Digest
	md   *pb.OpMetadata // def's, read-only; nil when def had none
	// edited is the copy Metadata made, once asked: steps that get no mount
	// keep theirs, and copying every exec's showed in profiles.
	edited *pb.OpMetadata
}

func (r *rewriter) newExec(n *node, op *pb.Op) *Exec {
	e := &Exec{
		Op:     op,
		Source: r.source,
		r:      r,
		orig:   n.orig,
		md:     n.md,
	}
	if r.source != nil {
		if l := r.source.Locations[string(n.orig)]; l != nil {
			e.Locations = l.Locations // read-only, as the doc says: shared with def
		}
	}
	return e
}

// Metadata returns the op's metadata to edit: a copy of def's, made on the first call (an empty
// one when def had none). Edits are kept.
func (e *Exec) Metadata() *pb.OpMetadata {
	if e.edited == nil {
		if e.md != nil {
			e.edited = e.md.CloneVT()
		} else {
			e.edited = &pb.OpMetadata{}
		}
	}
	return e.edited
}

// Description returns the value under key of the op's metadata description (for instance
// "llb.customname", the step's text in a Dockerfile build), as edited so far, without copying.
func (e *Exec) Description(key string) string {
	if e.edited != nil {
		return e.edited.GetDescription()[key]
	}
	return e.md.GetDescription()[key]
}

// Digest returns the op's digest in the original definition.
func (e *Exec) Digest() digest.Digest {
	return e.orig
}

// InputOp returns the op that produces input i (as rewritten so far) so a Func can walk to
// ancestors, e.g. to find the base image's SourceOp identifier (docker-image://...) of the rootfs.
// It returns nil for pb.Empty (-1, scratch). The op is a copy.
func (e *Exec) InputOp(i int) (*pb.Op, error) {
	if i == int(pb.Empty) {
		return nil, nil
	}
	if i < 0 || i >= len(e.Op.Inputs) {
		return nil, errors.Errorf("invalid input index %d, exec has %d inputs", i, len(e.Op.Inputs))
	}
	in := e.Op.Inputs[i]
	if in == nil {
		return nil, errors.Errorf("invalid nil input %d", i)
	}
	n, ok := e.r.byNew[digest.Digest(in.Digest)]
	if !ok {
		return nil, errors.Errorf("invalid missing input digest %s", in.Digest)
	}
	return n.op.CloneVT(), nil
}

// Rootfs returns a copy of the input mounted at "/", or nil when the rootfs is scratch or the exec
// has no root mount. It is the input a DirOp resolves user and group names against.
func (e *Exec) Rootfs() *pb.Input {
	i := e.rootfsIndex()
	if i < 0 {
		return nil
	}
	return e.Op.Inputs[i].CloneVT()
}

func (e *Exec) rootfsIndex() int {
	m, _ := FindMount(e.Op.GetExec(), pb.RootMount)
	if m == nil || m.Input < 0 || m.Input >= int64(len(e.Op.Inputs)) {
		return -1
	}
	return int(m.Input)
}

// BaseSource walks input i back through ops to the first SourceOp on the "rootfs" chain (input 0
// of execs, the base of file ops) and returns its identifier and attrs, or "" when scratch/none.
//
// The walk follows the output an input names: for an exec, the input of the mount that produces
// that output (the root mount for output 0 of a RUN); for a file op, the chain of actions back
// to their base; for a merge, its lowest layer; terminal ops, their input. A diff, build or
// passthrough op, a missing op or an out-of-range index end the walk with "". attrs is a copy.
func (e *Exec) BaseSource(i int) (id string, attrs map[string]string) {
	if i < 0 || i >= len(e.Op.Inputs) || e.Op.Inputs[i] == nil {
		return "", nil
	}
	in := e.Op.Inputs[i]
	// Every step moves to a different op of a finite acyclic graph; the bound only guards
	// against malformed definitions.
	for steps := 0; steps <= len(e.r.byNew); steps++ {
		n, ok := e.r.byNew[digest.Digest(in.Digest)]
		if !ok {
			return "", nil
		}
		if src := n.op.GetSource(); src != nil {
			return src.Identifier, maps.Clone(src.Attrs)
		}
		next := baseInput(n.op, in.Index)
		if next < 0 || next >= int64(len(n.op.Inputs)) || n.op.Inputs[next] == nil {
			return "", nil
		}
		in = n.op.Inputs[next]
	}
	return "", nil
}

// baseInput returns the index in op.Inputs of the input that output out of op is based on, or -1.
func baseInput(op *pb.Op, out int64) int64 {
	switch o := op.Op.(type) {
	case nil:
		return 0
	case *pb.Op_Exec:
		for _, m := range o.Exec.GetMounts() {
			if m != nil && m.Output == out && m.Output >= 0 {
				return m.Input
			}
		}
	case *pb.Op_File:
		actions := o.File.GetActions()
		var a *pb.FileAction
		for _, c := range actions {
			if c != nil && c.Output == out && c.Output >= 0 {
				a = c
				break
			}
		}
		// Action inputs past the op's inputs name the result of an earlier action.
		for steps := 0; a != nil && steps <= len(actions); steps++ {
			idx := a.Input
			if idx < int64(len(op.Inputs)) {
				return idx
			}
			j := idx - int64(len(op.Inputs))
			if j >= int64(len(actions)) {
				return -1
			}
			a = actions[j]
		}
	case *pb.Op_Merge:
		if ins := o.Merge.GetInputs(); len(ins) > 0 && ins[0] != nil {
			return ins[0].Input
		}
	}
	return -1
}

// AddInput appends op as a new input of this exec and returns its index. op.Inputs may refer to
// this exec's existing inputs (copy e.Op.Inputs[k]), to ops added before, or be empty; meta may
// be nil. Identical ops added by several execs are stored once, and adding the same op twice to
// one exec returns the existing index. The new input names output 0 of op. op and meta become
// the rewriter's: the caller must not change them afterwards.
func (e *Exec) AddInput(op *pb.Op, meta *pb.OpMetadata) (pb.InputIndex, error) {
	if op == nil {
		return 0, errors.New("failed to add input: nil op")
	}
	for i, in := range op.Inputs {
		if in == nil {
			return 0, errors.Errorf("failed to add input: nil input %d", i)
		}
		if in.Index < 0 {
			return 0, errors.Errorf("failed to add input: invalid output index %d of input %d", in.Index, i)
		}
		if _, ok := e.r.byNew[digest.Digest(in.Digest)]; !ok {
			return 0, errors.Errorf("failed to add input: input %d names unknown op %s", i, in.Digest)
		}
	}
	dt, err := marshalOp(op)
	if err != nil {
		return 0, errors.Wrap(err, "failed to marshal added op")
	}
	dgst := digestOf(dt)
	if _, ok := e.r.byNew[dgst]; !ok {
		e.r.register(&node{dt: dt, dgst: dgst, op: op, md: meta, added: true, state: visited})
	}
	return e.ReuseInput(dgst)
}

// ReuseInput appends the op with digest dgst as an input of this exec (output 0), or returns the
// index of the input that already names it. The op is one AddInput added before in this rewrite
// (its digest is e.Op.Inputs[i].Digest of the index AddInput returned) or one already rewritten,
// such as an input of this exec. It spares building, marshalling and digesting the same op again
// for another exec.
func (e *Exec) ReuseInput(dgst digest.Digest) (pb.InputIndex, error) {
	if _, ok := e.r.byNew[dgst]; !ok {
		return 0, errors.Errorf("failed to add input: unknown op %s", dgst)
	}
	for i, in := range e.Op.Inputs {
		if in != nil && in.Digest == string(dgst) && in.Index == 0 {
			return pb.InputIndex(i), nil
		}
	}
	e.Op.Inputs = append(e.Op.Inputs, &pb.Input{Digest: string(dgst), Index: 0})
	return pb.InputIndex(len(e.Op.Inputs) - 1), nil
}

// validateExec checks what the rewrite relies on after a Func ran: the op is still an exec, every
// input names a known op and every mount uses an input in range.
func (r *rewriter) validateExec(e *Exec) error {
	if e.Op == nil || e.Op.GetExec() == nil {
		return errors.New("func must leave an exec op")
	}
	for i, in := range e.Op.Inputs {
		if in == nil {
			return errors.Errorf("nil input %d", i)
		}
		if in.Index < 0 {
			return errors.Errorf("invalid output index %d of input %d", in.Index, i)
		}
		if _, ok := r.byNew[digest.Digest(in.Digest)]; !ok {
			return errors.Errorf("input %d names unknown op %s", i, in.Digest)
		}
	}
	for i, m := range e.Op.GetExec().Mounts {
		if m == nil {
			return errors.Errorf("nil mount %d", i)
		}
		if m.Input < int64(pb.Empty) || m.Input >= int64(len(e.Op.Inputs)) {
			return errors.Errorf("mount %d (%s) uses input %d, exec has %d inputs", i, m.Dest, m.Input, len(e.Op.Inputs))
		}
	}
	return nil
}
