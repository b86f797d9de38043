package rules

import (
	"path"
	"slices"

	"github.com/cachefront/cachefront/frontend/shell"
)

// composer caches Composer's cache directory: dist archives (files/),
// repository metadata (repo/) and VCS mirrors (vcs/). COMPOSER_CACHE_DIR,
// which Composer reads before any cache-dir setting, moves it for the step
// to /run/cachefront/composer; one the image or the Dockerfile sets is
// mounted where it points. The official image's COMPOSER_HOME=/tmp would
// otherwise leave the cache in /tmp/cache of the image.
//
// Sharing is locked: Composer copies archives into the cache in place (only
// small metadata files are renamed from temporary names), and its cache
// garbage collection may run in any process.
//
// Neutralised: `--no-cache`, which makes Composer set COMPOSER_CACHE_DIR to
// /dev/null (removed), and `composer clear-cache` (a no-op; with --gc, which
// only expires old entries, it is kept).
type composer struct{}

func (composer) Name() string { return "composer" }

func (composer) Programs() []string { return []string{"composer", "composer.phar", "composer2", "php"} }

var composerDownloads = []string{"install", "i", "update", "u", "upgrade", "require", "r", "create-project", "reinstall", "remove", "rm", "uninstall"}

var composerValued = []string{"-d", "--working-dir"}

// composerArgs returns the arguments after Composer, run directly or by
// php (`php composer.phar install`), and whether c runs Composer.
func composerArgs(c shell.Command) ([]shell.Arg, bool) {
	switch c.Base() {
	case "composer", "composer.phar", "composer2":
		return c.Args, true
	case "php":
		for i := 0; i < len(c.Args); i++ {
			v := c.Args[i].Value
			if v == "-d" || v == "-c" || v == "-z" {
				i++ // php options with a value; -f is followed by the script
				continue
			}
			if v == "-f" || len(v) > 0 && v[0] == '-' {
				continue
			}
			switch path.Base(v) {
			case "composer", "composer.phar":
				return c.Args[i+1:], true
			}
			return nil, false
		}
	}
	return nil, false
}

func (r composer) Apply(s *Step, p *Plan) {
	var runs []shell.Command
	for _, c := range s.Commands {
		args, ok := composerArgs(c)
		if !ok {
			continue
		}
		w := words(args)
		v := verb(w, composerValued...)
		if v == "global" {
			// composer global require x: the verb after "global".
			i := slices.Index(w, "global")
			v = verb(w[i+1:], composerValued...)
		}
		switch {
		case slices.Contains(composerDownloads, v):
			runs = append(runs, c)
		case (v == "clear-cache" || v == "clearcache" || v == "cc") && !slices.Contains(w, "--gc"):
			p.neutralize(s, c, "composer clear-cache", shell.Edit{Start: c.Start, End: c.End, Text: "true"})
		}
	}
	if len(runs) == 0 {
		return
	}
	p.addManager(r.Name())
	c := runs[0]
	target, set := s.env(c, "COMPOSER_CACHE_DIR")
	home, known := s.home(c)
	switch {
	case set && (target == "/dev/null" || target == ""):
		p.note("composer: COMPOSER_CACHE_DIR=" + target + " keeps Composer from caching; not cached")
		return
	case set && s.cacheMounted(target), known && s.cacheMounted(path.Join(home, ".cache/composer"), path.Join(home, ".composer/cache")):
		p.note("composer: the step mounts its own Composer cache; left as written")
		return
	case !set:
		target = CacheRoot + "/composer"
		p.Env["COMPOSER_CACHE_DIR"] = target
	}
	p.addMount(Mount{Target: target, ID: s.id("composer", ownerKeys(s.owner(c))...), Sharing: Locked, Owner: s.owner(c)})
	for _, c := range runs {
		args, _ := composerArgs(c)
		for _, a := range args {
			if a.Literal && a.Value == "--no-cache" {
				p.neutralize(s, c, "composer --no-cache", shell.Edit{Start: a.Start, End: a.End, Text: ""})
			}
		}
		for _, kv := range c.Env {
			if kv == "COMPOSER_CACHE_DIR=/dev/null" {
				p.note("composer: COMPOSER_CACHE_DIR=/dev/null on the command line keeps Composer from caching")
			}
		}
	}
	spareMounts(s, p)
}
