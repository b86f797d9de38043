package rules

import (
	"path"
	"slices"
	"strings"

	"github.com/cachefront/cachefront/frontend/shell"
)

// gradle caches Gradle's dependency cache, $GRADLE_USER_HOME/caches/modules-2:
// downloaded artifacts and metadata (files-2.1, metadata-*), which Gradle
// fetches again when they are missing. The rest of GRADLE_USER_HOME stays in
// the image: wrapper/dists holds the Gradle distribution that `./gradlew`
// runs in later steps, jdks/ the toolchains Gradle installs,
// gradle.properties and init.d/ configuration, and the other caches are
// derived from the build and Gradle's version, not downloads.
//
// Gradle has no setting that moves modules-2 apart from GRADLE_USER_HOME, so
// it is mounted in place, and an rm that reaches it (`rm -rf
// ~/.gradle/caches`) is rewritten to spare the mount. Sharing is locked:
// Gradle's cross-process locks ask the owning process to release the cache
// over loopback UDP, which cannot cross the network namespaces of two builds
// (the waiting build times out); Gradle's own answer for sharing between
// containers is a read-only cache (GRADLE_RO_DEP_CACHE), which this is not.
//
// Left as written: `--offline` steps, which read what the image holds, and
// non-root users, for whom the mount point's parents, created by the runtime
// as root, would keep Gradle from writing its other caches. A later offline
// step after a rewritten step finds the downloads in the cache only.
//
// Every run of Gradle gets an --init-script that applies the GRADLE_MIRROR
// setting when the step has it (see gradleMirrorInit).
type gradle struct{}

func (gradle) Name() string { return "gradle" }

func (gradle) Programs() []string { return []string{"gradle", "gradlew"} }

// gradleIdle are invocations that run no build.
var gradleIdle = []string{"-v", "--version", "-h", "--help", "-?", "--stop", "--status"}

func (r gradle) Apply(s *Step, p *Plan) {
	var runs []shell.Command
	for _, c := range s.Commands {
		switch c.Base() {
		case "gradle", "gradlew":
		default:
			continue
		}
		w := c.Words()
		if !slices.ContainsFunc(w, func(a string) bool { return slices.Contains(gradleIdle, a) }) {
			runs = append(runs, c)
		}
	}
	if len(runs) == 0 {
		return
	}
	p.addManager(r.Name())
	for _, c := range runs {
		gradleInitScript(s, p, c)
	}
	for _, c := range runs {
		if slices.Contains(c.Words(), "--offline") {
			p.note("gradle: the step runs --offline and reads the dependency cache the image holds; left as written")
			return
		}
	}
	c := runs[0]
	if v, ok := exportsVar(s, "GRADLE_USER_HOME"); ok {
		p.note("gradle: the script sets " + v + " itself; left as written")
		return
	}
	home, why := gradleUserHome(s, c)
	if home == "" {
		p.note("gradle: " + why + "; not cached")
		return
	}
	target := path.Join(home, "caches/modules-2")
	switch {
	case s.cacheMounted(target):
		p.note("gradle: the step mounts its own Gradle cache; left as written")
		return
	case s.owner(c) != "0":
		p.note("gradle: runs as " + s.owner(c) + "; a mount in GRADLE_USER_HOME would leave root-owned directories there, so it is not cached")
		return
	}
	p.addMount(Mount{Target: target, ID: s.id("gradle", "modules-2"), Sharing: Locked, Owner: "0"})
	if slices.ContainsFunc(runs, func(c shell.Command) bool { return c.Base() == "gradlew" }) {
		p.note("gradle: the wrapper's distribution (wrapper/dists) stays in the image: later steps run Gradle from there")
	}
	spareMounts(s, p)
}

// gradleInitScript has c run the GRADLE_MIRROR setting's init script when
// the step has the setting: Gradle reads init scripts from --init-script
// and GRADLE_USER_HOME/init.d alone, and a mount over init.d would hide the
// image's own. Without the setting the flag expands to nothing.
func gradleInitScript(s *Step, p *Plan, c shell.Command) {
	if !s.Spliceable || c.Nested || c.NameEnd < 0 {
		p.note("gradle: " + c.Base() + " in a nested shell or an exec form does not get the GRADLE_MIRROR mirror")
		return
	}
	p.Edits = append(p.Edits, shell.Edit{Start: c.NameEnd, End: c.NameEnd, Text: " ${" + GradleInitVar + ":+--init-script=$" + GradleInitVar + "}"})
}

// gradleUserHome finds GRADLE_USER_HOME as Gradle does: -g or
// --gradle-user-home, the gradle.user.home property, the environment
// variable, then ~/.gradle. It returns "" and why when unknown.
func gradleUserHome(s *Step, c shell.Command) (string, string) {
	w := c.Words()
	if v, ok := flagValue(w, "-g", "--gradle-user-home"); ok {
		return absOrEmpty(v, "the Gradle user home "+v+" is not absolute")
	}
	for _, a := range w {
		if strings.HasPrefix(a, "-Dgradle.user.home=") {
			return "", "the Gradle user home is set by -Dgradle.user.home"
		}
	}
	for _, k := range []string{"GRADLE_OPTS", "JAVA_OPTS"} {
		if v, _ := s.env(c, k); strings.Contains(v, "-Dgradle.user.home=") {
			return "", "the Gradle user home is set in " + k
		}
	}
	if v, ok := s.env(c, "GRADLE_USER_HOME"); ok && v != "" {
		return absOrEmpty(v, "GRADLE_USER_HOME "+v+" is not absolute")
	}
	if h, ok := s.home(c); ok {
		return path.Join(h, ".gradle"), ""
	}
	return "", "GRADLE_USER_HOME is unknown for user " + s.owner(c)
}
