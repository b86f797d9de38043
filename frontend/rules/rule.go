package rules

import (
	"path"
	"slices"
	"strings"

	"github.com/cachefront/cachefront/frontend/shell"
)

// CacheRoot is where relocated caches are mounted. BuildKit removes the
// mount points it creates once the step ends, so nothing of it reaches the
// image.
const CacheRoot = "/run/cachefront"

// Sharing is a cache mount's sharing mode, as in --mount=type=cache.
type Sharing string

// Sharing modes.
const (
	Shared  Sharing = "shared"
	Locked  Sharing = "locked"
	Private Sharing = "private"
)

// Step is what rules see of one RUN step.
type Step struct {
	// Script is the shell script the step runs; "" for an exec-form step
	// that runs no shell.
	Script string
	// Spliceable tells whether edits to Script can be applied.
	Spliceable bool
	// Commands are the commands the step runs, in source order.
	Commands []shell.Command
	// Env is the step's environment: the image's and the Dockerfile's.
	Env map[string]string
	// User is the USER in effect, as written ("" or "root" for root).
	User string
	// Platform is os/arch[/variant] of the step.
	Platform string
	// Base names the base image the step's stage starts from, e.g.
	// "debian:bookworm"; "" when unknown (scratch).
	Base string
	// Mounts are the targets of the mounts the step has already; CacheMounts
	// the targets of its cache mounts.
	Mounts, CacheMounts []string
	// Namespace prefixes every cache id (BUILDKIT_CACHE_MOUNT_NS).
	Namespace string
	// ContextFile reads one of ContextFiles at the root of the build
	// context, where projects keep tool settings (.yarnrc.yml). It returns
	// an error wrapping fs.ErrNotExist when the context has no such file,
	// and any other error when the file could not be read. nil when the
	// context is unknown.
	ContextFile func(name string) ([]byte, error)
	// Private reports whether dir (absolute) is the step's own, from the
	// base image on, and what the step leaves there reaches no image,
	// exported layer or other stage: nothing reads it but later RUN steps,
	// which then get the same cache mount at dir (and those within it).
	// keeps tells, for a RUN step before or after this one, or this one,
	// by its text (script, or exec-form words joined by spaces) and working
	// directory, or for a step of the base image by its history's
	// created_by, that it leaves dir to the manager. nil when unknown
	// (false).
	Private func(dir string, keeps func(text, cwd string, when When) bool) bool
}

// When places a step relative to the one Step.Private is asked for.
type When int

// Places of a step.
const (
	Base When = iota // a step that made the base image
	Before
	Self
	After
)

// Mount is a cache mount a rule adds.
type Mount struct {
	Target  string   `json:"target"`
	ID      string   `json:"id"`
	Sharing Sharing  `json:"sharing"`
	Owner   string   `json:"owner"`
	Dirs    []string `json:"-"` // subdirectories to create in a new cache
}

// File is a transient file mounted read-only for the step alone.
type File struct {
	Target  string
	Content string
}

// Plan is what the rules decided for one step.
type Plan struct {
	Managers    []string
	Mounts      []Mount
	Env         map[string]string
	Unset       []string
	Files       []File
	Edits       []shell.Edit
	Neutralized []string
	Notes       []string
}

// Rule is one package manager's knowledge.
type Rule interface {
	// Name is the manager's canonical name ("apt", "pip", ...).
	Name() string
	// Programs are the base names of every program Apply reads a command
	// of ("apt-get", "npx"); "python" stands for python3 and python3.N
	// too, and "pip" for pip3 and pip3.N. Run asks a rule only about
	// steps that run one of them, and steps that name none of any rule's
	// are not parsed (see Mentions).
	Programs() []string
	// Apply adds to p what s needs; it does nothing when s does not run
	// the manager.
	Apply(s *Step, p *Plan)
}

// All returns every rule, in a fixed order.
func All() []Rule {
	return []Rule{
		apt{}, pip{}, npm{}, golang{},
		// system package managers
		apk{}, dnf{}, zypper{},
		// python
		uv{}, poetry{}, pipenv{}, pipx{}, conda{}, pyenv{},
		// javascript
		yarn{}, pnpm{}, bun{}, nvm{},
		// compiled languages, JVM, .NET, version managers
		cargo{}, gem{}, composer{}, maven{}, gradle{}, sbt{}, dotnet{}, asdf{}, mise{},
	}
}

