package builder

import (
	"fmt"
	"slices"
	"strings"

	"github.com/cachefront/cachefront/frontend/rules"
	"github.com/cachefront/cachefront/llb/rewrite"
	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"
)

// privateTrees carries the cache mounts at and within a directory that no
// image sees (rules.Step.Private: the go module store of a builder stage)
// from the step a rule gave them to every later step built on that one:
// they must see the directory as the layers would have held it.
type privateTrees struct {
	def     *pb.Definition
	optOuts optOuts
	// later holds the mounts each later exec (by digest in def) inherits,
	// with the line of the step they come from.
	later map[digest.Digest][]inherited
	// mounted are the execs that have or inherit such mounts.
	mounted map[digest.Digest]bool
}

type inherited struct {
	dir   string
	mount rules.Mount
	line  int
}

// asker returns the Step.Private of exec e; record then passes on the
// mounts at and within the dirs found private that the plan kept.
func (t *privateTrees) asker(e *rewrite.Exec) (ask func(string, func(string, string, rules.When) bool) bool, record func(*rules.Plan, int)) {
	found := map[string][]digest.Digest{}
	ask = func(dir string, keeps func(text, cwd string, when rules.When) bool) bool {
		exec := e.Op.GetExec()
		// Offline, the store in the base image is all the step has: keep it.
		if exec.GetNetwork() == pb.NetMode_NONE || !keeps(argsText(exec), exec.GetMeta().GetCwd(), rules.Self) {
			return false
		}
		execs, ok := e.Private(dir, func(d digest.Digest, op *pb.Op, before bool) bool {
			if before {
				return t.mounted[d] || keeps(argsText(op.GetExec()), op.GetExec().GetMeta().GetCwd(), rules.Before)
			}
			return t.accept(d, op) && keeps(argsText(op.GetExec()), op.GetExec().GetMeta().GetCwd(), rules.After)
		})
		if ok {
			found[dir] = execs
		}
		return ok
	}
	record = func(plan *rules.Plan, line int) {
		for dir, execs := range found {
			if !hasMountAt(plan, dir) {
				continue // the plan dropped it (an rm reaches it)
			}
			if t.mounted == nil {
				t.mounted, t.later = map[digest.Digest]bool{}, map[digest.Digest][]inherited{}
			}
			t.mounted[e.Digest()] = true
			for _, d := range execs {
				t.mounted[d] = true
				for _, m := range plan.Mounts {
					if within(m.Target, dir) {
						t.later[d] = append(t.later[d], inherited{dir, m, line})
					}
				}
			}
		}
	}
	return ask, record
}

func hasMountAt(plan *rules.Plan, dir string) bool {
	for _, m := range plan.Mounts {
		if m.Target == dir {
			return true
		}
	}
	return false
}

// accept takes a later step that was not opted out and whose script is
// in its args (a heredoc with a shebang runs a file they only name).
func (t *privateTrees) accept(d digest.Digest, op *pb.Op) bool {
	var locs []*pb.Location
	if t.def.Source != nil {
		if l := t.def.Source.Locations[string(d)]; l != nil {
			locs = l.Locations
		}
	}
	return !t.optOuts.at(t.def.Source, locs) && !strings.Contains(argsText(op.GetExec()), pipesDir)
}

func argsText(exec *pb.ExecOp) string {
	return strings.Join(exec.GetMeta().GetArgs(), " ")
}

// inherits reports whether e inherits a mount.
func (t *privateTrees) inherits(e *rewrite.Exec) bool {
	return len(t.later[e.Digest()]) > 0
}

// inherit adds to plan the mounts e inherits from earlier steps, with a
// note each, unless e has a mount of its own at or above their dir (which
// hid the layers' dir from it before too).
func (t *privateTrees) inherit(e *rewrite.Exec, plan *rules.Plan) {
	for _, in := range t.later[e.Digest()] {
		if ownMountOver(e.Op.GetExec(), in.dir) {
			continue
		}
		dup := false
		for _, m := range plan.Mounts {
			dup = dup || m.Target == in.mount.Target
		}
		if dup {
			continue
		}
		plan.Mounts = append(plan.Mounts, in.mount)
		note := fmt.Sprintf("%s: the caches of line %d, which this step builds on", in.dir, in.line)
		if !slices.Contains(plan.Notes, note) {
			plan.Notes = append(plan.Notes, note)
		}
	}
}

// ownMountOver reports whether exec has a mount (but its root) at or above dir.
func ownMountOver(exec *pb.ExecOp, dir string) bool {
	for _, m := range exec.GetMounts() {
		if m.Dest != pb.RootMount && within(dir, m.Dest) {
			return true
		}
	}
	return false
}
