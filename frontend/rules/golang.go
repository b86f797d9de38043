package rules

import (
	"bytes"
	"path"
	"slices"
	"strings"

	"github.com/cachefront/cachefront/frontend/shell"
)

// golang caches the build cache (GOCACHE) and the module download cache,
// $GOMODCACHE/cache/download, which holds the zips and go.mod files in the
// module proxy's layout. The extracted module tree beside it is a store that
// later steps and stages read, so it stays in the image: the go command
// re-extracts from the cached zips without downloading. Where nothing but
// later RUN steps reads the tree (Step.Private: a builder stage whose
// binaries are copied out, the usual shape), all of $GOMODCACHE is cached
// too, in those steps as well, as careful hand-written Dockerfiles do: a
// rebuild after a dependency change then extracts only the new modules, and
// the stage's layers no longer carry the tree.
//
// xx-go (tonistiigi/xx) is go with GOOS, GOARCH and a C cross compiler set
// for TARGETPLATFORM, so it uses the same caches; `xx-go --wrap` only writes
// go's env file. Cross builds run on the build platform, the step's, and the
// build cache keys the target itself, so its id keeps the step's platform.
type golang struct{}

func (golang) Name() string { return "go" }

func (golang) Programs() []string { return []string{"go", "xx-go"} }

var goDownloads = []string{"mod", "build", "install", "test", "run", "get", "generate", "list", "work", "vet", "tool"}

func isGo(c shell.Command) bool { return c.Base() == "go" || c.Base() == "xx-go" }

func (r golang) Apply(s *Step, p *Plan) {
	var runs []shell.Command
	for _, c := range s.Commands {
		if !isGo(c) {
			continue
		}
		w := c.Words()
		switch v := verb(w, "-C"); {
		case v == "clean":
			if slices.Contains(w, "-cache") || slices.Contains(w, "-modcache") {
				p.neutralize(s, c, "go clean "+strings.Join(cleanFlags(w), " "), shell.Edit{Start: c.Start, End: c.End, Text: goClean(w)})
			}
		case slices.Contains(goDownloads, v):
			runs = append(runs, c)
		}
	}
	if len(runs) == 0 {
		return
	}
	p.addManager(r.Name())
	c := runs[0]
	owner := s.owner(c)

	home, knownHome := s.home(c)
	gocache, set := s.env(c, "GOCACHE")
	switch {
	case set && (gocache == "off" || gocache == ""):
		p.note("go: GOCACHE is off; the build cache is not mounted")
	case set && s.cacheMounted(gocache), !set && knownHome && s.cacheMounted(home+"/.cache/go-build"):
		p.note("go: the step mounts its own build cache; left as written")
	default:
		if !set {
			gocache = CacheRoot + "/go-build"
			p.Env["GOCACHE"] = gocache
		}
		p.addMount(Mount{Target: gocache, ID: s.id("go-build", platformKey(s.Platform)), Sharing: Shared, Owner: owner})
	}

	modcache, ok := goModCache(s, c, home, knownHome)
	switch {
	case !ok:
		p.note("go: GOMODCACHE is unknown for user " + s.owner(c) + " (set GOPATH or GOMODCACHE); module downloads are not cached")
	case s.cacheMounted(modcache):
		p.note("go: the step mounts its own module cache; left as written")
	case owner != "0":
		// BuildKit makes a mount point's missing parents as root: the user
		// could then not write $GOMODCACHE itself (seen on the test bed).
		p.note("go: module downloads are not cached for user " + owner + ": the mount's missing parent directories would be created as root, and go could not write " + modcache)
	default:
		if proxy, _ := s.env(c, "GOPROXY"); proxy != "off" && s.Private != nil && s.Private(modcache, goStoreKept(modcache)) {
			p.addMount(Mount{Target: modcache, ID: s.id("go-modcache"), Sharing: Shared, Owner: owner})
			p.note("go: the whole module cache is mounted, here and in the later steps that build on this one: nothing else reads " + modcache)
		}
		p.addMount(Mount{Target: path.Join(modcache, "cache/download"), ID: s.id("go-mod"), Sharing: Shared, Owner: owner})
	}
}

