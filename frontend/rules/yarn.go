package rules

import (
	"path"
	"slices"
	"strings"

	"github.com/cachefront/cachefront/frontend/shell"
)

// yarn covers Yarn 1 ("classic") and Yarn 2+ ("berry"): one command name,
// two caches with different rules.
//
// Yarn 1 unpacks packages into its cache (/usr/local/share/.cache/yarn for
// root, ~/.cache/yarn otherwise) and copies them into node_modules.
// Concurrent writers corrupt it (yarnpkg/yarn#683), so it is mounted
// locked. It moves for the step through a transient /etc/yarnrc holding
// --cache-folder: Yarn 1 turns the "--" keys of its rc files, that one
// included, into flags, which beat YARN_CACHE_FOLDER, and Yarn 2+ never
// reads the file, so the move is safe whichever Yarn runs. Yarn 1's
// Plug'n'Play (--pnp, installConfig.pnp) points the project into the cache:
// not mounted.
//
// Yarn 2+ writes zip archives to its global folder (~/.yarn/berry: cache/
// and npm metadata) and, when enableGlobalCache is off (the default before
// Yarn 4), to the project's .yarn/cache too. Under Plug'n'Play, its default
// linker, the project loads packages from those zips: the cache is part of
// the install and stays in the image. With nodeLinker node-modules or pnpm
// the packages are unpacked into the project and the global folder is a
// pure cache, as it is when the global cache is off (then it only mirrors
// the project cache). It moves for the step by YARN_GLOBAL_FOLDER and is
// shared: archives are written under a temporary name and renamed
// (packages/yarnpkg-core/sources/Cache.ts). Which Yarn runs comes from
// package.json's packageManager, `corepack use` or `yarn set version` in
// the step, the build context's .yarnrc.yml, or Yarn 2+ commands and
// settings; the linker from YARN_NODE_LINKER, `yarn config set nodeLinker`
// in the step or .yarnrc.yml.
//
// `yarn cache clean` is neutralised. A step whose installs are all offline
// (Yarn 1 --offline, Yarn 2+ enableOfflineMode) reads the cache an earlier
// step left in the image, so it is left alone. Known limits: settings in
// the image (~/.yarnrc.yml, a project .yarnrc.yml that is not at the root
// of the build context, ~/.yarnrc with --cache-folder) are not seen, and an
// image's own /etc/yarnrc is hidden for a Yarn 1 step.
type yarn struct{}

func (yarn) Name() string { return "yarn" }

func (yarn) Programs() []string { return []string{"yarn", "yarnpkg", "npx", "corepack"} }

const (
	yarnCache       = CacheRoot + "/yarn"
	yarnBerryFolder = CacheRoot + "/yarn-berry"
	yarnRC          = "/etc/yarnrc"
)

// yarnValued are options of either Yarn that take a value.
var yarnValued = []string{"--cwd", "--cache-folder", "--preferred-cache-folder", "--modules-folder", "--global-folder",
	"--link-folder", "--mutex", "--network-timeout", "--network-concurrency", "--registry", "--use-yarnrc", "--otp",
	"--proxy", "--https-proxy", "--cafile", "--mode"}

// yarnDownloads are the verbs that fetch packages; "" is a bare `yarn`.
var yarnDownloads = []string{"", "install", "add", "upgrade", "upgrade-interactive", "up", "import", "create", "dlx",
	"remove", "unplug"}

// yarnCmd is one yarn command of the step.
type yarnCmd struct {
	c    shell.Command
	args []shell.Arg // after the program
	verb string      // "" for a bare yarn
	rest []string    // the words after the verb
}

// Flavours of Yarn.
const (
	yarnUnknown = iota
	yarnClassic
	yarnBerry
)

// yarnFacts is what the step and the build context say about the Yarn
// that runs.
type yarnFacts struct {
	flavor int
	major  int    // 0 when unknown
	linker string // Yarn 2+ nodeLinker; "" when unknown, "?" when set at run time
	// globalCache is Yarn 2+'s enableGlobalCache: "true", "false", or ""
	// when unknown.
	globalCache string
	offline     bool // Yarn 2+ enableOfflineMode
	classicPnP  bool
}

