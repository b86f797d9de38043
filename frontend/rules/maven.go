package rules

import "slices"

// maven recognises Maven (mvn, the Maven Wrapper mvnw, mvnd) and mounts
// nothing: Maven has no pure download cache. Its local repository
// (~/.m2/repository, or -Dmaven.repo.local) is, in the Maven documentation's
// words, a "mixed bag": it caches downloads and holds what `mvn install`
// installs, and later steps, `mvn -o` and the image read both. Maven
// Resolver 1.9 can split it (aether.enhancedLocalRepository.split), but only
// when asked, and turning that on for one step would move installed
// artifacts where later steps do not look; the chained local repository
// (maven.repo.local.tail) is read-only, so it can't collect downloads. The
// Maven Wrapper's distribution (~/.m2/wrapper/dists) is what later steps
// run. A step reports Maven and a note saying so; a Dockerfile that accepts
// the cost mounts ~/.m2 itself, and cachefront leaves that alone.
//
// Steps that run Maven still get the MAVEN_MIRROR setting: a mirror is
// needed with no cache (see Settings).
type maven struct{}

func (maven) Name() string { return "maven" }

func (maven) Programs() []string { return []string{"mvn", "mvnw", "mvnd", "mvnw.cmd"} }

// mavenIdle are invocations that build nothing.
var mavenIdle = []string{"-v", "--version", "-h", "--help"}

func (r maven) Apply(s *Step, p *Plan) {
	for _, c := range s.Commands {
		switch c.Base() {
		case "mvn", "mvnw", "mvnd", "mvnw.cmd":
		default:
			continue
		}
		w := c.Words()
		if len(w) == 0 || slices.ContainsFunc(w, func(a string) bool { return slices.Contains(mavenIdle, a) }) {
			continue
		}
		p.addManager(r.Name())
		p.note("maven: the local repository (~/.m2/repository) also holds installed artifacts that later steps and the image read, and the wrapper's Maven is run from ~/.m2/wrapper: nothing is a pure cache, nothing is mounted")
		return
	}
}
