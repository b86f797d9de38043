package rules

import (
	"path"
	"slices"
	"strings"

	"github.com/cachefront/cachefront/frontend/shell"
)

// uv keeps downloaded and built wheels, source distributions, index
// metadata and git checkouts in its cache directory. uv documents the cache
// as safe for concurrent readers and writers (it is append-only, entries are
// replaced atomically, and `uv cache clean` takes an exclusive lock), so the
// mount is shared. Wheels uv built are specific to the interpreter, libc and
// architecture, so the id carries the base image and platform, as pip's
// does. UV_CACHE_DIR moves the cache for the step; one the image, the
// Dockerfile or a --cache-dir flag sets is mounted where it points.
//
// With the cache on a mount, uv can't hardlink or clone from it into an
// environment and copies instead, so the image holds real files. UV_LINK_MODE
// is set to copy for the step (it overrides a link-mode in uv.toml or
// pyproject.toml, and silences uv's warning about the fallback); a step that
// asks for symlinks, which would point into the cache, is left as written.
// So is a step that turns on the preview feature that keeps project
// environments in the cache.
//
// Python downloads (`uv python install`, or a Python a project needs) are
// kept only when UV_PYTHON_CACHE_DIR is set: it is set for the step to a
// mount of its own. The installed Pythons (UV_PYTHON_INSTALL_DIR) and tools
// (UV_TOOL_DIR) are stores and stay in the image.
//
// Neutralised: --no-cache (-n, --no-cache-dir) is removed, UV_NO_CACHE in
// the environment is unset for the step, and `uv cache clean|prune` becomes
// a no-op. Known limits: environments uv keeps in its cache for `uv run
// --with`, scripts and uvx are built again when next needed; UV_NO_CACHE on
// the command line (noted) and no-cache in uv.toml or pyproject.toml still
// keep uv from the cache. A cache-dir there is overridden by UV_CACHE_DIR.
type uv struct{}

func (uv) Name() string { return "uv" }

func (uv) Programs() []string { return []string{"uv", "uvx", "python"} }

const (
	uvCache       = CacheRoot + "/uv"
	uvPythonCache = CacheRoot + "/uv-python"
)

// uvCall is one uv command line: the subcommand path ("pip install", "tool
// run", "sync") and uv's own arguments, which for `uv run`, `uv tool run`
// and uvx end before the command they run.
type uvCall struct {
	cmd  shell.Command
	path string
	args []shell.Arg
}

// uvNamespaces are the subcommands that take a subcommand of their own.
var uvNamespaces = []string{"pip", "tool", "python", "cache", "self", "auth", "workspace"}

// uvValued are uv options that take a separate value.
var uvValued = []string{
	"--cache-dir", "--directory", "--project", "--config-file", "--color", "--link-mode",
	"--preview-features", "--python-preference", "--allow-insecure-host",
	"-p", "--python", "-w", "--with", "--with-editable", "--with-requirements", "--from",
	"--index", "--default-index", "-i", "--index-url", "--extra-index-url", "-f", "--find-links",
	"--index-strategy", "--keyring-provider", "--resolution", "--prerelease", "--fork-strategy",
	"--exclude-newer", "--exclude-newer-package", "-P", "--upgrade-package", "--refresh-package",
	"--reinstall-package", "--no-build-package", "--no-binary-package", "-C", "--config-setting",
	"--package", "--extra", "--group", "--only-group", "--no-group", "--env-file",
	"-r", "--requirements", "-c", "--constraints", "--overrides", "-b", "--build-constraints",
	"-e", "--editable", "-o", "--output-file", "--target", "--prefix", "--python-platform",
	"--python-version", "--torch-backend", "--no-install-package", "--only-install-package",
}

// uvDownloads are the subcommands that read or fill the cache.
var uvDownloads = []string{
	"pip install", "pip sync", "pip compile",
	"tool run", "tool uvx", "tool install", "tool upgrade", "tool update",
	"python install", "python upgrade",
	"run", "sync", "lock", "add", "remove", "version", "upgrade", "export", "tree",
	"venv", "v", "virtualenv", "build", "format", "check", "audit",
}

// uvPythonFetchers are the subcommands that may download a Python when none
// fits; `uv python install` always does.
var uvPythonFetchers = []string{
	"tool run", "tool uvx", "tool install", "tool upgrade", "tool update",
	"run", "sync", "lock", "add", "remove", "version", "upgrade", "export", "tree",
	"venv", "v", "virtualenv", "build",
}

// uvProjectEnvs are the subcommands that make a project environment, which
// the centralized-project-envs preview feature keeps in the cache.
var uvProjectEnvs = []string{"run", "sync", "add", "remove", "version", "upgrade", "venv", "v", "virtualenv"}