func (r yarn) Apply(s *Step, p *Plan) {
	var all, runs, cleans []yarnCmd
	for _, c := range s.Commands {
		y, ok := readYarn(c)
		if !ok {
			continue
		}
		all = append(all, y)
		switch {
		case y.verb == "cache" && slices.Contains(y.rest, "clean"):
			cleans = append(cleans, y)
		case yarnFetches(y):
			runs = append(runs, y)
		}
	}
	if len(runs) == 0 {
		return
	}
	p.addManager(r.Name())
	f := yarnFactsOf(s, all, runs)
	var mounted bool
	if f.flavor == yarnBerry {
		mounted = r.berry(s, p, runs, f)
	} else {
		if s.ContextFile == nil {
			p.note("yarn: the build context is unknown; if the project uses Yarn 2+, its cache is not mounted")
		}
		mounted = r.classic(s, p, runs, f)
	}
	if mounted {
		// Cleaning would empty the mounted cache, not the image.
		for _, y := range cleans {
			p.neutralize(s, y.c, "yarn cache clean", shell.Edit{Start: y.c.Start, End: y.c.End, Text: "true"})
		}
	}
}

// readYarn reads c as a yarn command: yarn, yarnpkg, npx yarn, or
// `corepack use yarn@X`, which installs.
func readYarn(c shell.Command) (yarnCmd, bool) {
	if c.Base() == "corepack" && len(c.Args) == 2 && c.Args[0].Value == "use" && strings.HasPrefix(c.Args[1].Value, "yarn") {
		return yarnCmd{c: c, verb: "install"}, true
	}
	tool, args, ok := jsTool(c)
	if !ok || tool != "yarn" {
		return yarnCmd{}, false
	}
	y := yarnCmd{c: c, args: args}
	i, ok := jsOperand(args, yarnValued)
	switch {
	case !ok:
		y.verb = "?"
	case i >= 0:
		y.verb = args[i].Value
		for _, a := range args[i+1:] {
			y.rest = append(y.rest, a.Value)
		}
	}
	return y, true
}

// yarnFetches reports whether a yarn command may download packages.
func yarnFetches(y yarnCmd) bool {
	switch y.verb {
	case "":
		return !jsHasFlag(y.args, "--version", "-v", "--help", "-h")
	case "global":
		return len(y.rest) > 0 && slices.Contains([]string{"add", "upgrade", "upgrade-interactive", "remove"}, y.rest[0])
	case "workspace":
		// yarn workspace NAME VERB ...
		return len(y.rest) > 1 && slices.Contains(yarnDownloads, y.rest[1])
	case "workspaces":
		// Yarn 2+: workspaces focus, or foreach running an install.
		return len(y.rest) > 0 && (y.rest[0] == "focus" ||
			y.rest[0] == "foreach" && slices.ContainsFunc(y.rest[1:], func(w string) bool { return w != "" && slices.Contains(yarnDownloads, w) }))
	}
	return slices.Contains(yarnDownloads, y.verb)
}

