// Package rewritetest checks LLB definitions the way tests of package rewrite (and of its users)
// need: structural invariants of a pb.Definition, loading with BuildKit's own solver loader, and
// deterministic bytes to compare definitions with.
//
// It imports BuildKit's solver, so only tests should import it.
package rewritetest

import (
	"context"
	"fmt"
	"slices"

	"github.com/moby/buildkit/solver"
	"github.com/moby/buildkit/solver/llbsolver"
	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"
	"github.com/pkg/errors"
	"google.golang.org/protobuf/proto"
)

// Ops parses def.Def and returns the ops by digest and the digests in def order.
func Ops(def *pb.Definition) (map[digest.Digest]*pb.Op, []digest.Digest, error) {
	ops := make(map[digest.Digest]*pb.Op, len(def.GetDef()))
	order := make([]digest.Digest, 0, len(def.GetDef()))
	for i, dt := range def.GetDef() {
		var op pb.Op
		if err := op.UnmarshalVT(dt); err != nil {
			return nil, nil, errors.Wrapf(err, "failed to parse op %d", i)
		}
		dgst := digest.FromBytes(dt)
		ops[dgst] = &op
		order = append(order, dgst)
	}
	return ops, order, nil
}

// Validate checks the invariants a rewritten definition keeps: ops parse and are stored once,
// every input names an op of def with a non-negative output index, exec mounts and file actions
// use inputs in range, ops come after their inputs, the last op is a terminal op (no op, one
// input) nothing depends on, and every Metadata and Source.Locations key names an op.
func Validate(def *pb.Definition) error {
	if len(def.GetDef()) == 0 {
		return errors.New("empty definition")
	}
	ops, order, err := Ops(def)
	if err != nil {
		return err
	}
	if len(ops) != len(order) {
		return errors.Errorf("%d ops stored %d times", len(ops), len(order))
	}
	pos := make(map[digest.Digest]int, len(order))
	for i, d := range order {
		pos[d] = i
	}
	last := order[len(order)-1]
	for i, d := range order {
		op := ops[d]
		for j, in := range op.Inputs {
			if in == nil {
				return errors.Errorf("op %s: nil input %d", d, j)
			}
			p, ok := pos[digest.Digest(in.Digest)]
			if !ok {
				return errors.Errorf("op %s: input %d names missing op %s", d, j, in.Digest)
			}
			if p >= i {
				return errors.Errorf("op %s (at %d): input %d (at %d) comes later", d, i, j, p)
			}
			if in.Index < 0 {
				return errors.Errorf("op %s: input %d has output index %d", d, j, in.Index)
			}
			if digest.Digest(in.Digest) == last {
				return errors.Errorf("op %s depends on the terminal op", d)
			}
		}
		if err := validateIndexes(op); err != nil {
			return errors.Wrapf(err, "op %s", d)
		}
	}
	if t := ops[last]; t.Op != nil || len(t.Inputs) != 1 {
		return errors.Errorf("last op %s is not a terminal op", last)
	}
	for k := range def.Metadata {
		if _, ok := ops[digest.Digest(k)]; !ok {
			return errors.Errorf("metadata for missing op %s", k)
		}
	}
	if src := def.GetSource(); src != nil {
		for k := range src.Locations {
			if _, ok := ops[digest.Digest(k)]; !ok {
				return errors.Errorf("source locations for missing op %s", k)
			}
		}
	}
	return nil
}

func validateIndexes(op *pb.Op) error {
	n := int64(len(op.Inputs))
	switch o := op.Op.(type) {
	case *pb.Op_Exec:
		for i, m := range o.Exec.GetMounts() {
			if m == nil || m.Input < -1 || m.Input >= n {
				return errors.Errorf("mount %d: input out of range", i)
			}
		}
	case *pb.Op_File:
		max := n + int64(len(o.File.GetActions()))
		for i, a := range o.File.GetActions() {
			if a == nil || a.Input < -1 || a.Input >= max || a.SecondaryInput < -1 || a.SecondaryInput >= max {
				return errors.Errorf("file action %d: input out of range", i)
			}
			var owner *pb.ChownOpt
			switch a := a.Action.(type) {
			case *pb.FileAction_Mkdir:
				owner = a.Mkdir.GetOwner()
			case *pb.FileAction_Mkfile:
				owner = a.Mkfile.GetOwner()
			case *pb.FileAction_Copy:
				owner = a.Copy.GetOwner()
			case *pb.FileAction_Symlink:
				owner = a.Symlink.GetOwner()
			}
			for _, u := range []*pb.UserOpt{owner.GetUser(), owner.GetGroup()} {
				// The solver's file op cache map only accepts op inputs here.
				if byName := u.GetByName(); byName != nil && (byName.Input < 0 || byName.Input >= n) {
					return errors.Errorf("file action %d: named owner uses input %d of %d", i, byName.Input, n)
				}
			}
		}
	}
	return nil
}

// Load loads def with BuildKit's solver loader (llbsolver.Load, validating caps) and walks the
// resulting graph to its sources. A panic in the loader is returned as an error.
func Load(ctx context.Context, def *pb.Definition) (retErr error) {
	defer func() {
		if r := recover(); r != nil {
			retErr = errors.Errorf("llbsolver.Load panicked: %v", r)
		}
	}()
	e, err := llbsolver.Load(ctx, def, nil, llbsolver.WithValidateCaps())
	if err != nil {
		return err
	}
	seen := map[digest.Digest]struct{}{}
	var walk func(v solver.Vertex) error
	walk = func(v solver.Vertex) error {
		if _, ok := seen[v.Digest()]; ok {
			return nil
		}
		seen[v.Digest()] = struct{}{}
		if _, ok := v.Sys().(*pb.Op); !ok {
			return errors.Errorf("vertex %s: unexpected sys %T", v.Digest(), v.Sys())
		}
		for _, in := range v.Inputs() {
			if err := walk(in.Vertex); err != nil {
				return err
			}
		}
		return nil
	}
	return walk(e.Vertex)
}

// Marshal returns deterministic bytes of a message (sorted map keys), to compare definitions,
// metadata and sources whose maps would otherwise marshal in random order. It panics when m
// cannot be marshalled (invalid UTF-8 in a string field); compare such messages with proto.Equal.
func Marshal(m proto.Message) []byte {
	dt, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		panic(fmt.Sprintf("marshal %T: %v", m, err))
	}
	return dt
}

// Digests returns the sorted digests of def's ops.
func Digests(def *pb.Definition) []digest.Digest {
	out := make([]digest.Digest, 0, len(def.GetDef()))
	for _, dt := range def.GetDef() {
		out = append(out, digest.FromBytes(dt))
	}
	slices.Sort(out)
	return out
}
