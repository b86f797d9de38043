package rules

import (
	"path"
	"slices"
	"strings"

	"github.com/cachefront/cachefront/frontend/shell"
)

// conda covers conda, mamba and micromamba, which share the package cache
// format: a pkgs directory (<root prefix>/pkgs, or ~/.conda/pkgs and
// ~/.mamba/pkgs when the prefix is read-only) with downloaded archives, the
// packages extracted from them and, in pkgs/cache, channel metadata. All
// three read CONDA_PKGS_DIRS, which moves it for the step to a mount; one the
// image or the Dockerfile sets is mounted where it points.
//
// Environments hard-link files from the extracted packages. Across the
// mount's file system that fails and conda and libmamba copy instead (conda
// core/link.py determine_link_type, libmamba core/link.cpp), so the
// environment holds real files and needs nothing of the cache once the mount
// is gone. They would soft-link instead with allow_softlinks or
// always_softlink, leaving links into the mount: both are set to false for
// the step, which overrides a .condarc, and a step whose environment or
// flags turn them on is left as written. The environment's conda-meta
// records name the mount as the package's cache directory, and its link type
// as a copy.
//
// Downloads go through a fixed <name>.partial file and extraction is in
// place, with no lock across processes (only channel metadata is locked):
// locked. The same file name exists for every platform: the id carries the
// platform.
//
// Neutralised: `conda clean`, `mamba clean` and `micromamba clean` run with
// CONDA_PKGS_DIRS unset, so that they clean the image's package caches as
// upstream does, not the mount; they become a no-op when the mount is where
// the image's CONDA_PKGS_DIRS points.
type conda struct{}

func (conda) Name() string { return "conda" }

func (conda) Programs() []string { return condaPrograms }

const condaCache = CacheRoot + "/conda"

var (
	condaPrograms  = []string{"conda", "mamba", "micromamba"}
	condaDownloads = []string{"install", "create", "update", "upgrade"}
	condaEnv       = []string{"create", "update"}
	condaValued    = []string{"-r", "--root-prefix", "--rc-file", "--log-level", "-n", "--name", "-p", "--prefix", "-c", "--channel", "-f", "--file"}
)

func (r conda) Apply(s *Step, p *Plan) {
	var runs, cleans []shell.Command
	for _, c := range s.Commands {
		if !slices.Contains(condaPrograms, c.Base()) {
			continue
		}
		w := c.Words()
		switch v := verb(w, condaValued...); {
		case slices.Contains(condaDownloads, v), v == "env" && slices.Contains(condaEnv, verb(pyAfter(w, "env"), condaValued...)):
			runs = append(runs, c)
		case v == "clean":
			cleans = append(cleans, c)
		}
	}
	if len(runs) == 0 {
		return
	}
	p.addManager(r.Name())
	if why := condaStore(s, runs); why != "" {
		p.note("conda: " + why + "; left as written")
		return
	}
	c := runs[0]
	target, set := s.env(c, "CONDA_PKGS_DIRS")
	target, _, _ = strings.Cut(target, ",") // the first writable one takes downloads
	set = set && target != ""
	if set && strings.ContainsAny(target, "$~") {
		p.note("conda: CONDA_PKGS_DIRS is known only at run time; packages are not cached")
		return
	}
	if set && pyRelative(p, "conda", "CONDA_PKGS_DIRS", target) {
		return
	}
	if set && s.cacheMounted(target) || slices.ContainsFunc(s.CacheMounts, func(m string) bool { return path.Base(m) == "pkgs" }) {
		p.note("conda: the step mounts its own package cache; left as written")
		return
	}
	if !set {
		target = condaCache
		p.Env["CONDA_PKGS_DIRS"] = target
	}
	p.addMount(Mount{Target: target, ID: s.id("conda", platformKey(s.Platform)), Sharing: Locked, Owner: s.owner(c)})
	for _, k := range condaLinkVars(runs) {
		_, given := s.env(c, k)
		_, alias := s.env(c, "CONDA_SOFTLINK")
		if !given && !(alias && k == "CONDA_ALWAYS_SOFTLINK") {
			p.Env[k] = "false"
		}
	}
	for _, c := range cleans {
		what := c.Base() + " clean"
		if set {
			p.neutralize(s, c, what, shell.Edit{Start: c.Start, End: c.End, Text: "true"})
		} else {
			at := pyProgramStart(s, c)
			p.neutralize(s, c, what, shell.Edit{Start: at, End: at, Text: "env -u CONDA_PKGS_DIRS "})
		}
	}
}

// condaSoftlinks are the settings, in every spelling the tools read from the
// environment, that make environments soft-link into the package cache.
var condaSoftlinks = []string{
	"CONDA_ALLOW_SOFTLINKS", "CONDA_ALWAYS_SOFTLINK", "CONDA_SOFTLINK",
	"MAMBA_ALLOW_SOFTLINKS", "MAMBA_ALWAYS_SOFTLINK",
}

// condaStore says why the package cache would be a store in this step: a
// setting or flag that soft-links environments into it.
func condaStore(s *Step, runs []shell.Command) string {
	for _, c := range runs {
		for _, k := range condaSoftlinks {
			if v, _ := s.env(c, k); pyTruthy(v) {
				return k + " links environments into the package cache"
			}
		}
		for _, a := range c.Args {
			if a.Literal && (a.Value == "--allow-softlinks" || a.Value == "--always-softlink") {
				return a.Value + " links environments into the package cache"
			}
		}
	}
	return ""
}

// condaLinkVars are the variables that keep the tools in runs from
// soft-linking: conda's for conda, libmamba's for micromamba, both for
// mamba (conda's before version 2, libmamba's since). Those the step sets are
// kept, and so is conda's alias CONDA_SOFTLINK: conda rejects two spellings
// of one setting.
func condaLinkVars(runs []shell.Command) []string {
	var conda, mamba bool
	for _, c := range runs {
		conda = conda || c.Base() != "micromamba"
		mamba = mamba || c.Base() != "conda"
	}
	var out []string
	if conda {
		out = append(out, "CONDA_ALLOW_SOFTLINKS", "CONDA_ALWAYS_SOFTLINK")
	}
	if mamba {
		out = append(out, "MAMBA_ALLOW_SOFTLINKS", "MAMBA_ALWAYS_SOFTLINK")
	}
	return out
}
