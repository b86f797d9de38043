package builder

import (
	"fmt"
	"strings"

	"github.com/cachefront/cachefront/frontend/rules"
	"github.com/cachefront/cachefront/llb/rewrite"
	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"
)

// privateTrees carries a cache mount over a directory that no image sees
// (rules.Step.Private, the go module store of a builder stage) from the
// step a rule gave it to every later step that builds on that one: they
// must see the directory as the layers would have held it.
type privateTrees struct {
	def     *pb.Definition
	optOuts optOuts
	// later holds the mounts each later exec (by digest in def) inherits,
	// with the line of the step they come from.
	later map[digest.Digest][]inherited
}

type inherited struct {
	mount rules.Mount
	line  int
}

// asker returns the Step.Private of exec e; record then passes on the
// mounts of the dirs it found private that the plan kept.
func (t *privateTrees) asker(e *rewrite.Exec) (ask func(dir string) bool, record func(*rules.Plan, int)) {
	found := map[string][]digest.Digest{}
	ask = func(dir string) bool {
		execs, ok := e.Private(dir, t.accept)
		if ok {
			found[dir] = execs
		}
		return ok
	}
	record = func(plan *rules.Plan, line int) {
		for _, m := range plan.Mounts {
			for _, d := range found[m.Target] {
				if t.later == nil {
					t.later = map[digest.Digest][]inherited{}
				}
				t.later[d] = append(t.later[d], inherited{m, line})
			}
		}
	}
	return ask, record
}

// accept takes a later step that can get the mount without its script
// being read: not opted out, and removing or re-owning nothing (an rm of
// the directory would fail on the mount point, a chown would change the
// cache for every build).
func (t *privateTrees) accept(d digest.Digest, op *pb.Op) bool {
	var locs []*pb.Location
	if t.def.Source != nil {
		if l := t.def.Source.Locations[string(d)]; l != nil {
			locs = l.Locations
		}
	}
	if t.optOuts.at(t.def.Source, locs) {
		return false
	}
	// A heredoc with a shebang runs a file the args only name.
	text := strings.Join(op.GetExec().GetMeta().GetArgs(), " ")
	return !strings.Contains(text, pipesDir) && !rules.MayRemove(text)
}

// inherits reports whether e inherits a mount.
func (t *privateTrees) inherits(e *rewrite.Exec) bool {
	return len(t.later[e.Digest()]) > 0
}

// inherit adds to plan the mounts e inherits from earlier steps, with a
// note each.
func (t *privateTrees) inherit(e *rewrite.Exec, plan *rules.Plan) {
	for _, in := range t.later[e.Digest()] {
		dup := false
		for _, m := range plan.Mounts {
			dup = dup || m.Target == in.mount.Target
		}
		if dup {
			continue
		}
		plan.Mounts = append(plan.Mounts, in.mount)
		plan.Notes = append(plan.Notes, fmt.Sprintf("%s: the cache of line %d, which this step builds on", in.mount.Target, in.line))
	}
}
