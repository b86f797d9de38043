package rules

import (
	"regexp"
	"slices"
	"strings"

	"github.com/cachefront/cachefront/frontend/shell"
)

// pip caches HTTP responses (http-v2/) and wheels it built (wheels/). Built
// wheels are specific to the interpreter, libc and architecture, and pip's
// keys only name the interpreter, so the cache id carries the base image and
// platform. PIP_CACHE_DIR moves the cache for the step; one the image or the
// Dockerfile sets is mounted where it points.
type pip struct{}

func (pip) Name() string { return "pip" }

func (pip) Programs() []string { return []string{"pip", "python"} }

var (
	pipName    = regexp.MustCompile(`^pip(3(\.[0-9]+)?)?$`)
	pythonName = regexp.MustCompile(`^python(3(\.[0-9]+)?)?$`)
)

// pipArgs returns the arguments after the pip program (pip ARGS, python -m
// pip ARGS), and whether c runs pip at all.
func pipArgs(c shell.Command) ([]shell.Arg, bool) {
	if pipName.MatchString(c.Base()) {
		return c.Args, true
	}
	if pythonName.MatchString(c.Base()) {
		for i, a := range c.Args {
			if a.Value == "-m" && i+1 < len(c.Args) {
				return c.Args[i+2:], c.Args[i+1].Value == "pip"
			}
			if len(a.Value) == 0 || a.Value[0] != '-' {
				return nil, false
			}
		}
	}
	return nil, false
}

var pipValued = []string{"--cache-dir", "--log", "--proxy", "--retries", "--timeout", "--exists-action", "--trusted-host", "--cert", "--client-cert", "--python", "-r", "--requirement", "-c", "--constraint", "-i", "--index-url", "--extra-index-url", "-f", "--find-links", "-t", "--target", "--root", "--prefix"}

func (r pip) Apply(s *Step, p *Plan) {
	var runs, cleans []shell.Command
	for _, c := range s.Commands {
		args, ok := pipArgs(c)
		if !ok {
			continue
		}
		switch verb(words(args), pipValued...) {
		case "install", "download", "wheel":
			runs = append(runs, c)
		case "cache":
			cleans = append(cleans, c)
		}
	}
	if len(runs) == 0 {
		// A cleanup in a step that downloads nothing cleans the image.
		return
	}
	p.addManager(r.Name())
	if !pipCache(s, runs[0], p, "pip") {
		return
	}
	for _, c := range cleans {
		p.neutralize(s, c, "pip cache purge", shell.Edit{Start: c.Start, End: c.End, Text: "true"})
	}
	for _, c := range runs {
		args, _ := pipArgs(c)
		for _, a := range args {
			if a.Value == "--no-cache-dir" && a.Literal {
				p.neutralize(s, c, "pip --no-cache-dir", shell.Edit{Start: a.Start, End: a.End, Text: ""})
			}
		}
		if slices.ContainsFunc(c.Env, func(e string) bool { return strings.HasPrefix(e, "PIP_NO_CACHE_DIR=") }) {
			p.note("pip: PIP_NO_CACHE_DIR set on the command line keeps pip from using the cache")
		}
	}
}

// pipCache mounts pip's cache for c, run by manager (pip, or pipx for the
// pip it runs): at PIP_CACHE_DIR when the step sets it, else at a mount
// PIP_CACHE_DIR is pointed to, and unsets the image's PIP_NO_CACHE_DIR. It
// returns false, with a note, when the step mounts its own pip cache.
func pipCache(s *Step, c shell.Command, p *Plan, manager string) bool {
	target, set := s.env(c, "PIP_CACHE_DIR")
	if home, ok := s.home(c); ok && s.cacheMounted(home+"/.cache/pip") || set && s.cacheMounted(target) {
		p.note(manager + ": the step mounts its own pip cache; left as written")
		return false
	}
	if !set || target == "" {
		target = CacheRoot + "/pip"
		p.Env["PIP_CACHE_DIR"] = target
	}
	p.addMount(Mount{Target: target, ID: s.id("pip", baseKey(s.Base), platformKey(s.Platform)), Sharing: Shared, Owner: s.owner(c)})
	if _, ok := s.Env["PIP_NO_CACHE_DIR"]; ok {
		pyUnset(p, "PIP_NO_CACHE_DIR")
	}
	return true
}

func words(args []shell.Arg) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = a.Value
	}
	return out
}
