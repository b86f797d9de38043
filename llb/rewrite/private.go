package rewrite

import (
	"path"
	"strings"

	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"
)

// Private reports whether dir (absolute) of this exec's root filesystem is the exec's own and
// stays among later execs, so that a cache mounted at dir in this exec and in all of them gives
// each the same dir the layers would have held, while no image, exported layer or other stage
// sees it. It returns the original digests of those later execs, in the order found.
//
// Later: every op that receives this exec's root filesystem, directly or through others, is an
// exec running on it (a later RUN of the stage, or of a stage built FROM it) that accept takes,
// a file op that builds on it without writing at, in or above dir (COPY . /src) or copies out
// of it paths that do not overlap dir (COPY --from=stage /app/bin), or a merge op whose other
// layers write nothing at, in or above dir (COPY --link);
// no other op (a build or diff op, a mount of it elsewhere that can see dir), and not the
// definition's result.
//
// Before: on the chain of root filesystems the exec builds on, back to its base image, every
// exec is one accept takes (with before set), and no file op or merged layer writes at, in or
// above dir. What the base image itself holds at dir is not known here.
//
// accept sees each exec (read-only) with its digest in def: a later one as def has it, an
// earlier one as the rewrite has it (edited by the Func). A symlink that a copy follows into dir
// is not seen; Dockerfile copies name their sources with literal paths.
func (e *Exec) Private(dir string, accept func(dgst digest.Digest, op *pb.Op, before bool) bool) ([]digest.Digest, bool) {
	root, _ := FindMount(e.Op.GetExec(), pb.RootMount)
	if root == nil || root.Selector != "" || !path.IsAbs(dir) {
		return nil, false
	}
	dir = path.Clean(dir)
	if !e.r.ownTree(e.Op.Inputs, root.Input, dir, accept) {
		return nil, false
	}
	return e.r.laterExecs(e.orig, root.Output, dir, accept)
}

// ownTree walks back from input in of an exec through the root filesystems it builds on.
// Every op on the way has been visited: inputs name current digests.
func (r *rewriter) ownTree(inputs []*pb.Input, in int64, dir string, accept func(digest.Digest, *pb.Op, bool) bool) bool {
	for steps := 0; steps <= len(r.byNew); steps++ {
		if in == int64(pb.Empty) {
			return true
		}
		if in < 0 || in >= int64(len(inputs)) || inputs[in] == nil {
			return false
		}
		n, ok := r.byNew[digest.Digest(inputs[in].Digest)]
		if !ok {
			return false
		}
		out := inputs[in].Index
		switch o := n.op.Op.(type) {
		case *pb.Op_Source:
			return true
		case *pb.Op_Exec:
			if !accept(n.orig, n.origOp, true) {
				return false
			}
		case *pb.Op_File:
			for _, a := range o.File.GetActions() {
				if a == nil || writesAt(a, dir) {
					return false
				}
			}
		case *pb.Op_Merge:
			if !layersKeepOff(n.op, o.Merge, baseInput(n.op, out), r.byNew, dir) {
				return false
			}
		default:
			return false
		}
		inputs, in = n.op.Inputs, baseInput(n.op, out)
	}
	return false
}

// laterExecs walks forward from output out of the exec dgst (see Private). The ops it reaches
// depend on that exec, so none has been visited yet: their inputs still name original digests.
// (Func sees an op after its inputs' visits: the ops reached are unvisited or on the stack.)
func (r *rewriter) laterExecs(dgst digest.Digest, out int64, dir string, accept func(digest.Digest, *pb.Op, bool) bool) ([]digest.Digest, bool) {
	if r.consumers == nil {
		r.consumers = consumersOf(r.nodes)
	}
	type output struct {
		dgst digest.Digest
		out  int64
	}
	var execs []digest.Digest
	queue := []output{{dgst, out}}
	seen := map[output]bool{}
	for len(queue) > 0 {
		o := queue[0]
		queue = queue[1:]
		if o.out < 0 || seen[o] {
			continue
		}
		seen[o] = true
		if r.isResult(o.dgst, o.out) {
			return nil, false
		}
		for _, c := range r.consumers[o.dgst] {
			if c.state == visited {
				continue // indexed before its visit; a visited op is no later op
			}
			for i, in := range c.origOp.Inputs {
				if in.Digest != string(o.dgst) || in.Index != o.out {
					continue
				}
				next, ok := r.carried(c.origOp, int64(i), dir)
				if !ok {
					return nil, false
				}
				if c.origOp.GetExec() != nil && len(next) > 0 {
					if !accept(c.orig, c.origOp, false) {
						return nil, false
					}
					execs = append(execs, c.orig)
				}
				for _, out := range next {
					queue = append(queue, output{c.orig, out})
				}
			}
		}
	}
	return dedupe(execs), true
}