// Names returns the canonical names of all rules.
func Names() []string {
	var out []string
	for _, r := range All() {
		out = append(out, r.Name())
	}
	return out
}

// Run applies rules to s, skipping the managers in skip.
func Run(s *Step, rules []Rule, skip map[string]bool) *Plan {
	p := &Plan{Env: map[string]string{}}
	set := rulesFor(s)
	for _, r := range rules {
		if !skip[r.Name()] && set.has(r) {
			r.Apply(s, p)
		}
	}
	// rm cannot remove a mount point: rms that reach a mount are rewritten
	// to spare it, or the mount is dropped.
	spareMounts(s, p)
	return p
}

// Root reports whether the step runs as root.
func (s *Step) Root() bool { return isRoot(s.User) }

func isRoot(u string) bool {
	u, _, _ = strings.Cut(u, ":")
	return u == "" || u == "root" || u == "0"
}

// owner is the user that must own a cache a command writes: the user a
// wrapper switched to, else the step's USER. "0" for root.
func (s *Step) owner(c shell.Command) string {
	u := s.User
	if c.User != "" {
		u = c.User
	}
	if isRoot(u) {
		return "0"
	}
	return u
}

// env returns the value of key for command c: its inline assignments win
// over the step's environment.
func (s *Step) env(c shell.Command, key string) (string, bool) {
	for i := len(c.Env) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(c.Env[i], "="); ok && k == key {
			return v, true
		}
	}
	v, ok := s.Env[key]
	return v, ok
}

// home is the home directory of the user a command runs as, when known.
func (s *Step) home(c shell.Command) (string, bool) {
	if h, ok := s.env(c, "HOME"); ok && h != "" && c.User == "" {
		return h, true
	}
	if s.owner(c) == "0" {
		return "/root", true
	}
	return "", false
}

// cacheMounted reports whether the step already mounts a cache at or above
// or below one of paths: the Dockerfile's own choice wins.
func (s *Step) cacheMounted(paths ...string) bool {
	for _, m := range s.CacheMounts {
		for _, p := range paths {
			if within(p, m) || within(m, p) {
				return true
			}
		}
	}
	return false
}

// id builds a cache id: namespace, "cachefront", manager, then keys.
func (s *Step) id(manager string, keys ...string) string {
	parts := append([]string{"cachefront", manager}, keys...)
	return s.Namespace + strings.Join(parts, "/")
}

// within reports whether p is dir or below it.
func within(p, dir string) bool {
	p, dir = path.Clean(p), path.Clean(dir)
	return p == dir || dir == "/" || strings.HasPrefix(p, dir+"/")
}

// verb returns the first word of args that is not an option, skipping the
// values of the options in valued; "" when none.
func verb(args []string, valued ...string) string {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			if i+1 < len(args) {
				return args[i+1]
			}
			return ""
		}
		if strings.HasPrefix(a, "-") {
			if slices.Contains(valued, a) {
				i++
			}
			continue
		}
		return a
	}
	return ""
}

// addManager records manager once.
func (p *Plan) addManager(name string) {
	if !slices.Contains(p.Managers, name) {
		p.Managers = append(p.Managers, name)
	}
}

// addMount adds m unless a mount with its target is there.
func (p *Plan) addMount(m Mount) {
	for _, o := range p.Mounts {
		if o.Target == m.Target {
			return
		}
	}
	p.Mounts = append(p.Mounts, m)
}

func (p *Plan) note(s string) {
	if !slices.Contains(p.Notes, s) {
		p.Notes = append(p.Notes, s)
	}
}

// neutralize records an edit that keeps a cleanup from emptying a cache;
// it only notes the cleanup when the script cannot be edited.
func (p *Plan) neutralize(s *Step, c shell.Command, what string, e shell.Edit) {
	if !s.Spliceable || c.Nested || e.Start < 0 {
		p.note(what + " could not be rewritten (nested shell or exec form): it may empty the cache")
		return
	}
	for _, o := range p.Edits {
		if o.Start < e.End && e.Start < o.End {
			return
		}
	}
	p.Edits = append(p.Edits, e)
	if !slices.Contains(p.Neutralized, what) {
		p.Neutralized = append(p.Neutralized, what)
	}
}

// platformKey turns os/arch/variant into one id part.
func platformKey(p string) string {
	if p == "" {
		return "any"
	}
	return strings.ReplaceAll(p, "/", "-")
}
