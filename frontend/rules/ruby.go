package rules

import (
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/cachefront/cachefront/frontend/shell"
)

// gem caches what RubyGems and Bundler download: the .gem archives, which
// both keep in the cache/ directory of the installation they install into
// (RubyGems' RemoteFetcher#download skips a gem whose archive is there), and
// Bundler's user cache of compact index responses, which BUNDLE_USER_CACHE
// moves for the step to /run/cachefront/bundler.
//
// The archives are RubyGems' package cache: installed gems are loaded from
// gems/ and specifications/, and `gem pristine` fetches a missing archive
// again. RubyGems has no setting that moves cache/ apart from the
// installation, so it is mounted in place, at $GEM_HOME/cache (gem install,
// or bundle without a path), at DIR/cache for `gem install -i DIR`, and at
// $BUNDLE_PATH/ruby/X.Y.0/cache when RUBY_VERSION tells Bundler's Ruby scope.
// The same directory holds Bundler's bare clones of git sources
// (cache/bundler/git). An rm that reaches the mount, like the Rails
// template's `rm -rf "${BUNDLE_PATH}"/ruby/*/cache`, is rewritten to spare it.
//
// Sharing is locked: RubyGems writes archives in place (File.binwrite), and
// Bundler renames compact index files from temporary names made of the
// process id, which collide between containers.
//
// Known limits: a later `bundle cache` (without cache_all_platforms) after a
// rewritten step finds the archives in the cache only; `bundle clean` and
// `gem cleanup` delete the archives of the gems they remove, from the cache.
// Bundler's global gem cache (BUNDLE_GLOBAL_GEM_CACHE) also restores compiled
// extensions, into extensions/ only and keyed by platform and Ruby, not by
// the system libraries they link: when the image turns it on, the user cache
// is not mounted. A mount in place makes the runtime create missing parents
// as root, so for a non-root user the archives are cached only in
// /usr/local/bundle, the official image's GEM_HOME, created world-writable.
type gem struct{}

func (gem) Name() string { return "gem" }

func (gem) Programs() []string { return []string{"gem", "bundle", "bundler"} }

var (
	gemDownloads    = []string{"install", "i", "update", "pristine"}
	bundleDownloads = []string{"", "install", "update", "cache", "package", "pack", "add", "lock", "outdated"}
	gemValued       = []string{"-i", "--install-dir", "-n", "--bindir", "-v", "--version", "-s", "--source", "-p", "--http-proxy", "--platform", "--config-file"}
	bundleValued    = []string{"--gemfile", "-j", "--jobs", "--retry", "--path"}
	rubyMinor       = regexp.MustCompile(`^([0-9]+)\.([0-9]+)`)
)

// worldWritableGemHome is the GEM_HOME the official Ruby image creates with
// mode 1777, so that any user can install gems.
const worldWritableGemHome = "/usr/local/bundle"

func isBundle(c shell.Command) bool { return c.Base() == "bundle" || c.Base() == "bundler" }

// gemVerb returns the subcommand of gem or bundle, past Bundler's version
// selector (`bundle _2.5.6_ install`); ok is false for other commands.
func gemVerb(c shell.Command) (string, bool) {
	w := c.Words()
	switch {
	case c.Base() == "gem":
		return verb(w, gemValued...), true
	case isBundle(c):
		if len(w) > 0 && len(w[0]) > 2 && strings.HasPrefix(w[0], "_") && strings.HasSuffix(w[0], "_") {
			w = w[1:]
		}
		v := verb(w, bundleValued...)
		if v == "" && slices.ContainsFunc(w, func(a string) bool { return slices.Contains(bundleInfo, a) }) {
			return "--version", true // `bundle -v`: a bare bundle installs, this one doesn't
		}
		return v, true
	}
	return "", false
}

// bundleInfo are the flags that make a bare `bundle` print and exit.
var bundleInfo = []string{"-v", "--version", "-h", "--help"}

func (r gem) Apply(s *Step, p *Plan) {
	var runs []shell.Command
	for _, c := range s.Commands {
		v, ok := gemVerb(c)
		if ok && (c.Base() == "gem" && slices.Contains(gemDownloads, v) || isBundle(c) && slices.Contains(bundleDownloads, v)) {
			runs = append(runs, c)
		}
	}
	if len(runs) == 0 {
		return
	}
	p.addManager(r.Name())
	if v, ok := exportsVar(s, "GEM_HOME", "BUNDLE_PATH", "BUNDLE_USER_CACHE"); ok {
		p.note("gem: the script sets " + v + " itself; left as written")
		return
	}
	for _, c := range runs {
		r.archives(s, p, c)
	}
	for _, c := range runs {
		if isBundle(c) {
			r.userCache(s, p, c)
			break
		}
	}
	spareMounts(s, p)
}

