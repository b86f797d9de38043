package rules

import (
	"path"
	"slices"
	"strings"

	"github.com/cachefront/cachefront/frontend/shell"
)

// pnpm keeps packages in a content-addressed store ($PNPM_HOME/store, else
// ~/.local/share/pnpm/store, or store-dir) and registry metadata and
// `pnpm dlx` installs in its cache dir (~/.cache/pnpm, or cache-dir).
//
// Installs import files from the store into node_modules; the default
// import method falls back to copying when the store is on another
// filesystem (fs/indexed-pkg-importer), so with the store on a mount the
// project holds real files and the store is a pure cache. pnpm records the
// store's path in node_modules/.modules.yaml and will not reuse
// node_modules linked from another store without a TTY to confirm, so for
// root the store is mounted where pnpm puts it, and a later step that runs
// pnpm unchanged finds what it expects. For another user the mount's
// missing parents would be made root-owned, so the store moves for the step
// instead, through store-dir (npm_config_store_dir up to pnpm 10,
// pnpm_config_store_dir from 11). The cache dir always moves, the same way.
// Both are shared (store files are written under temporary names and
// renamed; pnpm 11's index is SQLite in WAL mode with a busy timeout) and
// keyed by base image and platform: the store keeps packages built by
// install scripts, keyed by OS, CPU and Node.js but not libc, and dlx
// installs in the cache have no platform in their keys.
//
// The store is not mounted when it is part of the install: the global
// virtual store (enableGlobalVirtualStore, virtualStoreType global, and
// global installs from pnpm 11, where it is the default) links projects
// into it, and package-import-method clone fails across filesystems. A step
// that only runs `pnpm fetch` fills the store for a later offline install,
// and one whose installs are all --offline reads it: both are left alone.
// `pnpm store prune` and `pnpm cache delete` are neutralised. Known limits:
// an .npmrc (pnpm 10 and older keep settings there) is not read, nor a
// pnpm-workspace.yaml that is not at the root of the build context; a later
// step that needs the store an earlier, cached step filled (pnpm install
// --offline after a full install, in another step) finds it empty.
type pnpm struct{}

func (pnpm) Name() string { return "pnpm" }

func (pnpm) Programs() []string {
	return []string{"pnpm", "pn", "pnpx", "pnx", "npx", "npm", "corepack"}
}

const (
	pnpmStoreDir = CacheRoot + "/pnpm-store"
	pnpmCacheDir = CacheRoot + "/pnpm-cache"
)

// pnpmValued are pnpm options that take a value.
var pnpmValued = []string{"-C", "--dir", "-F", "--filter", "--filter-prod", "--store-dir", "--cache-dir",
	"--virtual-store-dir", "--modules-dir", "--reporter", "--loglevel", "--registry", "--lockfile-dir", "--global-dir",
	"--workspace-concurrency", "--network-concurrency", "--package-import-method", "--node-linker", "--test-pattern",
	"--changed-files-ignore-pattern", "--resolution-mode", "--use-node-version"}

// pnpmStoreVerbs are the commands that use the store: installs and what
// relinks or reads packages from it. pnpm records the store in
// node_modules, so all of them must see the same one.
var pnpmStoreVerbs = []string{"install", "i", "add", "update", "up", "upgrade", "remove", "rm", "uninstall", "un",
	"unlink", "link", "ln", "prune", "fetch", "deploy", "import", "rebuild", "rb", "dedupe", "install-test", "it",
	"patch", "patch-commit", "licenses", "sbom", "dlx", "create"}

// pnpmCmd is one pnpm command of the step.
type pnpmCmd struct {
	c    shell.Command
	args []shell.Arg // after the program
	verb string
	rest []string // the words after the verb
}