// yarnFactsOf works out which Yarn runs, and for Yarn 2+ its linker and
// cache settings: a version the step pins, else package.json's, else
// commands only Yarn 1 has, else a .yarnrc.yml or commands and settings
// only Yarn 2+ has.
func yarnFactsOf(s *Step, all, runs []yarnCmd) yarnFacts {
	var f yarnFacts
	env := func(key string) (string, bool) { return s.jsEnv(runs[0].c, key) }
	pj, pjFound := s.packageJSON()
	rc, rcFound := s.contextYAML(".yarnrc.yml")

	// Which Yarn.
	scriptMajor, berryHints, classicHints := 0, false, false
	var scriptLinker, scriptGlobalCache string
	for _, y := range all {
		switch {
		case y.c.Base() == "corepack":
			if m, ok := pinnedMajor(y.c.Args[1].Value, "yarn"); ok {
				scriptMajor = m
			} else {
				berryHints = true // corepack use yarn@stable and friends
			}
		case y.verb == "set" && len(y.rest) > 1 && y.rest[0] == "version",
			y.verb == "policies" && len(y.rest) > 1 && y.rest[0] == "set-version":
			scriptMajor = setVersionMajor(y.rest[1])
		case y.verb == "config" && len(y.rest) > 2 && y.rest[0] == "set":
			switch y.rest[1] {
			case "nodeLinker":
				scriptLinker, berryHints = y.rest[2], true
			case "enableGlobalCache":
				scriptGlobalCache, berryHints = y.rest[2], true
			}
		case y.verb == "dlx" || y.verb == "up" || y.verb == "unplug" || y.verb == "workspaces" && len(y.rest) > 0 && y.rest[0] == "focus":
			berryHints = true
		case y.verb == "global":
			classicHints = true
		case jsHasFlag(y.args, "--immutable", "--immutable-cache", "--check-cache", "--mode"):
			berryHints = true // flags Yarn 1 does not have
		}
	}
	if _, ok := env("YARN_NODE_LINKER"); ok {
		berryHints = true
	}
	pjMajor, pjPinned := pinnedMajor(pj.PackageManager, "yarn")
	switch {
	case scriptMajor > 0:
		f.major = scriptMajor
	case pjFound == ctxPresent && pjPinned:
		f.major = pjMajor
	}
	switch {
	case f.major == 1:
		f.flavor = yarnClassic
	case f.major >= 2:
		f.flavor = yarnBerry
	case classicHints:
		// Commands Yarn 2+ does not have.
		f.flavor = yarnClassic
	case rcFound == ctxPresent, berryHints:
		f.flavor = yarnBerry
	}

	// Yarn 1's Plug'n'Play.
	f.classicPnP = pj.InstallConfig.PnP
	if v, ok := env("YARN_PLUGNPLAY_OVERRIDE"); ok {
		f.classicPnP = v != "false" && v != "0"
	}
	for _, y := range runs {
		if jsHasFlag(y.args, "--pnp", "--enable-pnp") && !jsHasFlag(y.args, "--disable-pnp") {
			f.classicPnP = true
		}
	}

	// Yarn 2+'s settings: the environment, then the step, then .yarnrc.yml.
	rcLinker, rcHasLinker := yamlString(rc, "nodeLinker")
	switch v, ok := env("YARN_NODE_LINKER"); {
	case ok:
		f.linker = v
	case scriptLinker != "":
		f.linker = scriptLinker
	case rcHasLinker:
		f.linker = rcLinker
	case rcFound != ctxUnknown:
		f.linker = "pnp"
	}
	rcGlobal, rcHasGlobal := yamlString(rc, "enableGlobalCache")
	global := ""
	switch v, ok := env("YARN_ENABLE_GLOBAL_CACHE"); {
	case ok:
		global = v
	case scriptGlobalCache != "":
		global = scriptGlobalCache
	case rcHasGlobal:
		global = rcGlobal
	case f.major >= 4:
		global = "true"
	case f.major >= 2:
		global = "false"
	}
	switch strings.ToLower(global) {
	case "true", "1":
		f.globalCache = "true"
	case "false", "0":
		f.globalCache = "false"
	}
	rcOffline, _ := yamlString(rc, "enableOfflineMode")
	if v, ok := env("YARN_ENABLE_OFFLINE_MODE"); ok {
		rcOffline = v
	}
	f.offline = jsTrue(rcOffline)
	return f
}

// setVersionMajor reads the release `yarn set version` asks for.
func setVersionMajor(v string) int {
	switch v {
	case "classic":
		return 1
	case "berry", "stable", "latest", "canary", "rc", "self":
		return 4
	}
	if m, ok := pinnedMajor("yarn@"+strings.TrimPrefix(v, "v"), "yarn"); ok {
		return m
	}
	return 0
}