// archives mounts the cache/ directory of the installation c installs into.
func (gem) archives(s *Step, p *Plan, c shell.Command) {
	dir, why := gemInstallDir(s, c)
	target := path.Join(dir, "cache")
	id := s.id("gem", ownerKeys(s.owner(c))...)
	switch {
	case dir == "":
		p.note("gem: " + why + "; gem archives are not cached")
	case s.cacheMounted(target):
		p.note("gem: the step mounts its own gem cache; left as written")
	case s.owner(c) != "0" && path.Clean(dir) != worldWritableGemHome:
		p.note("gem: runs as " + s.owner(c) + "; a mount in " + dir + " could leave root-owned directories there, so gem archives are not cached")
	case slices.ContainsFunc(p.Mounts, func(m Mount) bool { return m.ID == id && m.Target != target }):
		// BuildKit would wait forever for the lock it holds on the first.
		p.note("gem: archives for " + dir + " are not cached: the step mounts the gem cache once, elsewhere")
	default:
		p.addMount(Mount{Target: target, ID: id, Sharing: Locked, Owner: s.owner(c)})
	}
}

// userCache mounts Bundler's user cache, moved for the step unless the
// image or the Dockerfile sets it.
func (gem) userCache(s *Step, p *Plan, c shell.Command) {
	if on, _ := s.env(c, "BUNDLE_GLOBAL_GEM_CACHE"); truthy(on) {
		p.note("gem: BUNDLE_GLOBAL_GEM_CACHE keeps compiled extensions in Bundler's user cache; it is not mounted")
		return
	}
	target, set := s.env(c, "BUNDLE_USER_CACHE")
	home, known := s.home(c)
	if set && target != "" && s.cacheMounted(target) || known && s.cacheMounted(path.Join(home, ".bundle/cache")) {
		p.note("gem: the step mounts its own Bundler cache; left as written")
		return
	}
	if !set || target == "" {
		target = CacheRoot + "/bundler"
		p.Env["BUNDLE_USER_CACHE"] = target
	}
	p.addMount(Mount{Target: target, ID: s.id("bundler", ownerKeys(s.owner(c))...), Sharing: Locked, Owner: s.owner(c)})
}

// gemInstallDir is the installation c installs into, or "" and why not.
func gemInstallDir(s *Step, c shell.Command) (string, string) {
	w := c.Words()
	if c.Base() == "gem" {
		if dir, ok := flagValue(w, "-i", "--install-dir"); ok {
			return absOrEmpty(dir, "the install directory "+dir+" is not absolute")
		}
		if slices.Contains(w, "--user-install") {
			return "", "--user-install installs into a directory named after the Ruby version"
		}
	} else {
		if slices.Contains(w, "--path") || slices.Contains(w, "--deployment") || slices.Contains(w, "--system") {
			return "", "bundle's install path comes from its command line"
		}
		if bp, ok := s.env(c, "BUNDLE_PATH"); ok && bp != "" {
			if sys, _ := s.env(c, "BUNDLE_PATH__SYSTEM"); !truthy(sys) {
				rv, _ := s.env(c, "RUBY_VERSION")
				m := rubyMinor.FindStringSubmatch(rv)
				if m == nil {
					return "", "BUNDLE_PATH holds a ruby/X.Y.0 directory and RUBY_VERSION is unknown"
				}
				return absOrEmpty(path.Join(bp, "ruby", m[1]+"."+m[2]+".0"), "BUNDLE_PATH "+bp+" is not absolute")
			}
		} else if dep, _ := s.env(c, "BUNDLE_DEPLOYMENT"); truthy(dep) {
			return "", "BUNDLE_DEPLOYMENT installs into the application's vendor/bundle"
		}
	}
	if gh, ok := s.env(c, "GEM_HOME"); ok && gh != "" {
		return absOrEmpty(gh, "GEM_HOME "+gh+" is not absolute")
	}
	return "", "GEM_HOME is not set"
}

func absOrEmpty(dir, why string) (string, string) {
	if path.IsAbs(dir) {
		return path.Clean(dir), ""
	}
	return "", why
}

// flagValue returns the literal value of the first of names in w, given as
// "-f V", "--flag V" or "--flag=V".
func flagValue(w []string, names ...string) (string, bool) {
	for i, a := range w {
		for _, n := range names {
			if a == n && i+1 < len(w) && w[i+1] != "" {
				return w[i+1], true
			}
			if v, ok := strings.CutPrefix(a, n+"="); ok && strings.HasPrefix(n, "--") && v != "" {
				return v, true
			}
		}
	}
	return "", false
}

// truthy reads a boolean setting as Bundler and most tools do.
func truthy(v string) bool {
	switch strings.ToLower(v) {
	case "1", "true", "yes", "on":
		return true
	}
	return false
}
