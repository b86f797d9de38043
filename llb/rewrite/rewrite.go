package rewrite

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"
	"github.com/pkg/errors"
	"google.golang.org/protobuf/proto"
)

// Func edits one exec vertex. Returning an error aborts the rewrite.
type Func func(e *Exec) error

// Definition returns a rewritten copy of def (def itself is not modified; the copy shares the
// parts that did not change with it, so treat both as read-only): for every ExecOp, in
// dependency order, it calls fn; then recomputes the digests of changed ops and of every op that
// depends on them (transitively), updates inputs, re-keys Metadata and Source.Locations, keeps the
// terminal op (the last entry, the one with only an input and no op) last, and adds ops that fn
// created (AddInput) right before their first user. Unchanged ops keep their bytes and digests.
// Output is deterministic: the same input gives byte-identical output every time (no map iteration
// order leaks). A nil/empty definition returns as is.
//
// Determinism assumes fn is deterministic. Def is byte-identical; Metadata and Source are equal
// maps, so marshal them with proto.MarshalOptions{Deterministic: true} when bytes matter
// (pb.Definition.Marshal is vtprotobuf's, which writes maps in iteration order).
//
// Entries of def.Def that are byte-identical are stored once, at the place of the first one, and
// so are ops that become identical through the rewrite; their Metadata and Source.Locations are
// those of the first of them in output order. Metadata and Source.Locations keys that name no op
// of def are copied unchanged.
//
// Changed ops are marshalled to the bytes client/llb gives them (its deterministic marshalling).
// For source and build ops, whose maps need it, that is proto's deterministic marshalling, which
// refuses invalid UTF-8 in string fields: Definition returns an error when such an op (which
// client/llb could not have produced either) has to change.
func Definition(def *pb.Definition, fn Func) (*pb.Definition, error) {
	if def == nil || len(def.Def) == 0 {
		return def, nil
	}
	if fn == nil {
		return nil, errors.New("failed to rewrite definition: nil func")
	}
	r, err := newRewriter(def, fn)
	if err != nil {
		return nil, err
	}
	for _, n := range r.nodes {
		if err := r.visit(n); err != nil {
			return nil, err
		}
	}
	return r.build(), nil
}

// node is one op of the definition, or one op added by a Func.
type node struct {
	orig    digest.Digest // digest in def; "" for added ops
	origOp  *pb.Op        // op as parsed from def; nil for added ops
	origMD  *pb.OpMetadata
	dt      []byte // current bytes: the original ones until the op changes
	dgst    digest.Digest
	op      *pb.Op // current op; never handed out without a copy
	md      *pb.OpMetadata
	added   bool
	state   visitState
	emitted bool
}

type visitState int

const (
	unvisited visitState = iota
	visiting
	visited
)

type rewriter struct {
	def    *pb.Definition
	fn     Func
	nodes  []*node                 // ops of def in def order, duplicates removed
	last   *node                   // the terminal op: the last entry of def
	byOrig map[digest.Digest]*node // original digest -> op of def
	byNew  map[digest.Digest]*node // current digest -> first op with it (visited or added)
	source *pb.Source              // def.Source, handed to Funcs read-only
	// consumers maps an original digest to the ops of def that use it, once Private needs it.
	consumers map[digest.Digest][]*node
}

func newRewriter(def *pb.Definition, fn Func) (*rewriter, error) {
	r := &rewriter{
		def:    def,
		fn:     fn,
		byOrig: make(map[digest.Digest]*node, len(def.Def)),
		byNew:  make(map[digest.Digest]*node, len(def.Def)),
	}
	for i, dt := range def.Def {
		dgst := digestOf(dt)
		if n, ok := r.byOrig[dgst]; ok {
			r.last = n
			continue
		}
		var op pb.Op
		if err := op.UnmarshalVT(dt); err != nil {
			return nil, errors.Wrapf(err, "failed to parse op %d of definition", i)
		}
		// md is shared with def until a Func edits a copy of it (newExec).
		md := def.Metadata[string(dgst)]
		n := &node{orig: dgst, origOp: &op, origMD: md, dt: dt, dgst: dgst, op: &op, md: md}
		r.byOrig[dgst] = n
		r.nodes = append(r.nodes, n)
		r.last = n
	}
	r.source = def.Source
	return r, nil
}

// visit rewrites n after all of its inputs (depth first, inputs in index order, so the order in
// which Funcs run only depends on def).
func (r *rewriter) visit(n *node) error {
	switch n.state {
	case visited:
		return nil
	case visiting:
		// Digests make cycles impossible short of a hash collision; refuse rather than recurse.
		return errors.Errorf("failed to rewrite op %s: dependency cycle", n.orig)
	}
	n.state = visiting
	for i, in := range n.origOp.Inputs {
		if in == nil {
			return errors.Errorf("failed to rewrite op %s: nil input %d", n.orig, i)
		}
		dep, ok := r.byOrig[digest.Digest(in.Digest)]
		if !ok {
			return errors.Errorf("failed to rewrite op %s: invalid missing input digest %s", n.orig, in.Digest)
		}
		if err := r.visit(dep); err != nil {
			return err
		}
	}

	// op is the rewriter's own parse of the op's bytes: it is edited in place.
	op := n.origOp
	changed := false
	for _, in := range op.Inputs {
		if dep := r.byOrig[digest.Digest(in.Digest)]; dep.dgst != dep.orig {
			in.Digest = string(dep.dgst)
			changed = true
		}
	}

	if op.GetExec() != nil {
		e := r.newExec(n, op)
		if err := r.fn(e); err != nil {
			return errors.Wrapf(err, "failed to rewrite exec %s", n.orig)
		}
		if err := r.validateExec(e); err != nil {
			return errors.Wrapf(err, "failed to rewrite exec %s", n.orig)
		}
		op = e.Op
		// Marshalling tells whether fn changed anything more cheaply than a copy to compare with.
		dt, err := marshalOp(op)
		if err != nil {
			return errors.Wrapf(err, "failed to marshal op %s", n.orig)
		}
		if changed || !bytes.Equal(dt, n.dt) && !sameOp(n.dt, op) {
			n.dt, n.dgst = dt, digestOf(dt)
		}
		changed = false
		if e.edited != nil {
			n.md = e.edited
			// An exec without metadata gets an empty one to edit; keep it absent if left empty.
			if n.origMD == nil && n.md.EqualVT(&pb.OpMetadata{}) {
				n.md = nil
			}
		}
	}

	if changed {
		dt, err := marshalOp(op)
		if err != nil {
			return errors.Wrapf(err, "failed to marshal op %s", n.orig)
		}
		n.dt = dt
		n.dgst = digestOf(dt)
	}
	n.op = op
	r.register(n)
	n.state = visited
	return nil
}

