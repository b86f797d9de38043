package rules

import (
	"path"
	"slices"
	"strings"

	"github.com/cachefront/cachefront/frontend/shell"
)

// dotnet caches NuGet's HTTP cache, where restore keeps the feed responses
// and the .nupkg files it downloads (cache keys nupkg_<id>.<version>).
// NUGET_HTTP_CACHE_PATH moves it for the step to /run/cachefront/nuget-http;
// one the image or the Dockerfile sets is mounted where it points. NuGet
// trusts an entry for 30 minutes only (SourceCacheContext's default MaxAge),
// so the cache serves the restores of one build and of builds close in time.
//
// The global packages folder (~/.nuget/packages, NUGET_PACKAGES) is not
// mounted: restore extracts packages there and obj/project.assets.json
// points at them, so a later `dotnet build --no-restore` or `dotnet publish
// --no-restore`, the pattern of the official samples, reads them from the
// image, as does `dotnet run` and every tool `dotnet tool restore` installs.
//
// Sharing is locked: NuGet's file locks live in its temp directory, which
// each container has of its own.
//
// Neutralised: --no-http-cache and its old alias --no-cache on restoring
// commands (removed); `dotnet nuget locals http-cache --clear` (a no-op) and
// `locals all --clear`, which becomes the clears of the other three
// locations, so that the image loses what it would have lost.
type dotnet struct{}

func (dotnet) Name() string { return "dotnet" }

func (dotnet) Programs() []string { return []string{"dotnet", "nuget", "nuget.exe"} }

// dotnetRestores are the dotnet verbs that restore packages, unless told
// --no-restore; dotnetNoCache those where --no-cache means --no-http-cache.
var (
	dotnetRestores = []string{"restore", "build", "publish", "test", "pack", "run", "watch", "add", "tool", "workload", "new", "msbuild"}
	dotnetNoCache  = []string{"restore", "build", "publish", "test", "pack", "run"}
	nugetRestores  = []string{"restore", "install", "update"}
)

func (r dotnet) Apply(s *Step, p *Plan) {
	var runs []shell.Command
	for _, c := range s.Commands {
		w := c.Words()
		v := verb(w)
		switch c.Base() {
		case "dotnet":
			switch {
			case v == "nuget":
				r.locals(s, p, c)
			case slices.Contains(dotnetRestores, v) && !slices.Contains(w, "--no-restore"):
				runs = append(runs, c)
			}
		case "nuget", "nuget.exe":
			if slices.Contains(nugetRestores, strings.ToLower(v)) {
				runs = append(runs, c)
			}
		}
	}
	if len(runs) == 0 {
		return
	}
	p.addManager(r.Name())
	c := runs[0]
	target, set := s.env(c, "NUGET_HTTP_CACHE_PATH")
	home, known := s.home(c)
	switch {
	case set && target != "" && s.cacheMounted(target), known && s.cacheMounted(path.Join(home, ".local/share/NuGet")):
		p.note("dotnet: the step mounts its own NuGet HTTP cache; left as written")
		return
	case known && s.cacheMounted(path.Join(home, ".nuget")):
		// A hand-written mount of ~/.nuget is what people use for NuGet.
		p.note("dotnet: the step mounts its own NuGet cache; left as written")
		return
	case !set || target == "":
		target = CacheRoot + "/nuget-http"
		p.Env["NUGET_HTTP_CACHE_PATH"] = target
	}
	p.addMount(Mount{Target: target, ID: s.id("nuget-http", ownerKeys(s.owner(c))...), Sharing: Locked, Owner: s.owner(c)})
	p.note("dotnet: the global packages folder (~/.nuget/packages) stays in the image: --no-restore steps and the assets file read it")
	for _, c := range runs {
		if c.Base() != "dotnet" || !slices.Contains(dotnetNoCache, verb(c.Words())) {
			continue
		}
		for _, a := range c.Args {
			if a.Literal && (a.Value == "--no-http-cache" || a.Value == "--no-cache") {
				p.neutralize(s, c, "dotnet "+a.Value, shell.Edit{Start: a.Start, End: a.End, Text: ""})
			}
		}
	}
	spareMounts(s, p)
}

// locals keeps `dotnet nuget locals ... --clear` from emptying the HTTP
// cache, while it still clears the image's other NuGet folders.
func (dotnet) locals(s *Step, p *Plan, c shell.Command) {
	w := c.Words()
	i := slices.Index(w, "locals")
	if i < 0 || i+1 >= len(w) || !(slices.Contains(w, "--clear") || slices.Contains(w, "-c")) {
		return
	}
	what := "dotnet nuget locals " + w[i+1] + " --clear"
	switch w[i+1] {
	case "http-cache":
		p.neutralize(s, c, what, shell.Edit{Start: c.Start, End: c.End, Text: "true"})
	case "all":
		a := c.Args[i+1]
		if c.Nested || a.Start < 0 {
			p.neutralize(s, c, what, shell.Edit{Start: -1})
			return
		}
		head, tail := s.Script[c.Start:a.Start], s.Script[a.End:c.End]
		text := "global-packages" + tail + " && " + head + "temp" + tail + " && " + head + "plugins-cache" + tail
		p.neutralize(s, c, what, shell.Edit{Start: a.Start, End: c.End, Text: text})
	}
}