func (r pnpm) Apply(s *Step, p *Plan) {
	var runs, prunes, deletes []pnpmCmd
	for _, c := range s.Commands {
		x, ok := readPnpm(c)
		if !ok {
			continue
		}
		switch {
		case x.verb == "store" && len(x.rest) > 0 && x.rest[0] == "prune":
			prunes = append(prunes, x)
		case x.verb == "cache" && len(x.rest) > 0 && x.rest[0] == "delete":
			deletes = append(deletes, x)
		case x.verb == "store" && len(x.rest) > 0 && x.rest[0] == "add",
			slices.Contains(pnpmStoreVerbs, x.verb):
			runs = append(runs, x)
		}
	}
	if len(runs) == 0 {
		return
	}
	p.addManager(r.Name())
	fills := func(x pnpmCmd) bool { return x.verb == "fetch" || x.verb == "store" }
	if !slices.ContainsFunc(runs, func(x pnpmCmd) bool { return !fills(x) }) {
		p.note("pnpm: pnpm fetch fills the store for a later offline install: the store stays in the image")
		return
	}
	if !slices.ContainsFunc(runs, func(x pnpmCmd) bool { return !jsHasFlag(x.args, "--offline") }) {
		p.note("pnpm: --offline installs from the store an earlier step left in the image; left as written")
		return
	}
	if r.store(s, p, runs) {
		for _, x := range prunes {
			p.neutralize(s, x.c, "pnpm store prune", shell.Edit{Start: x.c.Start, End: x.c.End, Text: "true"})
		}
	}
	if r.cache(s, p, runs) {
		for _, x := range deletes {
			p.neutralize(s, x.c, "pnpm cache delete", shell.Edit{Start: x.c.Start, End: x.c.End, Text: "true"})
		}
	}
}

// readPnpm reads c as a pnpm command: pnpm, pn, pnpx, pnx, npx pnpm, or
// `corepack use pnpm@X`, which installs.
func readPnpm(c shell.Command) (pnpmCmd, bool) {
	if c.Base() == "corepack" && len(c.Args) == 2 && c.Args[0].Value == "use" && strings.HasPrefix(c.Args[1].Value, "pnpm") {
		return pnpmCmd{c: c, verb: "install"}, true
	}
	tool, args, ok := jsTool(c)
	switch {
	case !ok:
		return pnpmCmd{}, false
	case tool == "pnpx":
		return pnpmCmd{c: c, args: args, verb: "dlx"}, true
	case tool != "pnpm":
		return pnpmCmd{}, false
	}
	x := pnpmCmd{c: c, args: args}
	if i, ok := jsOperand(args, pnpmValued); ok && i >= 0 {
		x.verb = args[i].Value
		for _, a := range args[i+1:] {
			x.rest = append(x.rest, a.Value)
		}
	}
	return x, true
}

// pnpmSetting returns a setting given by a flag of one of the commands or
// by the environment, under both names pnpm has read it by.
func pnpmSetting(s *Step, runs []pnpmCmd, name string) (string, bool) {
	for _, x := range runs {
		if v, ok := jsFlagValue(x.args, "--"+name); ok {
			return v, true
		}
	}
	// `pnpm config set store-dir X` (or `npm config set`) in the step: the
	// rc file it writes beats the environment.
	for _, c := range s.Commands {
		w := c.Words()
		if (c.Base() == "pnpm" || c.Base() == "npm") && len(w) >= 4 && w[0] == "config" && w[1] == "set" && w[2] == name && w[3] != "" {
			return w[3], true
		}
	}
	key := strings.ReplaceAll(name, "-", "_")
	return s.jsEnv(runs[0].c, "pnpm_config_"+key, "PNPM_CONFIG_"+strings.ToUpper(key), "npm_config_"+key, "NPM_CONFIG_"+strings.ToUpper(key))
}

// projectSetting reads a setting from the build context's
// pnpm-workspace.yaml.
func (s *Step) projectSetting(name string) string {
	if m, f := s.contextYAML("pnpm-workspace.yaml"); f == ctxPresent {
		if v, ok := yamlString(m, name); ok {
			return v
		}
	}
	return ""
}

