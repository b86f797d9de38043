package rules

import (
	"path"
	"slices"

	"github.com/cachefront/cachefront/frontend/shell"
)

// asdf recognises `asdf install` and mounts nothing. asdf runs a plugin's
// download script into $ASDF_DATA_DIR/downloads/<tool>/<version> on every
// install and deletes that directory afterwards unless always_keep_download
// or --keep-download says otherwise; whether a script skips a download it
// already has is up to each plugin, and the plugin template's fetches
// unconditionally and deletes the archive once extracted. Keeping the
// directory in a cache would save no download, so the step reports asdf and a
// note saying so. What asdf installs ($ASDF_DATA_DIR/installs) is a store.
type asdf struct{}

func (asdf) Name() string { return "asdf" }

func (asdf) Programs() []string { return []string{"asdf"} }

func (r asdf) Apply(s *Step, p *Plan) {
	for _, c := range s.Commands {
		if c.Base() == "asdf" && verb(c.Words()) == "install" {
			p.addManager(r.Name())
			p.note("asdf: plugins download again on every install (asdf deletes the download directory, and most plugin scripts fetch unconditionally); nothing is mounted")
			return
		}
	}
}

// mise caches mise's cache directory: lists of available versions, registry
// metadata and the caches of its backends, which mise documents as safe to
// delete whenever it is not installing. MISE_CACHE_DIR moves it for the step
// to /run/cachefront/mise; one the image or the Dockerfile sets is mounted
// where it points. mise's documentation says not to share it between
// machines, so the cache id carries the platform, and sharing is locked.
//
// Not mounted: the installs (a store) and $MISE_DATA_DIR/downloads, which
// mise documents as no supported download cache (it deletes it after an
// install unless always_keep_download, and only some backends reuse it).
type mise struct{}

func (mise) Name() string { return "mise" }

func (mise) Programs() []string { return []string{"mise"} }

var miseDownloads = []string{"install", "i", "use", "u", "upgrade", "up", "exec", "x", "run", "r", "sync", "plugins", "plugin", "p"}

func (r mise) Apply(s *Step, p *Plan) {
	var runs []shell.Command
	for _, c := range s.Commands {
		if c.Base() == "mise" && slices.Contains(miseDownloads, verb(c.Words(), "-C", "--cd", "-E", "--env", "-j", "--jobs")) {
			runs = append(runs, c)
		}
	}
	if len(runs) == 0 {
		return
	}
	p.addManager(r.Name())
	c := runs[0]
	target, set := s.env(c, "MISE_CACHE_DIR")
	home, known := s.home(c)
	switch {
	case set && target != "" && s.cacheMounted(target), known && s.cacheMounted(path.Join(home, ".cache/mise")):
		p.note("mise: the step mounts its own mise cache; left as written")
		return
	case !set || target == "":
		target = CacheRoot + "/mise"
		p.Env["MISE_CACHE_DIR"] = target
	}
	p.addMount(Mount{Target: target, ID: s.id("mise", append([]string{platformKey(s.Platform)}, ownerKeys(s.owner(c))...)...), Sharing: Locked, Owner: s.owner(c)})
	spareMounts(s, p)
}