// carried returns the outputs of op that carry input i on, and false when op can see dir in
// that input otherwise than by building on it, or writes at, in or above dir.
func (r *rewriter) carried(op *pb.Op, i int64, dir string) (outputs []int64, ok bool) {
	switch o := op.Op.(type) {
	case *pb.Op_Exec:
		for _, m := range o.Exec.GetMounts() {
			if m == nil || m.Input != i {
				continue
			}
			if m.Dest != pb.RootMount || m.Selector != "" {
				if overlaps(m.Selector, dir) {
					return nil, false
				}
				continue
			}
			outputs = append(outputs, m.Output)
		}
		return outputs, true
	case *pb.Op_File:
		actions := o.File.GetActions()
		n := int64(len(op.Inputs))
		carries := make([]bool, len(actions))
		from := func(in int64) bool {
			if in == i {
				return true
			}
			j := in - n
			return in >= n && j < int64(len(actions)) && carries[j]
		}
		for k, a := range actions {
			if a == nil {
				return nil, false
			}
			if from(a.SecondaryInput) {
				cp := a.GetCopy()
				if cp == nil || overlaps(literalPrefix(cp.Src), dir) {
					return nil, false
				}
			}
			if from(a.Input) {
				if writesAt(a, dir) {
					return nil, false
				}
				carries[k] = true
				if a.Output >= 0 {
					outputs = append(outputs, a.Output)
				}
			}
		}
		return outputs, true
	case *pb.Op_Merge:
		// Not yet visited: its inputs name the layers by their digests in def.
		if !layersKeepOff(op, o.Merge, i, r.byOrig, dir) {
			return nil, false
		}
		return []int64{0}, true
	}
	return nil, false
}

// layersKeepOff reports whether every layer of merge op but the one from input skip is a file
// op (COPY --link makes them) that writes nothing at, in or above dir. byDigest finds the layers
// by the digests op's inputs name.
func layersKeepOff(op *pb.Op, merge *pb.MergeOp, skip int64, byDigest map[digest.Digest]*node, dir string) bool {
	for _, mi := range merge.GetInputs() {
		if mi == nil || mi.Input < 0 || mi.Input >= int64(len(op.Inputs)) {
			return false
		}
		if mi.Input == skip {
			continue
		}
		layer, ok := byDigest[digest.Digest(op.Inputs[mi.Input].Digest)]
		if !ok || layer.op.GetFile() == nil {
			return false
		}
		for _, a := range layer.op.GetFile().GetActions() {
			if a == nil || writesAt(a, dir) {
				return false
			}
		}
	}
	return true
}

// writesAt reports whether a may write at, in or above dir (mkdir -p of a parent, as WORKDIR
// /go does, creates nothing in dir).
func writesAt(a *pb.FileAction, dir string) bool {
	switch x := a.Action.(type) {
	case *pb.FileAction_Copy:
		return overlaps(x.Copy.Dest, dir)
	case *pb.FileAction_Mkdir:
		return within(x.Mkdir.Path, dir)
	case *pb.FileAction_Mkfile:
		return within(x.Mkfile.Path, dir)
	case *pb.FileAction_Rm:
		return overlaps(x.Rm.Path, dir)
	case *pb.FileAction_Symlink:
		return overlaps(x.Symlink.Newpath, dir)
	}
	return true
}

// consumersOf maps each op's digest to the ops that name it as an input. Visited ops are left
// out: their inputs name new digests, and they are no later ops of the exec being visited. (Ops
// on the visit's stack are in: their inputs are rewritten only after their own inputs' visits.)
func consumersOf(nodes []*node) map[digest.Digest][]*node {
	m := map[digest.Digest][]*node{}
	for _, n := range nodes {
		if n.state == visited {
			continue
		}
		var last digest.Digest
		for _, in := range n.origOp.Inputs {
			if d := digest.Digest(in.Digest); d != last {
				m[d] = append(m[d], n)
				last = d
			}
		}
	}
	return m
}

// isResult reports whether output out of the op dgst is what the definition builds: the input
// of the terminal op, or any output of the last op when the definition has no terminal op.
func (r *rewriter) isResult(dgst digest.Digest, out int64) bool {
	last := r.last.origOp
	if last.Op != nil {
		return r.last.orig == dgst
	}
	for _, in := range last.Inputs {
		if in.Digest == string(dgst) && in.Index == out {
			return true
		}
	}
	return false
}

// overlaps reports whether a and b ("" meaning "/") are the same path or one holds the other.
func overlaps(a, b string) bool {
	return within(a, b) || within(b, a)
}

// within reports whether p is dir or below it ("" meaning "/").
func within(p, dir string) bool {
	p, dir = path.Clean("/"+p), path.Clean("/"+dir)
	return p == dir || dir == "/" || strings.HasPrefix(p, dir+"/")
}

// literalPrefix is src up to its first glob character: the directory a wildcard copy reads in.
func literalPrefix(src string) string {
	if i := strings.IndexAny(src, "*?[\\"); i >= 0 {
		return path.Dir(src[:i] + "x")
	}
	return src
}

func dedupe(ds []digest.Digest) []digest.Digest {
	var out []digest.Digest
	seen := map[digest.Digest]bool{}
	for _, d := range ds {
		if !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	return out
}
