package rules

import (
	"path"
	"slices"
	"strings"

	"github.com/cachefront/cachefront/frontend/shell"
)

// bun keeps unpacked packages and registry metadata in its install cache
// (BUN_INSTALL_CACHE_DIR, else $BUN_INSTALL/install/cache, else
// ~/.bun/install/cache) and hard-links them into node_modules, falling back
// to copies when the cache is on another filesystem (oven-sh/bun#5203,
// the isolated linker too): with the cache on a mount the project holds
// real files. BUN_INSTALL_CACHE_DIR, which bun reads before anything else,
// moves the cache for the step, and BUN_TMPDIR moves bun's temporary
// directory into it: in /tmp, bun would leave behind the file with which it
// finds the two on different filesystems (bunx installs go there too).
// Bun publishes packages into the cache by renaming a temporary directory,
// but its fallback for two installs racing on one package deletes the
// other's copy (src/install/extract_tarball.rs), so the cache is mounted
// locked.
//
// Not mounted when the cache is part of the install: the isolated linker's
// global store (BUN_INSTALL_GLOBAL_STORE, globalStore in bunfig.toml)
// links node_modules into <cache>/links, and so does --backend symlink.
// `bun pm cache rm` is neutralised and --no-cache, which skips the cache,
// is removed. Known limit: a ~/.bunfig.toml in the image is not seen.
type bun struct{}

func (bun) Name() string { return "bun" }

func (bun) Programs() []string { return []string{"bun", "bunx", "npx"} }

const bunCache = CacheRoot + "/bun"

// bunValued are bun options that take a value.
var bunValued = []string{"--cwd", "--cache-dir", "--backend", "-c", "--config", "--registry", "--filter", "-F",
	"--linker", "--concurrent-scripts", "--network-concurrency", "--omit", "--cpu", "--os"}

// bunDownloads are the bun commands that fetch packages.
var bunDownloads = []string{"install", "i", "add", "a", "update", "remove", "rm", "ci", "x", "create", "c", "link", "outdated", "patch"}

// bunCmd is one bun command of the step.
type bunCmd struct {
	c    shell.Command
	args []shell.Arg // after the program
	verb string
	rest []string
}

func (r bun) Apply(s *Step, p *Plan) {
	var runs, cleans []bunCmd
	for _, c := range s.Commands {
		tool, args, ok := jsTool(c)
		if !ok || tool != "bun" && tool != "bunx" {
			continue
		}
		b := bunCmd{c: c, args: args, verb: "x"}
		if tool == "bun" {
			b.verb = ""
			if i, ok := jsOperand(args, bunValued); ok && i >= 0 {
				b.verb = args[i].Value
				for _, a := range args[i+1:] {
					b.rest = append(b.rest, a.Value)
				}
			}
		}
		switch {
		case b.verb == "pm" && len(b.rest) > 1 && b.rest[0] == "cache" && (b.rest[1] == "rm" || b.rest[1] == "clean"):
			cleans = append(cleans, b)
		case slices.Contains(bunDownloads, b.verb):
			runs = append(runs, b)
		}
	}
	if len(runs) == 0 {
		return
	}
	p.addManager(r.Name())
	if !r.mount(s, p, runs) {
		return
	}
	for _, b := range cleans {
		p.neutralize(s, b.c, "bun pm cache rm", shell.Edit{Start: b.c.Start, End: b.c.End, Text: "true"})
	}
	for _, b := range runs {
		for _, a := range b.args {
			if a.Literal && a.Value == "--no-cache" {
				p.neutralize(s, b.c, "bun --no-cache", shell.Edit{Start: a.Start, End: a.End, Text: ""})
			}
		}
	}
}

// mount mounts the install cache when it is a pure cache, and reports
// whether it did.
func (r bun) mount(s *Step, p *Plan, runs []bunCmd) bool {
	c := runs[0].c
	global, _ := s.jsEnv(c, "BUN_INSTALL_GLOBAL_STORE")
	bunfig, _ := s.contextFile("bunfig.toml")
	switch {
	case jsTrue(global) || strings.Contains(string(bunfig), "globalStore"):
		// bunfig.toml is TOML; any mention of globalStore is taken as
		// turning it on rather than read half-way.
		p.note("bun: the global store links node_modules into bun's cache: the cache is not mounted")
		return false
	case slices.ContainsFunc(runs, func(b bunCmd) bool {
		v, _ := jsFlagValue(b.args, "--backend")
		return v == "symlink"
	}):
		p.note("bun: --backend symlink links node_modules into bun's cache: the cache is not mounted")
		return false
	}
	target, set := s.jsEnv(c, "BUN_INSTALL_CACHE_DIR")
	for _, b := range runs {
		if v, ok := jsFlagValue(b.args, "--cache-dir"); ok && path.IsAbs(v) {
			target, set = v, true
		}
	}
	defaults := []string{target}
	if v, ok := s.jsEnv(c, "BUN_INSTALL"); ok {
		defaults = append(defaults, path.Join(v, "install/cache"))
	}
	if v, ok := s.jsEnv(c, "XDG_CACHE_HOME"); ok {
		defaults = append(defaults, path.Join(v, ".bun/install/cache"))
	}
	if home, ok := s.home(c); ok {
		defaults = append(defaults, path.Join(home, ".bun/install/cache"))
	}
	if s.cacheMounted(slices.DeleteFunc(defaults, func(d string) bool { return d == "" })...) {
		p.note("bun: the step mounts its own bun cache; left as written")
		return false
	}
	if !set {
		target = bunCache
		p.Env["BUN_INSTALL_CACHE_DIR"] = target
	}
	if _, ok := s.jsEnv(c, "BUN_TMPDIR"); !ok {
		// Bun probes whether its temporary directory is on the cache's
		// filesystem with a file it leaves behind when not: its
		// temporary directory moves into the cache for the step.
		p.Env["BUN_TMPDIR"] = path.Join(target, ".tmp")
	}
	p.addMount(Mount{Target: target, ID: s.id("bun"), Sharing: Locked, Owner: s.owner(c), Dirs: []string{".tmp"}})
	return true
}