// pyTool returns the arguments after the program when c runs name, directly
// or as `python -m name`.
func pyTool(c shell.Command, name string) ([]shell.Arg, bool) {
	if c.Base() == name {
		return c.Args, true
	}
	if pythonName.MatchString(c.Base()) {
		for i, a := range c.Args {
			if a.Value == "-m" && i+1 < len(c.Args) {
				return c.Args[i+2:], c.Args[i+1].Value == name
			}
			if !a.Literal || a.Value == "" || a.Value[0] != '-' {
				return nil, false
			}
		}
	}
	return nil, false
}

// parseUV reads a uv or uvx command line.
func parseUV(c shell.Command) (uvCall, bool) {
	var sub []string
	args, ok := pyTool(c, "uv")
	if c.Base() == "uvx" {
		args, ok, sub = c.Args, true, []string{"tool", "run"}
	}
	if !ok {
		return uvCall{}, false
	}
	runs := c.Base() == "uvx"
	end := len(args)
scan:
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a.Literal && a.Value == "--":
			end = i
			break scan
		case a.Literal && len(a.Value) > 1 && a.Value[0] == '-':
			if slices.Contains(uvValued, a.Value) {
				i++
			}
		case runs:
			// The command uv runs: its arguments are not uv's.
			end = i
			break scan
		case len(sub) == 0 || len(sub) == 1 && slices.Contains(uvNamespaces, sub[0]):
			sub = append(sub, a.Value)
			runs = slices.Contains([]string{"run", "tool run", "tool uvx"}, strings.Join(sub, " "))
		}
	}
	return uvCall{cmd: c, path: strings.Join(sub, " "), args: args[:end]}, true
}

// flag returns the value of option name in u's arguments.
func (u uvCall) flag(name string) (value string, found, known bool) {
	return pyOption(u.args, name)
}

// pyOption returns the value of option name in args, given as --name VALUE
// or --name=VALUE, and whether the value is known before run time.
func pyOption(args []shell.Arg, name string) (value string, found, known bool) {
	for i, a := range args {
		if v, ok := strings.CutPrefix(a.Value, name+"="); ok && a.Literal {
			return v, true, true
		}
		if a.Literal && a.Value == name {
			if i+1 < len(args) {
				return args[i+1].Value, true, args[i+1].Literal
			}
			return "", true, false
		}
	}
	return "", false, false
}

// has reports whether flag is among u's arguments.
func (u uvCall) has(flag string) bool {
	return slices.ContainsFunc(u.args, func(a shell.Arg) bool { return a.Literal && a.Value == flag })
}

func (r uv) Apply(s *Step, p *Plan) {
	var runs, cleans []uvCall
	dir := false
	for _, c := range s.Commands {
		u, ok := parseUV(c)
		switch {
		case !ok:
		case slices.Contains(uvDownloads, u.path):
			runs = append(runs, u)
		case u.path == "cache clean" || u.path == "cache clear" || u.path == "cache prune" || u.path == "clean":
			cleans = append(cleans, u)
		case u.path == "cache dir":
			dir = true
		}
	}
	if len(runs) == 0 {
		return
	}
	p.addManager(r.Name())
	if why := uvStore(s, runs); why != "" {
		p.note("uv: " + why + "; left as written")
		return
	}
	if !uvMount(s, runs[0], p) {
		return
	}
	uvPython(s, runs, p)
	if v, ok := s.Env["UV_NO_CACHE"]; ok && pyTruthy(v) {
		pyUnset(p, "UV_NO_CACHE")
	}
	for _, u := range runs {
		for _, a := range u.args {
			if a.Literal && (a.Value == "--no-cache" || a.Value == "-n" || a.Value == "--no-cache-dir") {
				p.neutralize(s, u.cmd, "uv --no-cache", shell.Edit{Start: a.Start, End: a.End})
			}
		}
		if slices.ContainsFunc(u.cmd.Env, func(e string) bool {
			k, v, _ := strings.Cut(e, "=")
			return k == "UV_NO_CACHE" && pyTruthy(v)
		}) {
			p.note("uv: UV_NO_CACHE set on the command line keeps uv from using the cache")
		}
	}
	for _, u := range cleans {
		p.neutralize(s, u.cmd, "uv "+u.path, shell.Edit{Start: u.cmd.Start, End: u.cmd.End, Text: "true"})
	}
	if dir {
		p.note("uv: `uv cache dir` prints the mounted cache in this step")
	}
}