// store mounts the store when it is a pure cache, and reports whether it
// did.
func (r pnpm) store(s *Step, p *Plan, runs []pnpmCmd) bool {
	c := runs[0].c
	gvs, ok := pnpmSetting(s, runs, "virtual-store-type")
	if !ok {
		gvs = s.projectSetting("virtualStoreType")
	}
	enable, ok := pnpmSetting(s, runs, "enable-global-virtual-store")
	if !ok {
		enable = s.projectSetting("enableGlobalVirtualStore")
	}
	method, ok := pnpmSetting(s, runs, "package-import-method")
	if !ok {
		method = s.projectSetting("packageImportMethod")
	}
	switch {
	case gvs == "global" || jsTrue(enable) || slices.ContainsFunc(runs, func(x pnpmCmd) bool { return jsHasFlag(x.args, "--enable-global-virtual-store") }):
		p.note("pnpm: the global virtual store links node_modules into the store: the store is not mounted")
		return false
	case slices.ContainsFunc(runs, func(x pnpmCmd) bool { return jsHasFlag(x.args, "-g", "--global") }) && !(gvs == "project" || enable == "false"):
		p.note("pnpm: global installs link into the store from pnpm 11: the store is not mounted")
		return false
	case method == "clone":
		p.note("pnpm: package-import-method clone can't import from a store on another filesystem: the store is not mounted")
		return false
	}

	target, set := pnpmSetting(s, runs, "store-dir")
	if !set && slices.ContainsFunc(runs, func(x pnpmCmd) bool { return jsHasFlag(x.args, "--store-dir") }) {
		p.note("pnpm: --store-dir is known at run time only: the store is not mounted")
		return false
	}
	home, knownHome := s.home(c)
	if set && strings.HasPrefix(target, "~/") && knownHome {
		target = path.Join(home, target[2:])
	}
	if set && !path.IsAbs(target) {
		p.note("pnpm: store-dir " + target + " is relative to the project: the store is not mounted")
		return false
	}
	defaults := []string{target}
	dataDir := ""
	switch v, ok := s.jsEnv(c, "PNPM_HOME"); {
	case ok:
		dataDir = v
	default:
		if v, ok := s.jsEnv(c, "XDG_DATA_HOME"); ok {
			dataDir = path.Join(v, "pnpm")
		} else if knownHome {
			dataDir = path.Join(home, ".local/share/pnpm")
		}
	}
	if dataDir != "" {
		defaults = append(defaults, path.Join(dataDir, "store"))
	}
	if s.cacheMounted(slices.DeleteFunc(defaults, func(d string) bool { return d == "" })...) {
		p.note("pnpm: the step mounts its own pnpm store; left as written")
		return false
	}
	owner := s.owner(c)
	switch {
	case set:
	case owner == "0" && dataDir != "":
		target = path.Join(dataDir, "store")
	default:
		target = pnpmStoreDir
		p.Env["npm_config_store_dir"] = target
		p.Env["pnpm_config_store_dir"] = target
	}
	p.addMount(Mount{Target: target, ID: s.id("pnpm-store", baseKey(s.Base), platformKey(s.Platform)), Sharing: Shared, Owner: owner})
	return true
}

// cache mounts the metadata cache, and reports whether it did.
func (r pnpm) cache(s *Step, p *Plan, runs []pnpmCmd) bool {
	c := runs[0].c
	target, set := pnpmSetting(s, runs, "cache-dir")
	defaults := []string{target}
	if v, ok := s.jsEnv(c, "XDG_CACHE_HOME"); ok {
		defaults = append(defaults, path.Join(v, "pnpm"))
	}
	if home, ok := s.home(c); ok {
		defaults = append(defaults, path.Join(home, ".cache/pnpm"))
	}
	if s.cacheMounted(slices.DeleteFunc(defaults, func(d string) bool { return d == "" })...) {
		p.note("pnpm: the step mounts its own pnpm cache; left as written")
		return false
	}
	if !set || !path.IsAbs(target) {
		target = pnpmCacheDir
	}
	// Either name alone reaches only some pnpm versions; the cache dir is
	// recorded nowhere, so both point to the mount.
	for _, k := range []string{"npm_config_cache_dir", "pnpm_config_cache_dir"} {
		if v, ok := s.env(c, k); !ok || v != target {
			p.Env[k] = target
		}
	}
	p.addMount(Mount{Target: target, ID: s.id("pnpm-cache", baseKey(s.Base), platformKey(s.Platform)), Sharing: Shared, Owner: s.owner(c)})
	return true
}