// classic mounts Yarn 1's cache, and reports whether it did.
func (r yarn) classic(s *Step, p *Plan, runs []yarnCmd, f yarnFacts) bool {
	c := runs[0].c
	if f.classicPnP {
		p.note("yarn: Plug'n'Play loads packages from Yarn's cache, part of the install: the cache is not mounted")
		return false
	}
	if !slices.ContainsFunc(runs, func(y yarnCmd) bool { return !jsHasFlag(y.args, "--offline") }) {
		p.note("yarn: --offline installs from the cache an earlier step left in the image; left as written")
		return false
	}
	flag, flagSet := "", false
	for _, y := range runs {
		if v, ok := jsFlagValue(y.args, "--cache-folder"); ok {
			flag, flagSet = v, true
		}
	}
	envSet, hasEnv := s.jsEnv(c, "YARN_CACHE_FOLDER", "yarn_cache_folder")
	defaults := []string{envSet, flag}
	if v, ok := s.jsEnv(c, "XDG_CACHE_HOME"); ok {
		defaults = append(defaults, path.Join(v, "yarn"))
	}
	if home, ok := s.home(c); ok {
		defaults = append(defaults, path.Join(home, ".cache/yarn"))
	}
	if s.owner(c) == "0" {
		defaults = append(defaults, "/usr/local/share/.cache/yarn")
	}
	if s.cacheMounted(slices.DeleteFunc(defaults, func(d string) bool { return d == "" })...) {
		p.note("yarn: the step mounts its own yarn cache; left as written")
		return false
	}
	owner := s.owner(c)
	mount := func(target string) {
		p.addMount(Mount{Target: target, ID: s.id("yarn"), Sharing: Locked, Owner: owner})
	}
	switch {
	case flagSet:
		mount(flag)
	case hasEnv && f.flavor == yarnClassic:
		mount(envSet)
	default:
		mount(yarnCache)
		p.Files = append(p.Files, File{Target: yarnRC, Content: `--cache-folder "` + yarnCache + `"` + "\n"})
		for _, y := range runs {
			if jsHasFlag(y.args, "--no-default-rc") {
				p.neutralize(s, y.c, "yarn --no-default-rc", shell.Edit{Start: toolEnd(y.c, y.args), End: toolEnd(y.c, y.args), Text: " --cache-folder " + yarnCache})
			}
		}
	}
	return true
}

// berry mounts Yarn 2+'s global folder when it is a pure cache, and
// reports whether it did.
func (r yarn) berry(s *Step, p *Plan, runs []yarnCmd, f yarnFacts) bool {
	c := runs[0].c
	dlxOnly := !slices.ContainsFunc(runs, func(y yarnCmd) bool { return y.verb != "dlx" })
	switch {
	case f.offline:
		p.note("yarn: offline mode installs from the cache an earlier step left in the image; left as written")
		return false
	case dlxOnly, f.linker == "node-modules", f.linker == "pnpm":
	case f.linker == "pnp" && f.globalCache == "false":
		// The global folder only mirrors the project's cache.
	case f.linker == "pnp":
		p.note("yarn: Plug'n'Play loads packages from Yarn's cache, part of the install: the cache is not mounted (nodeLinker node-modules would allow it)")
		return false
	default:
		p.note("yarn: Yarn 2+'s linker is unknown (set YARN_NODE_LINKER or nodeLinker in .yarnrc.yml at the root of the build context); the cache is not mounted")
		return false
	}
	target, set := s.jsEnv(c, "YARN_GLOBAL_FOLDER")
	defaults := []string{target}
	if v, ok := s.jsEnv(c, "XDG_DATA_HOME"); ok {
		defaults = append(defaults, path.Join(v, "yarn/berry"))
	}
	if home, ok := s.home(c); ok {
		defaults = append(defaults, path.Join(home, ".yarn/berry"))
	}
	if s.cacheMounted(slices.DeleteFunc(defaults, func(d string) bool { return d == "" })...) {
		p.note("yarn: the step mounts its own yarn cache; left as written")
		return false
	}
	if !set {
		target = yarnBerryFolder
		p.Env["YARN_GLOBAL_FOLDER"] = target
	}
	p.addMount(Mount{Target: target, ID: s.id("yarn-berry"), Sharing: Shared, Owner: s.owner(c)})
	return true
}
