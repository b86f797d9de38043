package rules

import (
	"slices"
	"strings"

	"github.com/cachefront/cachefront/frontend/shell"
)

// apk caches packages and package indexes, which apk keeps in one directory:
// by default the indexes in /var/cache/apk, and packages only when
// /etc/apk/cache exists. For the step alone each apk command that may
// download is given `--cache-dir /run/cachefront/apk`: the directory exists
// (it is the mount), so apk 2 and apk 3 both cache packages there, and the
// indexes go there too. The path is absolute, so it holds for `--root` as
// well, which xx-apk (tonistiigi/xx) passes for cross roots; file names
// carry the repository's and the package's checksum, so architectures do not
// clash in one cache.
//
// The indexes leave /var/cache/apk of the image with them. apk treats them as
// a cache: every command that writes refetches missing or stale ones. So
// that a shared cache never serves older indexes than a fresh build would
// see, every rewritten add, fix, update and upgrade also gets
// --update-cache, which fetches them anew (apk 2 `apk update` alone keeps
// indexes younger than four hours). `--no-cache` (fetch indexes, keep
// nothing) becomes that same --update-cache: the image ends without indexes
// or packages, and the indexes are as fresh as before. del and the commands
// that only read indexes (info, search, list, policy, ...) are pointed at
// the cache too, so they see what the step fetched; with `--no-cache` they
// stay as written.
//
// Cleanups need nothing: `rm -rf /var/cache/apk/*` cleans the image's
// directory, and `apk cache clean|sync|download` is left to act on the
// image's own cache (/etc/apk/cache), as upstream.
//
// Sharing is locked: apk's database lock lives in the root, not in the
// cache, and downloads go to temporary names that are fixed (apk 2) or carry
// a PID (apk 3), which two containers can share.
//
// Known limits: packages installed from files rather than repositories are
// listed in the cache's "installed" index, which a later build with the same
// base may then offer; a step that sets --cache-dir itself is left as
// written, as its directory may be a store the Dockerfile deletes (a mount
// point can't be deleted); commands in nested shells and exec form can't be
// given the flag and keep apk's defaults.
type apk struct{}

const apkCache = CacheRoot + "/apk"

func (apk) Name() string { return "apk" }

func (apk) Programs() []string { return []string{"apk", "apk.static", "xx-apk"} }

// apkValued are apk's global options that take a separate value.
var apkValued = []string{"--arch", "--cache-dir", "--cache-max-age", "--keys-dir", "--repositories-file", "-p", "--root", "-X", "--repository", "--timeout", "--wait", "--progress-fd", "--from", "--uvol-manager"}

var (
	// apkWriters open the database for writing and refresh stale indexes.
	apkWriters = []string{"add", "fix", "update", "upgrade"}
	// apkReaders read indexes from the cache and never refresh them.
	apkReaders = []string{"del", "info", "search", "list", "policy", "dot", "version", "fetch", "query", "stats", "manifest"}
)

func isApk(c shell.Command) bool {
	switch c.Base() {
	case "apk", "apk.static", "xx-apk":
		return true
	}
	return false
}

func (r apk) Apply(s *Step, p *Plan) {
	var writers []shell.Command
	for _, c := range s.Commands {
		if isApk(c) && slices.Contains(apkWriters, verb(c.Words(), apkValued...)) {
			writers = append(writers, c)
		}
	}
	if len(writers) == 0 {
		return
	}
	p.addManager(r.Name())
	if s.cacheMounted("/var/cache/apk", "/etc/apk/cache") {
		p.note("apk: the step mounts its own apk cache; left as written")
		return
	}
	for _, c := range s.Commands {
		if isApk(c) && slices.ContainsFunc(c.Words(), func(w string) bool { return w == "--cache-dir" || strings.HasPrefix(w, "--cache-dir=") }) {
			p.note("apk: the step sets --cache-dir itself; left as written")
			return
		}
	}

	var edits []shell.Edit
	var neutralized []string
	var cached, keepsIndexes bool
	for _, c := range s.Commands {
		if !isApk(c) {
			continue
		}
		v := verb(c.Words(), apkValued...)
		writer, reader := slices.Contains(apkWriters, v), slices.Contains(apkReaders, v)
		noCache := apkNoCache(c)
		if !writer && (!reader || len(noCache) > 0) {
			continue
		}
		if !s.Spliceable || c.Nested || c.NameEnd < 0 {
			p.note("apk: " + c.Base() + " " + v + " could not be rewritten (nested shell or exec form): it keeps apk's default cache")
			continue
		}
		flags := " --cache-dir " + apkCache
		if writer {
			cached = true
			keepsIndexes = keepsIndexes || len(noCache) == 0
			for _, a := range noCache {
				edits = append(edits, shell.Edit{Start: a.Start, End: a.End, Text: "--update-cache"})
				neutralized = append(neutralized, "apk --no-cache")
			}
			if len(noCache) == 0 && !apkUpdates(c) {
				flags += " --update-cache"
			}
		}
		edits = append(edits, shell.Edit{Start: c.NameEnd, End: c.NameEnd, Text: flags})
	}
	if !cached {
		return
	}
	p.Edits = append(p.Edits, edits...)
	for _, n := range neutralized {
		if !slices.Contains(p.Neutralized, n) {
			p.Neutralized = append(p.Neutralized, n)
		}
	}
	p.addMount(Mount{
		Target:  apkCache,
		ID:      s.id("apk", baseKey(s.Base), platformKey(s.Platform)),
		Sharing: Locked,
		Owner:   s.owner(writers[0]),
	})
	if keepsIndexes && !slices.ContainsFunc(s.Commands, func(c shell.Command) bool { return rmDeletes(c, "/var/cache/apk") }) {
		p.note("apk: package indexes are kept in the cache, no longer in the image's /var/cache/apk")
	}
}

// apkNoCache returns c's literal --no-cache arguments.
func apkNoCache(c shell.Command) []shell.Arg {
	var out []shell.Arg
	for _, a := range c.Args {
		if a.Literal && a.Value == "--no-cache" {
			out = append(out, a)
		}
	}
	return out
}

// apkUpdates reports whether c already asks for fresh indexes.
func apkUpdates(c shell.Command) bool {
	return slices.ContainsFunc(c.Words(), func(w string) bool {
		return w == "-U" || w == "--update-cache" || w == "--update"
	})
}