// register makes n findable by its current digest; the first op with a digest wins.
func (r *rewriter) register(n *node) {
	if _, ok := r.byNew[n.dgst]; !ok {
		r.byNew[n.dgst] = n
	}
}

// build assembles the output definition: ops in def order with added ops right before their
// first user and the terminal op last, each digest once.
func (r *rewriter) build() *pb.Definition {
	var order, written []*node // order: every op reached, written: the ones whose bytes are kept
	seen := make(map[digest.Digest]struct{}, len(r.byNew))
	var emit func(n *node)
	emit = func(n *node) {
		if n.emitted {
			return
		}
		n.emitted = true
		for _, in := range n.op.Inputs {
			if dep := r.byNew[digest.Digest(in.Digest)]; dep != nil && dep.added {
				emit(dep)
			}
		}
		order = append(order, n)
		if n != r.last && n.dgst == r.last.dgst {
			return // written last, as the terminal op
		}
		if _, ok := seen[n.dgst]; ok {
			return
		}
		seen[n.dgst] = struct{}{}
		written = append(written, n)
	}
	for _, n := range r.nodes {
		if n != r.last {
			emit(n)
		}
	}
	emit(r.last)

	out := &pb.Definition{Def: make([][]byte, 0, len(written))}
	for _, n := range written {
		out.Def = append(out.Def, n.dt)
	}
	out.Metadata = r.metadata(order)
	out.Source = r.sourceOut(order)
	return out
}

// metadata re-keys def.Metadata to the new digests. Entries that name no op of def are kept.
func (r *rewriter) metadata(order []*node) map[string]*pb.OpMetadata {
	md := make(map[string]*pb.OpMetadata, len(r.def.Metadata))
	for _, n := range order {
		if _, taken := md[string(n.dgst)]; !taken && n.md != nil {
			md[string(n.dgst)] = n.md
		}
	}
	for k, v := range r.def.Metadata {
		if _, isOp := r.byOrig[digest.Digest(k)]; isOp {
			continue
		}
		if _, taken := md[k]; !taken {
			md[k] = v
		}
	}
	if len(md) == 0 && r.def.Metadata == nil {
		return nil
	}
	return md
}

// sourceOut re-keys def.Source.Locations to the new digests. Entries that name no op of def are
// kept.
func (r *rewriter) sourceOut(order []*node) *pb.Source {
	if r.def.Source == nil {
		return nil
	}
	src := &pb.Source{Infos: r.def.Source.Infos}
	if r.def.Source.Locations == nil {
		return src
	}
	locs := make(map[string]*pb.Locations, len(r.def.Source.Locations))
	for _, n := range order {
		if n.added {
			continue
		}
		if l, ok := r.def.Source.Locations[string(n.orig)]; ok {
			if _, taken := locs[string(n.dgst)]; !taken {
				locs[string(n.dgst)] = l
			}
		}
	}
	for k, v := range r.def.Source.Locations {
		if _, isOp := r.byOrig[digest.Digest(k)]; isOp {
			continue
		}
		if _, taken := locs[k]; !taken {
			locs[k] = v
		}
	}
	src.Locations = locs
	return src
}

// marshalOp marshals op the way client/llb does (deterministicMarshal in client/llb/marshal.go):
// pb.Op.Marshal is vtprotobuf's MarshalVT, which writes map entries (SourceOp.Attrs) in map
// iteration order and so is not stable. Ops without maps (all but source and build ops) give the
// same bytes either way, and MarshalVT is several times faster.
func marshalOp(op *pb.Op) ([]byte, error) {
	switch op.Op.(type) {
	case *pb.Op_Source, *pb.Op_Build:
		return proto.MarshalOptions{Deterministic: true}.Marshal(op)
	}
	return op.MarshalVT()
}

// sameOp reports whether dt, an op's bytes, holds op: the same op may have been marshalled
// otherwise than marshalOp does it (field order), and then keeps its bytes.
func sameOp(dt []byte, op *pb.Op) bool {
	var orig pb.Op
	return orig.UnmarshalVT(dt) == nil && orig.EqualVT(op)
}

// digestOf is digest.FromBytes in one allocation instead of four: every op of a definition is
// digested, and it showed in profiles.
func digestOf(dt []byte) digest.Digest {
	sum := sha256.Sum256(dt)
	var hexSum [sha256.Size * 2]byte
	hex.Encode(hexSum[:], sum[:])
	var b strings.Builder
	b.Grow(len("sha256:") + len(hexSum))
	b.WriteString("sha256:")
	b.Write(hexSum[:])
	return digest.Digest(b.String())
}
