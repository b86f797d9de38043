package rules

import (
	"slices"
	"strings"

	"github.com/cachefront/cachefront/frontend/shell"
)

// dnf caches repository metadata and packages for dnf (4 and 5), yum,
// microdnf and tdnf, which keep both under one cache directory
// (/var/cache/dnf, /var/cache/libdnf5, /var/cache/yum, /var/cache/tdnf).
// For the step alone each of their commands, but clean, is given
// `--setopt=cachedir=/run/cachefront/dnf` and `--setopt=keepcache=1`, the
// setting that keeps packages after a transaction (off by default, and in
// CentOS 7's yum.conf). dnf also gets system_cachedir, which dnf 5 uses
// as root and from which it would otherwise copy the image's metadata. A
// cachedir on the command line is not moved under --installroot, so the
// installroot stays free of the cache too.
//
// Metadata moves into the cache with the packages. So that a shared cache
// never serves older metadata than a fresh build would fetch, every command
// but a cache-only one (-C) also gets --refresh (yum:
// `--setopt=*.metadata_expire=0`, since yum 3 has no --refresh); both check
// repomd.xml and download only what changed.
//
// Cleanups need nothing: `dnf clean all`, `yum clean all`, `microdnf clean
// all` and `rm -rf /var/cache/dnf` are left to clean the image's default
// cache, as upstream. `--setopt=keepcache=0` is removed.
//
// Sharing is locked: the locks of dnf 4 and microdnf (libdnf) in the cache
// are PID files, which a process in another container (another PID
// namespace) reads as stale, or as its own when the numbers match; yum and
// tdnf lock in the root, not in the cache.
//
// Known limits: microdnf takes keepcache from 3.7 and cachedir from 3.4
// (older ones fail on the option); tdnf releases up to 3.5.9 ignore both
// (its development branch reads them since December 2023) and download as
// before; `--downloadonly` without a download directory keeps its packages
// in the image's cache, as written; a step that sets cachedir itself is left
// as written, as its directory may be one the Dockerfile deletes (a mount
// point can't be deleted); commands in nested shells and exec form keep the
// default cache.
type dnf struct{}

const dnfCache = CacheRoot + "/dnf"

func (dnf) Name() string { return "dnf" }

func (dnf) Programs() []string {
	return []string{"dnf", "dnf-3", "dnf4", "dnf5", "yum", "microdnf", "tdnf"}
}

var dnfDownloads = []string{
	"install", "in", "localinstall", "reinstall", "rei", "upgrade", "update", "up", "update-to", "upgrade-to", "localupdate",
	"upgrade-minimal", "update-minimal", "up-min", "downgrade", "dg", "distro-sync", "distrosync", "dsync",
	"distribution-synchronization", "group", "groups", "grp", "groupinstall", "groupupdate", "builddep", "build-dep",
	"makecache", "mc", "download", "swap", "module", "check-update", "check-upgrade", "repoquery", "rq", "search", "se",
	"info", "list", "ls", "provides", "whatprovides", "wp", "prov", "updateinfo", "advisory", "repolist", "repoinfo",
}

// dnfValued are options of the dnf family that take a separate value.
var dnfValued = []string{
	"-c", "--config", "--installroot", "--releasever", "--setopt", "-d", "--debuglevel", "-e", "--errorlevel",
	"--enablerepo", "--disablerepo", "--repo", "--repoid", "-x", "--exclude", "--excludepkgs", "--disableexcludes",
	"--repofrompath", "--color", "--destdir", "--downloaddir", "--comment", "--forcearch", "--rpmverbosity",
	"--enableplugin", "--disableplugin", "-R", "--randomwait", "--advisory", "--bz", "--cve", "--sec-severity",
}

// dnfFlags are the transient settings for each program of the family.
var dnfFlags = map[string]string{
	"dnf":      " --setopt=cachedir=" + dnfCache + " --setopt=system_cachedir=" + dnfCache + " --setopt=keepcache=1",
	"yum":      " --setopt=cachedir=" + dnfCache + " --setopt=keepcache=1",
	"microdnf": " --setopt=cachedir=" + dnfCache + " --setopt=keepcache=1",
	"tdnf":     " --setopt=cachedir=" + dnfCache + " --setopt=keepcache=1",
}

// dnfProgram maps a program name to its entry in dnfFlags.
func dnfProgram(c shell.Command) string {
	switch b := c.Base(); b {
	case "dnf", "dnf-3", "dnf4", "dnf5":
		return "dnf"
	case "yum", "microdnf", "tdnf":
		return b
	}
	return ""
}

