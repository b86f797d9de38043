package rules

import (
	"slices"
	"strings"

	"github.com/cachefront/cachefront/frontend/shell"
)

// pipx installs applications into virtualenvs of their own with one of two
// backends: pip, which fills pip's cache, or uv, which fills uv's (pipx
// picks uv when it finds it, unless --backend or PIPX_DEFAULT_BACKEND says
// otherwise). Both caches are mounted as the pip and uv rules mount them,
// under the same ids; the one a step's backend does not use stays empty.
// PIPX_HOME, with the applications' virtualenvs and those `pipx run`
// keeps, is a store and stays in the image.
//
// Neutralised: PIP_NO_CACHE_DIR and UV_NO_CACHE in the environment are
// unset for the step. Known limit: --pip-args with --no-cache-dir is left as
// written, with a note.
type pipx struct{}

func (pipx) Name() string { return "pipx" }

func (pipx) Programs() []string { return []string{"pipx", "python"} }

var (
	pipxDownloads = []string{"install", "install-all", "inject", "upgrade", "upgrade-all", "upgrade-shared", "reinstall", "reinstall-all", "run", "runpip"}
	pipxValued    = []string{"--backend", "--python", "--pip-args", "--index-url", "-i", "--suffix", "--spec", "--global-python"}
)

func (r pipx) Apply(s *Step, p *Plan) {
	var runs []shell.Command
	for _, c := range s.Commands {
		if args, ok := pyTool(c, "pipx"); ok && slices.Contains(pipxDownloads, verb(words(args), pipxValued...)) {
			runs = append(runs, c)
		}
	}
	if len(runs) == 0 {
		return
	}
	p.addManager(r.Name())
	c := runs[0]
	backend, _ := s.env(c, "PIPX_DEFAULT_BACKEND")
	args, _ := pyTool(c, "pipx")
	if v, _, known := pyOption(args, "--backend"); known {
		backend = v
	}
	if backend != "uv" {
		pipCache(s, c, p, "pipx")
	}
	if mode, _ := s.env(c, "UV_LINK_MODE"); backend != "pip" && mode == "symlink" {
		p.note("pipx: uv's symlink link mode makes the environments point into its cache; uv's cache is not mounted")
	} else if backend != "pip" {
		if uvMount(s, uvCall{cmd: c}, p) {
			if v, ok := s.Env["UV_NO_CACHE"]; ok && pyTruthy(v) {
				pyUnset(p, "UV_NO_CACHE")
			}
		}
	}
	for _, c := range runs {
		if slices.ContainsFunc(c.Words(), func(w string) bool { return strings.Contains(w, "--no-cache-dir") }) {
			p.note("pipx: --pip-args with --no-cache-dir keeps pip from using the cache")
		}
	}
}
