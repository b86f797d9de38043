package rules

import (
	"slices"
	"strings"

	"github.com/cachefront/cachefront/frontend/shell"
)

// zypper caches downloaded packages. For the step alone each zypper command
// that installs is given the global option `--pkg-cache-dir
// /run/cachefront/zypper` (global options go before the command), an
// absolute path that --root and --installroot leave as is. libzypp deletes
// a package after installing it unless its repository keeps packages, or,
// from libzypp 17.35.19 (January 2025), the package cache holds a
// `.keep_packages` entry: the cache is created with one (a directory; libzypp
// only checks that it exists). libzypp reuses a cached package only when its
// checksum matches the repository metadata, so the cache can't serve a
// wrong file.
//
// Repository metadata (/var/cache/zypp/raw and solv) is not moved: zypper
// keys it by repository alias, not URL, and refreshes it only for repositories
// with auto-refresh on, so a shared copy could be stale or another
// repository's. It stays in the image exactly as upstream leaves it.
//
// `zypper clean` and `rm -rf /var/cache/zypp/*` need nothing: they clean the
// image's default cache, as upstream. `zypper download` and
// `--download-only` keep packages in the default cache on purpose (a later
// rpm or zypper reads them there), so those commands are left as written.
//
// Sharing is locked: zypp's lock (/run/zypp.pid) is per root, and two
// containers downloading the same package into one cache would collide.
//
// Known limits: with libzypp older than 17.35.19 packages are not kept (the
// step downloads as before); a step that sets its own cache directories is
// left as written; commands in nested shells and exec form keep the default.
type zypper struct{}

const zypperCache = CacheRoot + "/zypper"

func (zypper) Name() string { return "zypper" }

func (zypper) Programs() []string { return []string{"zypper"} }

var zypperInstalls = []string{"install", "in", "update", "up", "dist-upgrade", "dup", "patch", "source-install", "si", "install-new-recommends", "inr", "verify", "ve"}

// zypperValued are zypper's global options that take a separate value.
var zypperValued = []string{"-c", "--config", "-s", "--table-style", "-D", "--reposd-dir", "-C", "--cache-dir", "--raw-cache-dir", "--solv-cache-dir", "--pkg-cache-dir", "--userdata", "-p", "--plus-repo", "--plus-content", "--releasever", "-R", "--root", "--installroot"}

func (r zypper) Apply(s *Step, p *Plan) {
	var runs []shell.Command
	for _, c := range s.Commands {
		if c.Base() == "zypper" && slices.Contains(zypperInstalls, verb(c.Words(), zypperValued...)) {
			runs = append(runs, c)
		}
	}
	if len(runs) == 0 {
		return
	}
	p.addManager(r.Name())
	if s.cacheMounted("/var/cache/zypp") {
		p.note("zypper: the step mounts its own zypp cache; left as written")
		return
	}
	for _, c := range s.Commands {
		if c.Base() == "zypper" && zypperSetsCache(c) {
			p.note("zypper: the step sets its own cache directory; left as written")
			return
		}
	}
	var edits []shell.Edit
	for _, c := range runs {
		v := verb(c.Words(), zypperValued...)
		switch {
		case zypperDownloadOnly(c, v):
			p.note("zypper: " + v + " --download-only keeps its packages in the image's cache, as written")
		case !s.Spliceable || c.Nested || c.NameEnd < 0:
			p.note("zypper: " + v + " could not be rewritten (nested shell or exec form): it keeps the default cache")
		default:
			edits = append(edits, shell.Edit{Start: c.NameEnd, End: c.NameEnd, Text: " --pkg-cache-dir " + zypperCache})
		}
	}
	if len(edits) == 0 {
		return
	}
	p.Edits = append(p.Edits, edits...)
	p.addMount(Mount{
		Target:  zypperCache,
		ID:      s.id("zypper", baseKey(s.Base), platformKey(s.Platform)),
		Sharing: Locked,
		Owner:   s.owner(runs[0]),
		Dirs:    []string{".keep_packages"},
	})
}

// zypperSetsCache reports whether c moves zypp's caches itself.
func zypperSetsCache(c shell.Command) bool {
	return slices.ContainsFunc(c.Words(), func(w string) bool {
		name, _, _ := strings.Cut(w, "=")
		switch name {
		case "-C", "--cache-dir", "--pkg-cache-dir":
			return true
		}
		return false
	})
}

// zypperDownloadOnly reports whether c only downloads packages, to install
// them later from the default cache.
func zypperDownloadOnly(c shell.Command, v string) bool {
	w := c.Words()
	for i, a := range w {
		switch {
		case a == "--download-only", a == "--download=only":
			return true
		case a == "--download" && i+1 < len(w) && w[i+1] == "only":
			return true
		case a == "-d" && v != "si" && v != "source-install": // source-install's -d is --build-deps-only
			return true
		}
	}
	return false
}
