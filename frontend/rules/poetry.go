package rules

import (
	"path"
	"slices"
	"strings"

	"github.com/cachefront/cachefront/frontend/shell"
)

// poetry keeps repository metadata and HTTP responses in {cache-dir}/cache
// and downloaded and built distributions in {cache-dir}/artifacts. Its
// default virtualenvs.path, {cache-dir}/virtualenvs, is a store, so the
// cache directory moves for the step to a mount through POETRY_CACHE_DIR,
// and POETRY_VIRTUALENVS_PATH pins the environments where they would have
// been, unless the step's settings put them elsewhere anyway (virtualenvs
// not created, created in the project, or a path set). Mounting the two pure
// subdirectories where they are instead would break cleanups of a parent
// (`rm -rf ~/.cache`), which can't remove a mount point.
//
// When the image or the Dockerfile sets POETRY_CACHE_DIR, the usual pattern
// is to delete it in the same step (`poetry install && rm -rf
// $POETRY_CACHE_DIR`). The step's shell then keeps the variable as it is, so
// that the cleanup cleans the image as upstream does, and each poetry
// command gets the mount by `env POETRY_CACHE_DIR=...` inserted before it.
//
// Poetry writes downloads atomically, but a wheel it builds from an sdist is
// written in place into artifacts/ by the build backend, and its repository
// cache files are written in place too: locked. Built wheels are specific to
// the interpreter, libc and architecture: the id carries the base image and
// platform. Poetry installs wheels and build requirements itself, so pip's
// cache is not needed.
//
// Neutralised: --no-cache is removed, `poetry cache clear` becomes a no-op
// where it would clear the mount. Known limits: a virtualenvs.path or
// cache-dir set by `poetry config` in an earlier step or in poetry.toml is
// not seen, and the pinned path overrides the first; a step that runs
// `poetry config cache-dir` is left as written.
type poetry struct{}

func (poetry) Name() string { return "poetry" }

func (poetry) Programs() []string { return []string{"poetry", "python"} }

const poetryCache = CacheRoot + "/poetry"

var (
	poetryDownloads = []string{"install", "sync", "add", "update", "lock", "remove"}
	poetrySelf      = []string{"add", "install", "update", "lock", "sync"}
	poetryValued    = []string{"-C", "--directory", "-P", "--project", "-E", "--extras", "--with", "--without", "--only", "-G", "--group", "--source", "--python"}
)

func (r poetry) Apply(s *Step, p *Plan) {
	var runs, clears []shell.Command
	for _, c := range s.Commands {
		args, ok := pyTool(c, "poetry")
		if !ok {
			continue
		}
		w := words(args)
		switch v := verb(w, poetryValued...); {
		case slices.Contains(poetryDownloads, v):
			runs = append(runs, c)
		case v == "self" && slices.Contains(poetrySelf, verb(pyAfter(w, "self"), poetryValued...)):
			runs = append(runs, c)
		case v == "cache" && verb(pyAfter(w, "cache")) == "clear":
			clears = append(clears, c)
		case v == "config" && slices.Contains(w, "cache-dir"):
			p.addManager(r.Name())
			p.note("poetry: the step configures cache-dir; left as written")
			return
		}
	}
	if len(runs) == 0 {
		return
	}
	p.addManager(r.Name())
	if def, ok := pyUserCache(s, runs[0]); ok && s.cacheMounted(path.Join(def, "pypoetry")) {
		p.note("poetry: the step mounts its own poetry cache; left as written")
		return
	}
	var viaEnv, mounted bool
	for _, c := range runs {
		dir, set := s.env(c, "POETRY_CACHE_DIR")
		switch {
		case set && dir != "" && s.cacheMounted(dir):
			p.note("poetry: the step mounts its own poetry cache; left as written")
			return
		case set && dir != "":
			// The shell keeps the image's POETRY_CACHE_DIR for its cleanups.
			text := "env POETRY_CACHE_DIR=" + poetryCache + " "
			if poetryPins(s, c) {
				text += "POETRY_VIRTUALENVS_PATH=" + shell.Quote(path.Join(dir, "virtualenvs")) + " "
			}
			if at := pyProgramStart(s, c); at >= 0 && pyEdit(p, shell.Edit{Start: at, End: at, Text: text}) {
				mounted = true
				p.note("poetry: the mount is given to poetry alone by env POETRY_CACHE_DIR=...; the shell keeps the image's value for its cleanups")
			} else {
				p.note("poetry: POETRY_CACHE_DIR is set and the command can't be edited; its downloads are not cached")
			}
		case !viaEnv:
			viaEnv, mounted = true, true
			p.Env["POETRY_CACHE_DIR"] = poetryCache
			if poetryPins(s, c) {
				p.Env["POETRY_VIRTUALENVS_PATH"] = poetryVenvs(s, c)
			}
		}
	}
	if !mounted {
		return
	}
	p.addMount(Mount{Target: poetryCache, ID: s.id("poetry", baseKey(s.Base), platformKey(s.Platform)), Sharing: Locked, Owner: s.owner(runs[0])})
	for _, c := range runs {
		for _, a := range c.Args {
			if a.Literal && a.Value == "--no-cache" {
				p.neutralize(s, c, "poetry --no-cache", shell.Edit{Start: a.Start, End: a.End})
			}
		}
	}
	for _, c := range clears {
		if _, set := s.env(c, "POETRY_CACHE_DIR"); viaEnv && !set {
			p.neutralize(s, c, "poetry cache clear", shell.Edit{Start: c.Start, End: c.End, Text: "true"})
		}
	}
}

