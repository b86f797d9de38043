package rewrite

import (
	"path"
	"strings"

	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"
)

// Private reports whether what this exec leaves at dir in its root filesystem stays among later
// execs: every op that receives that filesystem, directly or through others, is an exec running on
// it (a later RUN of the stage, or of a stage built FROM it) that accept takes, a file op that
// only builds on it or copies out of it paths that do not overlap dir (COPY --from=stage
// /app/bin), or a merge op passing it on to such ops; no other op (a build or diff op, a mount
// of it elsewhere that can see dir) and not the definition's result. It then returns the
// original digests of those execs, in the order they were found: a cache mounted at dir in this
// exec and in all of them gives each the same dir the image's layers would have, while no image,
// layer the build exports, or other stage sees it.
//
// accept sees each such exec as it is in def (read-only), with its digest there. A symlink in the tree that a copy
// follows into dir is not seen; copies name their sources with literal paths in what
// Dockerfiles give.
func (e *Exec) Private(dir string, accept func(dgst digest.Digest, op *pb.Op) bool) ([]digest.Digest, bool) {
	root, _ := FindMount(e.Op.GetExec(), pb.RootMount)
	if root == nil || root.Selector != "" || !path.IsAbs(dir) {
		return nil, false
	}
	dir = path.Clean(dir)
	r := e.r
	if r.consumers == nil {
		r.consumers = consumersOf(r.nodes)
	}
	type output struct {
		dgst digest.Digest
		out  int64
	}
	var execs []digest.Digest
	queue := []output{{e.orig, root.Output}}
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
			for i, in := range c.origOp.Inputs {
				if in.Digest != string(o.dgst) || in.Index != o.out {
					continue
				}
				next, ok := carried(c.origOp, int64(i), dir)
				if !ok {
					return nil, false
				}
				if c.origOp.GetExec() != nil && len(next) > 0 {
					if !accept(c.orig, c.origOp) {
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
// that input otherwise than by building on it.
func carried(op *pb.Op, i int64, dir string) (outputs []int64, ok bool) {
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
				continue
			}
			if from(a.SecondaryInput) {
				cp := a.GetCopy()
				if cp == nil || overlaps(literalPrefix(cp.Src), dir) {
					return nil, false
				}
			}
			if from(a.Input) {
				carries[k] = true
				if a.Output >= 0 {
					outputs = append(outputs, a.Output)
				}
			}
		}
		return outputs, true
	case *pb.Op_Merge:
		return []int64{0}, true
	}
	return nil, false
}

// consumersOf maps each op's digest to the ops that name it as an input.
func consumersOf(nodes []*node) map[digest.Digest][]*node {
	m := map[digest.Digest][]*node{}
	for _, n := range nodes {
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

// overlaps reports whether a and b (absolute, "" meaning "/") are the same path or one holds
// the other.
func overlaps(a, b string) bool {
	a, b = path.Clean("/"+a), path.Clean("/"+b)
	return a == b || a == "/" || b == "/" || strings.HasPrefix(a, b+"/") || strings.HasPrefix(b, a+"/")
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
