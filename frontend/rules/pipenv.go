package rules

import (
	"path"
	"slices"

	"github.com/cachefront/cachefront/frontend/shell"
)

// pipenv keeps its own caches (parsed index pages) in PIPENV_CACHE_DIR and
// runs pip with PIP_CACHE_DIR set to the same directory, so that directory
// holds pip's HTTP cache and the wheels pip built as well: mounting it
// covers both, and PIP_CACHE_DIR needs no mount of its own. Its default is
// ~/.cache/pipenv; PIPENV_CACHE_DIR moves it for the step, and one the image
// or the Dockerfile sets is mounted where it points. Virtualenvs live in
// WORKON_HOME or the project, never in the cache.
//
// pip's cache is safe to share and pipenv writes its own files through a
// temporary file it renames: shared. Built wheels are specific to the
// interpreter, libc and architecture: the id carries the base image and
// platform, as pip's does.
//
// Neutralised: PIP_NO_CACHE_DIR in the environment (pipenv's pip would obey
// it) is unset for the step, and `pipenv --clear`, which deletes the cache
// directory, becomes a no-op. `--clear` given to install or lock only
// refreshes pipenv's index pages and is kept.
type pipenv struct{}

func (pipenv) Name() string { return "pipenv" }

func (pipenv) Programs() []string { return []string{"pipenv", "python"} }

var (
	pipenvDownloads = []string{"install", "sync", "lock", "update", "upgrade"}
	pipenvValued    = []string{"--python", "--pypi-mirror", "--categories", "-r", "--requirements", "--extra-pip-args", "-e", "--editable", "--index"}
)

func (r pipenv) Apply(s *Step, p *Plan) {
	var runs, clears []shell.Command
	for _, c := range s.Commands {
		args, ok := pyTool(c, "pipenv")
		if !ok {
			continue
		}
		w := words(args)
		switch v := verb(w, pipenvValued...); {
		case slices.Contains(pipenvDownloads, v):
			runs = append(runs, c)
		case v == "" && slices.Contains(w, "--clear"):
			clears = append(clears, c)
		}
	}
	if len(runs) == 0 {
		return
	}
	p.addManager(r.Name())
	c := runs[0]
	target, set := s.env(c, "PIPENV_CACHE_DIR")
	set = set && target != ""
	if set && pyRelative(p, "pipenv", "PIPENV_CACHE_DIR", target) {
		return
	}
	def, knownDef := pyUserCache(s, c)
	if set && s.cacheMounted(target) || !set && knownDef && s.cacheMounted(path.Join(def, "pipenv")) {
		p.note("pipenv: the step mounts its own pipenv cache; left as written")
		return
	}
	if !set {
		target = CacheRoot + "/pipenv"
		p.Env["PIPENV_CACHE_DIR"] = target
	}
	p.addMount(Mount{Target: target, ID: s.id("pipenv", baseKey(s.Base), platformKey(s.Platform)), Sharing: Shared, Owner: s.owner(c)})
	if _, ok := s.Env["PIP_NO_CACHE_DIR"]; ok {
		pyUnset(p, "PIP_NO_CACHE_DIR")
	}
	for _, c := range clears {
		p.neutralize(s, c, "pipenv --clear", shell.Edit{Start: c.Start, End: c.End, Text: "true"})
	}
}
