package rules

import (
	"slices"
	"strings"

	"github.com/cachefront/cachefront/frontend/shell"
)

// npm keeps downloaded tarballs and metadata in its content-addressed cache
// (_cacache), safe to share between builds. npm_config_cache moves it for
// the step; one the image or the Dockerfile sets is mounted where it points.
type npm struct{}

func (npm) Name() string { return "npm" }

func (npm) Programs() []string { return []string{"npm", "npx"} }

var npmDownloads = []string{"ci", "clean-install", "install", "i", "in", "ins", "inst", "insta", "instal", "isnt", "isnta", "isntal", "isntall", "add", "update", "up", "upgrade", "udpate", "exec", "x", "rebuild", "install-test", "it", "install-ci-test", "cit"}

var npmValued = []string{"--prefix", "-C", "--cache", "--registry", "--userconfig", "--globalconfig", "-w", "--workspace", "--loglevel"}

func (r npm) Apply(s *Step, p *Plan) {
	var runs, cleans []shell.Command
	for _, c := range s.Commands {
		switch c.Base() {
		case "npx":
			runs = append(runs, c)
		case "npm":
			switch v := verb(c.Words(), npmValued...); {
			case slices.Contains(npmDownloads, v):
				runs = append(runs, c)
			case v == "cache" && slices.Contains(c.Words(), "clean"):
				cleans = append(cleans, c)
			}
		}
	}
	if len(runs) == 0 {
		// A cleanup in a step that downloads nothing cleans the image, as
		// upstream's does: there is no cache here to keep.
		return
	}
	p.addManager(r.Name())
	c := runs[0]
	target, set := npmCacheSetting(s, c)
	if home, ok := s.home(c); ok && s.cacheMounted(home+"/.npm") || set && s.cacheMounted(target) {
		p.note("npm: the step mounts its own npm cache; left as written")
		return
	}
	if !set {
		target = CacheRoot + "/npm"
		p.Env["npm_config_cache"] = target
	}
	p.addMount(Mount{Target: target, ID: s.id("npm"), Sharing: Shared, Owner: s.owner(c)})
	for _, c := range cleans {
		p.neutralize(s, c, "npm cache clean", shell.Edit{Start: c.Start, End: c.End, Text: "true"})
	}
}

// npmCacheSetting finds where the step points npm's cache: a --cache flag,
// `npm config set cache X` (or `npm set cache X`) in the step, or the
// environment. A flag or config beats npm_config_cache, so cachefront's own
// setting would go unused: the cache is mounted where they point instead.
func npmCacheSetting(s *Step, c shell.Command) (string, bool) {
	for _, cmd := range s.Commands {
		if cmd.Base() != "npm" {
			continue
		}
		w := cmd.Words()
		for i, a := range w {
			if v, ok := strings.CutPrefix(a, "--cache="); ok && v != "" {
				return v, true
			}
			if a == "--cache" && i+1 < len(w) && w[i+1] != "" {
				return w[i+1], true
			}
			if a == "cache" && i > 0 && w[i-1] == "set" && i+1 < len(w) && w[i+1] != "" {
				return w[i+1], true
			}
		}
	}
	return npmCacheEnv(s, c)
}

// npmCacheEnv finds npm's cache setting in the environment; npm reads
// npm_config_* case-insensitively.
func npmCacheEnv(s *Step, c shell.Command) (string, bool) {
	for _, k := range []string{"npm_config_cache", "NPM_CONFIG_CACHE"} {
		if v, ok := s.env(c, k); ok && v != "" {
			return v, true
		}
	}
	for k, v := range s.Env {
		if strings.EqualFold(k, "npm_config_cache") && v != "" {
			return v, true
		}
	}
	return "", false
}