// goStoreKept tells whether a step leaves the module store at dir to the
// go command, so that a cache there holds what the layers would: a step of
// the base image did not fill it (goStoreFilled); a RUN step names
// no path at, in or above dir (but /), no pkg/mod, GOMODCACHE, GOPATH or
// -modcache, and does not work in or above dir (but /); a step before it
// runs no go (it would have filled the store in its layer), a step after
// it removes and re-owns nothing (rm of a parent fails on the mount point;
// a chown changes the cache for every build).
func goStoreKept(dir string) func(text, cwd string, when When) bool {
	return func(text, cwd string, when When) bool {
		if when == Base {
			return !goStoreFilled([]string{text})
		}
		for _, w := range []string{"pkg/mod", "GOMODCACHE", "GOPATH", "-modcache"} {
			if strings.Contains(text, w) {
				return false
			}
		}
		if namesPath(text, dir) {
			return false
		}
		switch when {
		case Before:
			return !runsGo(text)
		case After:
			if MayRemove(text) {
				return false
			}
		}
		return path.Clean("/"+cwd) == "/" || !within(dir, cwd) && !within(cwd, dir)
	}
}

// goStoreFilled reports whether an image made by the steps of createdBy
// (its config's history[].created_by) may hold a module store: one ran go
// with a verb that downloads modules, or named pkg/mod or GOMODCACHE (as a
// COPY of a store does). The official golang images' steps do neither.
func goStoreFilled(createdBy []string) bool {
	for _, h := range createdBy {
		if strings.Contains(h, "pkg/mod") || strings.Contains(h, "GOMODCACHE") {
			return true
		}
		prev := "" // the word before, by its base name
		if anyWord(h, func(w []byte) bool {
			word := string(w)
			if (prev == "go" || prev == "xx-go") && slices.Contains(goDownloads, word) {
				return true
			}
			prev = path.Base(word)
			return false
		}) {
			return true
		}
	}
	return false
}

// runsGo reports whether text names go or xx-go as a word (see Mentions).
func runsGo(text string) bool {
	return anyWord(text, func(w []byte) bool {
		if i := bytes.LastIndexByte(w, '/'); i >= 0 {
			w = w[i+1:]
		}
		return string(w) == "go" || string(w) == "xx-go"
	})
}

// namesPath reports whether a word of text holds an absolute path other
// than / at, in or above dir (--output=/go counts).
func namesPath(text, dir string) bool {
	return anyWord(text, func(w []byte) bool {
		i := bytes.IndexByte(w, '/')
		if i < 0 {
			return false
		}
		p := path.Clean(string(w[i:]))
		return p != "/" && (within(p, dir) || within(dir, p))
	})
}

// goModCache finds GOMODCACHE as the go command would: GOMODCACHE, else the
// first GOPATH entry + /pkg/mod, else $HOME/go/pkg/mod.
func goModCache(s *Step, c shell.Command, home string, knownHome bool) (string, bool) {
	if v, ok := s.env(c, "GOMODCACHE"); ok && v != "" {
		return v, true
	}
	if v, ok := s.env(c, "GOPATH"); ok && v != "" {
		first, _, _ := strings.Cut(v, ":")
		return path.Join(first, "pkg/mod"), true
	}
	if knownHome {
		return path.Join(home, "go/pkg/mod"), true
	}
	return "", false
}

func cleanFlags(w []string) []string {
	var out []string
	for _, f := range w {
		if f == "-cache" || f == "-modcache" {
			out = append(out, f)
		}
	}
	return out
}

// goClean replaces `go clean -cache/-modcache`. The build cache is mounted,
// so cleaning it would only empty the shared cache: that part becomes a
// no-op. The module store stays in the image and is removed as the Dockerfile
// meant, except the mounted download cache inside it. (A store cached whole
// is never cleaned: a step that names -modcache keeps it in the image.)
func goClean(w []string) string {
	if !slices.Contains(w, "-modcache") {
		return "true"
	}
	return `{ d="$(go env GOMODCACHE)" && chmod -R u+w "$d" 2>/dev/null; ` +
		`find "$d" -mindepth 1 -maxdepth 1 ! -name cache -exec rm -rf {} + && ` +
		`{ [ ! -d "$d/cache" ] || find "$d/cache" -mindepth 1 -maxdepth 1 ! -name download -exec rm -rf {} + ; } ; }`
}
