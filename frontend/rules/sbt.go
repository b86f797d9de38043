package rules

import (
	"path"
	"slices"

	"github.com/cachefront/cachefront/frontend/shell"
)

// sbt caches the Coursier cache, which sbt 1.3 and later and its launcher
// download dependencies into: one file per URL, fetched again when missing.
// The launcher copies the sbt it runs into ~/.sbt/boot, and builds resolve
// their class paths again, so the cache is pure for sbt. COURSIER_CACHE,
// which both read, moves it for the step to /run/cachefront/coursier; one the
// image or the Dockerfile sets is mounted where it points.
//
// Sharing is shared: Coursier locks each artifact with a lock file inside
// the cache (OS file locks, which hold across containers) and moves
// downloads into place atomically.
//
// Not mounted: ~/.sbt/boot, where the launcher copies the sbt it runs (what
// later steps run); ~/.ivy2, whose local/ holds what publishLocal publishes
// and whose cache/ only sbt before 1.3 fills; the rest of ~/.sbt, which is
// configuration and compiled plugins. The Coursier CLI (cs) is left alone:
// the launchers `cs install` writes load their JARs from the cache when they
// run, and the class paths `cs fetch` prints point into it.
type sbt struct{}

func (sbt) Name() string { return "sbt" }

func (sbt) Programs() []string { return []string{"sbt", "sbtn"} }

// sbtIdle are invocations that resolve nothing.
var sbtIdle = []string{"-h", "--help", "-V", "--version", "--script-version", "--numeric-version"}

func (r sbt) Apply(s *Step, p *Plan) {
	var runs []shell.Command
	for _, c := range s.Commands {
		if c.Base() != "sbt" && c.Base() != "sbtn" {
			continue
		}
		if !slices.ContainsFunc(c.Words(), func(a string) bool { return slices.Contains(sbtIdle, a) }) {
			runs = append(runs, c)
		}
	}
	if len(runs) == 0 {
		return
	}
	p.addManager(r.Name())
	c := runs[0]
	target, set := s.env(c, "COURSIER_CACHE")
	home, known := s.home(c)
	switch {
	case set && target != "" && s.cacheMounted(target), known && s.cacheMounted(path.Join(home, ".cache/coursier")):
		p.note("sbt: the step mounts its own Coursier cache; left as written")
		return
	case !set || target == "":
		target = CacheRoot + "/coursier"
		p.Env["COURSIER_CACHE"] = target
	}
	p.addMount(Mount{Target: target, ID: s.id("coursier", ownerKeys(s.owner(c))...), Sharing: Shared, Owner: s.owner(c)})
	spareMounts(s, p)
}
