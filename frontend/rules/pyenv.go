package rules

import (
	"path"
	"strings"

	"github.com/cachefront/cachefront/frontend/shell"
)

// pyenv builds Pythons with python-build, which keeps the source archives
// it downloads (and bare clones, for development versions) in
// PYTHON_BUILD_CACHE_PATH, but only when that directory exists; `pyenv
// install` points it at $PYENV_ROOT/cache when that exists. The variable is
// set for the step to a mount, which always exists; one the image or the
// Dockerfile sets is mounted where it points. The installed versions in
// $PYENV_ROOT/versions are a store and stay in the image.
//
// python-build links a cached archive into its build directory. With --keep
// (or PYENV_BUILD_ROOT) that directory stays in the image, and its link
// would point into the mount: such a step is left as written.
//
// python-build takes no lock and moves a download into the cache in place
// (a copy, across file systems); a checksum catches a partial archive, but
// not every definition has one, and clones are updated in place: locked.
// Archive names are the same for every platform, but a locked cache would
// hold back the other platforms of a multi-platform build for the whole
// compile: the id carries the platform.
type pyenv struct{}

func (pyenv) Name() string { return "pyenv" }

func (pyenv) Programs() []string { return []string{"pyenv", "pyenv-install", "python-build"} }

func (r pyenv) Apply(s *Step, p *Plan) {
	var runs []shell.Command
	for _, c := range s.Commands {
		if pyenvBuilds(c) {
			runs = append(runs, c)
		}
	}
	if len(runs) == 0 {
		return
	}
	p.addManager(r.Name())
	c := runs[0]
	for _, c := range runs {
		if pyenvKeeps(s, c) {
			p.note("pyenv: --keep leaves a link into the cache in the kept sources; left as written")
			return
		}
	}
	target, set := s.env(c, "PYTHON_BUILD_CACHE_PATH")
	set = set && target != ""
	if set && pyRelative(p, "pyenv", "PYTHON_BUILD_CACHE_PATH", target) {
		return
	}
	root, ok := s.env(c, "PYENV_ROOT")
	if home, known := s.home(c); !ok && known {
		root, ok = path.Join(home, ".pyenv"), true
	}
	if set && s.cacheMounted(target) || !set && ok && s.cacheMounted(path.Join(root, "cache")) {
		p.note("pyenv: the step mounts its own python-build cache; left as written")
		return
	}
	if !set {
		target = CacheRoot + "/pyenv"
		p.Env["PYTHON_BUILD_CACHE_PATH"] = target
	}
	p.addMount(Mount{Target: target, ID: s.id("pyenv", platformKey(s.Platform)), Sharing: Locked, Owner: s.owner(c)})
}

// pyenvBuilds reports whether c builds a Python: `pyenv install VERSION`,
// pyenv-install or python-build, but not their --list, --version or help.
func pyenvBuilds(c shell.Command) bool {
	args := c.Words()
	switch c.Base() {
	case "pyenv":
		if verb(args) != "install" {
			return false
		}
		args = pyAfter(args, "install")
	case "pyenv-install", "python-build":
	default:
		return false
	}
	for _, a := range args {
		switch a {
		case "-l", "--list", "--definitions", "--version", "-h", "--help":
			return false
		}
	}
	return true
}

// pyenvKeeps reports whether the build directory of c stays after the
// build: -k or --keep, or PYENV_BUILD_ROOT for `pyenv install`.
func pyenvKeeps(s *Step, c shell.Command) bool {
	if v, ok := s.env(c, "PYENV_BUILD_ROOT"); ok && v != "" && c.Base() != "python-build" {
		return true
	}
	for _, a := range c.Words() {
		if a == "--keep" || len(a) > 1 && a[0] == '-' && a[1] != '-' && strings.ContainsRune(a, 'k') {
			return true
		}
	}
	return false
}