// poetryPins reports whether poetry would create c's environment under
// virtualenvs.path with its default, {cache-dir}/virtualenvs, as far as the
// environment and the step's `poetry config` commands tell.
func poetryPins(s *Step, c shell.Command) bool {
	if _, ok := s.env(c, "POETRY_VIRTUALENVS_PATH"); ok {
		return false
	}
	if v, ok := s.env(c, "POETRY_VIRTUALENVS_CREATE"); ok && !poetryBool(v) {
		return false
	}
	if v, ok := s.env(c, "POETRY_VIRTUALENVS_IN_PROJECT"); ok && poetryBool(v) {
		return false
	}
	for _, o := range s.Commands {
		args, ok := pyTool(o, "poetry")
		if !ok || verb(words(args), poetryValued...) != "config" {
			continue
		}
		w := pyAfter(words(args), "config")
		switch {
		case slices.Contains(w, "virtualenvs.path"):
			return false
		case slices.Contains(w, "virtualenvs.create") && slices.ContainsFunc(w, func(v string) bool { return v == "false" || v == "0" }):
			return false
		case slices.Contains(w, "virtualenvs.in-project") && slices.ContainsFunc(w, poetryBool):
			return false
		}
	}
	return true
}

// poetryVenvs is poetry's default virtualenvs.path for c's user. Poetry
// expands a leading ~ itself, for whichever user it runs as.
func poetryVenvs(s *Step, c shell.Command) string {
	if dir, ok := pyUserCache(s, c); ok {
		return path.Join(dir, "pypoetry", "virtualenvs")
	}
	return "~/.cache/pypoetry/virtualenvs"
}

// poetryBool reads a boolean setting as poetry does.
func poetryBool(v string) bool {
	v = strings.ToLower(v)
	return v == "true" || v == "1"
}

// pyAfter returns the words of ws after the first w.
func pyAfter(ws []string, w string) []string {
	if i := slices.Index(ws, w); i >= 0 {
		return ws[i+1:]
	}
	return nil
}

// pyProgramStart is the offset of c's program word in the step's script,
// where `env K=V ` can be inserted so that it applies to the program alone,
// after any wrapper or assignment; -1 when the word can't be edited.
func pyProgramStart(s *Step, c shell.Command) int {
	if !s.Spliceable || c.Nested || c.NameEnd < 0 || c.NameEnd > len(s.Script) {
		return -1
	}
	start := c.NameEnd - len(c.Name)
	if start < 0 || start < c.Start || s.Script[start:c.NameEnd] != c.Name {
		return -1
	}
	return start
}

// pyEdit adds e to the plan's edits unless it overlaps one; it reports
// whether it did.
func pyEdit(p *Plan, e shell.Edit) bool {
	for _, o := range p.Edits {
		if o.Start < e.End && e.Start < o.End {
			return false
		}
	}
	p.Edits = append(p.Edits, e)
	return true
}
