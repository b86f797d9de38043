package builder

import (
	"encoding/json"
	"fmt"
	"maps"
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
	def         *pb.Definition
	optOuts     optOuts
	imageConfig func(ref string) ([]byte, bool) // Config.ImageConfig
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
	var found map[string][]digest.Digest // made when a dir is found private: most steps ask nothing
	ask = func(dir string, keeps func(text, cwd string, when rules.When) bool) bool {
		exec := e.Op.GetExec()
		// Offline, the store in the base image is all the step has: keep it.
		if exec.GetNetwork() == pb.NetMode_NONE || !readable(exec, dir) || !keeps(argsText(exec), exec.GetMeta().GetCwd(), rules.Self) || !t.baseKept(e, keeps) {
			return false
		}
		execs, ok := e.Private(dir, func(d digest.Digest, op *pb.Op, before bool) bool {
			x := op.GetExec()
			if before {
				// An earlier step with a secret or ssh may have fetched
				// modules the network alone would not give again.
				return t.mounted[d] || readable(x, dir) && !ownSecrets(x) && keeps(argsText(x), x.GetMeta().GetCwd(), rules.Before)
			}
			return readable(x, dir) && !t.optedOut(d) && keeps(argsText(x), x.GetMeta().GetCwd(), rules.After)
		})
		if ok {
			if found == nil {
				found = map[string][]digest.Digest{}
			}
			found[dir] = execs
		}
		return ok
	}
	record = func(plan *rules.Plan, line int) {
		for _, dir := range slices.Sorted(maps.Keys(found)) {
			execs := found[dir]
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

// baseKept asks keeps about each step in the history of the image e's
// stage starts from: the image may hold dir already, and a cache there
// would hide it. An image the build did not resolve, or without a config,
// counts as unknown (false); `cachefront plan` resolves none and asks none.
func (t *privateTrees) baseKept(e *rewrite.Exec, keeps func(string, string, rules.When) bool) bool {
	if t.imageConfig == nil {
		return true
	}
	id, _ := e.BaseSource(int(rootInput(e.Op.GetExec())))
	if id == "" {
		return true // scratch
	}
	_, ref, _ := strings.Cut(id, "://")
	dt, ok := t.imageConfig(ref)
	if _, dgst, pinned := strings.Cut(ref, "@"); !ok && pinned {
		dt, ok = t.imageConfig(dgst)
	}
	if !ok {
		return false
	}
	var img struct {
		History []struct {
			CreatedBy string `json:"created_by"`
		} `json:"history"`
	}
	if json.Unmarshal(dt, &img) != nil {
		return false
	}
	for _, h := range img.History {
		if !keeps(h.CreatedBy, "/", rules.Base) {
			return false
		}
	}
	return true
}

// optedOut reports whether the exec d of def was opted out.
func (t *privateTrees) optedOut(d digest.Digest) bool {
	var locs []*pb.Location
	if t.def.Source != nil {
		if l := t.def.Source.Locations[string(d)]; l != nil {
			locs = l.Locations
		}
	}
	return t.optOuts.at(t.def.Source, locs)
}

// readable reports whether exec's args hold what it runs (a heredoc with a
// shebang runs a file they only name) and it mounts nothing of its own at,
// in or above dir (a bind mount of a deps stage there, a cache of its own).
func readable(exec *pb.ExecOp, dir string) bool {
	for _, m := range exec.GetMounts() {
		if m.Dest != pb.RootMount && (within(m.Dest, dir) || within(dir, m.Dest)) {
			return false
		}
	}
	return !strings.Contains(argsText(exec), pipesDir)
}

// ownSecrets reports whether exec mounts an ssh agent or a secret of its
// own (cachefront's settings are cachefront-* secrets).
func ownSecrets(exec *pb.ExecOp) bool {
	for _, m := range exec.GetMounts() {
		switch m.MountType {
		case pb.MountType_SSH:
			return true
		case pb.MountType_SECRET:
			if !strings.HasPrefix(m.GetSecretOpt().GetID(), "cachefront-") {
				return true
			}
		}
	}
	return false
}

func argsText(exec *pb.ExecOp) string {
	return strings.Join(exec.GetMeta().GetArgs(), " ")
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
		note := fmt.Sprintf("%s: the caches of line %d, which this step builds on", in.dir, in.line)
		if !slices.Contains(plan.Notes, note) {
			plan.Notes = append(plan.Notes, note)
		}
	}
}