// uvStore says why uv's cache would be a store in this step: a link mode
// that leaves symlinks into it, or project environments kept in it.
func uvStore(s *Step, runs []uvCall) string {
	for _, u := range runs {
		mode, _ := s.env(u.cmd, "UV_LINK_MODE")
		if v, found, _ := u.flag("--link-mode"); found {
			mode = v
		}
		if mode == "symlink" {
			return "symlink link mode makes the environment point into the cache"
		}
		if !slices.Contains(uvProjectEnvs, u.path) {
			continue
		}
		if v, ok := s.env(u.cmd, "UV_PROJECT_ENVIRONMENT"); ok && v != "" {
			continue
		}
		preview, _ := s.env(u.cmd, "UV_PREVIEW")
		features, _ := s.env(u.cmd, "UV_PREVIEW_FEATURES")
		if v, found, _ := u.flag("--preview-features"); found {
			features += "," + v
		}
		if pyTruthy(preview) || u.has("--preview") || strings.Contains(features, "centralized-project-envs") {
			return "preview mode keeps project environments in the cache"
		}
	}
	return ""
}

// uvMount mounts uv's cache for the command u, the first that uses it, and
// reports whether it did.
func uvMount(s *Step, u uvCall, p *Plan) bool {
	c := u.cmd
	target, set := s.env(c, "UV_CACHE_DIR")
	set = set && target != ""
	if v, found, known := u.flag("--cache-dir"); found {
		if !known {
			p.note("uv: --cache-dir is known only at run time; the cache is not mounted")
			return false
		}
		target, set = v, true
	}
	if set && pyRelative(p, "uv", "the cache directory", target) {
		return false
	}
	def, knownDef := pyUserCache(s, c)
	if set && s.cacheMounted(target) || !set && knownDef && s.cacheMounted(path.Join(def, "uv")) {
		p.note("uv: the step mounts its own uv cache; left as written")
		return false
	}
	if !set {
		target = uvCache
		p.Env["UV_CACHE_DIR"] = target
	}
	p.addMount(Mount{Target: target, ID: s.id("uv", baseKey(s.Base), platformKey(s.Platform)), Sharing: Shared, Owner: s.owner(c)})
	if _, ok := s.env(c, "UV_LINK_MODE"); !ok {
		if _, found, _ := u.flag("--link-mode"); !found {
			// What uv falls back to across file systems anyway; said
			// here, it also overrides a link-mode in configuration files.
			p.Env["UV_LINK_MODE"] = "copy"
		}
	}
	return true
}

// uvPython keeps the Python archives uv downloads, in UV_PYTHON_CACHE_DIR
// where the step sets it, else in a mount of their own. Archive names carry
// the target triple and a hash, so the cache is the same on every platform,
// and uv writes each through a temporary file it renames: shared.
func uvPython(s *Step, runs []uvCall, p *Plan) {
	for _, u := range runs {
		if !uvFetchesPython(s, u) {
			continue
		}
		c := u.cmd
		target, set := s.env(c, "UV_PYTHON_CACHE_DIR")
		set = set && target != ""
		if set && (pyRelative(p, "uv", "UV_PYTHON_CACHE_DIR", target) || s.cacheMounted(target)) {
			return
		}
		if !set {
			target = uvPythonCache
			p.Env["UV_PYTHON_CACHE_DIR"] = target
		}
		p.addMount(Mount{Target: target, ID: s.id("uv-python"), Sharing: Shared, Owner: s.owner(c)})
		return
	}
}

func uvFetchesPython(s *Step, u uvCall) bool {
	if u.path == "python install" || u.path == "python upgrade" {
		return true
	}
	if !slices.Contains(uvPythonFetchers, u.path) || u.has("--no-python-downloads") || u.has("--offline") {
		return false
	}
	v, _ := s.env(u.cmd, "UV_PYTHON_DOWNLOADS")
	switch strings.ToLower(v) {
	case "manual", "never", "false", "0":
		return false
	}
	return true
}

// pyUserCache is the user cache directory of the user c runs as,
// $XDG_CACHE_HOME or ~/.cache, when known.
func pyUserCache(s *Step, c shell.Command) (string, bool) {
	if v, ok := s.env(c, "XDG_CACHE_HOME"); ok && path.IsAbs(v) && c.User == "" {
		return v, true
	}
	if home, ok := s.home(c); ok {
		return path.Join(home, ".cache"), true
	}
	return "", false
}

// pyRelative notes, and reports, a cache directory given as a relative
// path: it depends on the working directory, and is not mounted.
func pyRelative(p *Plan, manager, what, dir string) bool {
	if path.IsAbs(dir) {
		return false
	}
	p.note(manager + ": " + what + " " + dir + " is not an absolute path; not mounted")
	return true
}

// pyUnset unsets key for the step once, and records it as neutralised.
func pyUnset(p *Plan, key string) {
	if !slices.Contains(p.Unset, key) {
		p.Unset = append(p.Unset, key)
	}
	if !slices.Contains(p.Neutralized, key) {
		p.Neutralized = append(p.Neutralized, key)
	}
}

// pyTruthy reads a boolean setting as uv (clap's Boolish values), conda and
// poetry do.
func pyTruthy(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "1", "true", "yes", "y", "on", "t":
		return true
	}
	return false
}