func (r dnf) Apply(s *Step, p *Plan) {
	var runs []shell.Command
	for _, c := range s.Commands {
		if dnfProgram(c) != "" && slices.Contains(dnfDownloads, verb(c.Words(), dnfValued...)) {
			runs = append(runs, c)
		}
	}
	if len(runs) == 0 {
		return
	}
	p.addManager(r.Name())
	if s.cacheMounted("/var/cache/dnf", "/var/cache/libdnf5", "/var/cache/yum", "/var/cache/tdnf") {
		p.note("dnf: the step mounts its own dnf cache; left as written")
		return
	}
	for _, c := range s.Commands {
		if dnfProgram(c) != "" && dnfSetsCachedir(c) {
			p.note("dnf: the step sets cachedir itself; left as written")
			return
		}
	}

	var edits []shell.Edit
	var cached, kept bool
	for _, c := range s.Commands {
		prog := dnfProgram(c)
		v := verb(c.Words(), dnfValued...)
		if prog == "" || v == "" || v == "clean" {
			continue
		}
		if dnfStoresDownloads(c) {
			p.note("dnf: " + c.Base() + " --downloadonly keeps its packages in the image's cache, as written")
			continue
		}
		if !s.Spliceable || c.Nested || c.NameEnd < 0 {
			p.note("dnf: " + c.Base() + " " + v + " could not be rewritten (nested shell or exec form): it keeps the default cache")
			continue
		}
		flags := dnfFlags[prog]
		if !dnfCacheOnly(c) {
			if prog == "yum" {
				flags += " '--setopt=*.metadata_expire=0'"
			} else if !slices.Contains(c.Words(), "--refresh") {
				flags += " --refresh"
			}
		}
		edits = append(edits, shell.Edit{Start: c.NameEnd, End: c.NameEnd, Text: flags})
		cached = cached || slices.Contains(dnfDownloads, v)
		for i, a := range c.Args {
			// A later keepcache=0 would win over the inserted keepcache=1.
			switch {
			case a.Literal && dnfNoKeep(strings.TrimPrefix(a.Value, "--setopt=")) && strings.HasPrefix(a.Value, "--setopt="):
				edits = append(edits, shell.Edit{Start: a.Start, End: a.End})
				kept = true
			case a.Literal && a.Value == "--setopt" && i+1 < len(c.Args) && c.Args[i+1].Literal && dnfNoKeep(c.Args[i+1].Value):
				edits = append(edits, shell.Edit{Start: a.Start, End: c.Args[i+1].End})
				kept = true
			}
		}
	}
	if !cached {
		return
	}
	p.Edits = append(p.Edits, edits...)
	if kept && !slices.Contains(p.Neutralized, "dnf --setopt=keepcache=0") {
		p.Neutralized = append(p.Neutralized, "dnf --setopt=keepcache=0")
	}
	p.addMount(Mount{
		Target:  dnfCache,
		ID:      s.id("dnf", baseKey(s.Base), platformKey(s.Platform)),
		Sharing: Locked,
		Owner:   s.owner(runs[0]),
	})
	if slices.ContainsFunc(s.Commands, func(c shell.Command) bool { return c.Base() == "tdnf" }) {
		p.note("dnf: tdnf uses the cache only in versions that read --setopt=cachedir and keepcache (none released up to 3.5.9)")
	}
}

// dnfSetsCachedir reports whether c chooses its own cache directory.
func dnfSetsCachedir(c shell.Command) bool {
	w := c.Words()
	for i, a := range w {
		opt, ok := strings.CutPrefix(a, "--setopt=")
		if !ok && a == "--setopt" && i+1 < len(w) {
			opt, ok = w[i+1], true
		}
		if ok && (strings.HasPrefix(opt, "cachedir=") || strings.HasPrefix(opt, "system_cachedir=")) {
			return true
		}
	}
	return false
}

// dnfStoresDownloads reports whether c downloads packages to keep them in
// the default cache: --downloadonly without a download directory.
func dnfStoresDownloads(c shell.Command) bool {
	w := c.Words()
	if !slices.Contains(w, "--downloadonly") {
		return false
	}
	return !slices.ContainsFunc(w, func(a string) bool {
		return a == "--destdir" || a == "--downloaddir" || strings.HasPrefix(a, "--destdir=") || strings.HasPrefix(a, "--downloaddir=")
	})
}

// dnfCacheOnly reports whether c runs from the cache alone (-C).
func dnfCacheOnly(c shell.Command) bool {
	return slices.ContainsFunc(c.Words(), func(a string) bool { return a == "-C" || a == "--cacheonly" })
}

// dnfNoKeep reports whether opt is keepcache=<false>.
func dnfNoKeep(opt string) bool {
	v, ok := strings.CutPrefix(opt, "keepcache=")
	if !ok {
		return false
	}
	switch strings.ToLower(v) {
	case "0", "false", "no", "off":
		return true
	}
	return false
}
