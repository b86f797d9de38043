package rules

import (
	"slices"
	"strings"
	"testing"

	"github.com/cachefront/cachefront/frontend/shell"
	"github.com/stretchr/testify/require"
)

// checkedRun is Run for the rule tests, which also checks what lets Run and
// the rewrite skip work: the plan is the one every rule gives when asked
// (Run only asks rules whose Programs the step runs), and a step that gets
// anything names a program Mentions finds (the rewrite parses no other).
// Every table of the rule tests goes through it, so a rule that reads a
// program it does not list fails its own cases.
func checkedRun(t *testing.T, s *Step, rules []Rule, skip map[string]bool) *Plan {
	t.Helper()
	got := Run(s, rules, skip)
	want := &Plan{Env: map[string]string{}}
	for _, r := range rules {
		if !skip[r.Name()] {
			r.Apply(s, want)
		}
	}
	spareMounts(s, want)
	require.Equal(t, want, got, "a rule acts on a program its Programs leaves out")
	if len(want.Managers)+len(want.Mounts)+len(want.Env)+len(want.Unset)+len(want.Files)+len(want.Edits)+len(want.Notes) > 0 {
		require.True(t, Mentions(stepText(s)), "Mentions misses a step the rules act on: %q", stepText(s))
	}
	return got
}

// stepText is the script of s, or its commands written out.
func stepText(s *Step) string {
	if s.Script != "" {
		return s.Script
	}
	var words []string
	for _, c := range s.Commands {
		words = append(words, c.Name)
		words = append(words, c.Words()...)
	}
	return strings.Join(words, " ")
}

func TestMentions(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		text string
		want bool
	}{
		{"apt-get install -y curl", true},
		{"/usr/bin/apt-get install curl", true},
		{`"apt-get" install curl`, true},
		{`a'pt'-get install curl`, true},
		{"ap\\\nt-get install curl", true},
		{"echo hi && ls /var/lib", false},
		{"ls /var/lib/apt", true}, // a word ending in a program's name is enough: it errs toward parsing
		{"echo hi; (cd /src && go build ./...)", true},
		{"x=$(pip freeze)", true},
		{"python3.12 -m pip install x", true},
		{"python3 -m venv /opt/venv", true}, // python may run pip: parsed, and the rules decide
		{"corepack yarn@4.5.0 install", true},
		{"sh -c 'npm ci'", true},
		{"make && make install", false},
		{"gosu app bundle install", true},
		{"cargo-chef cook", false}, // cargo chef is `cargo chef`; the cargo-chef binary fetches nothing itself
		{"", false},
	} {
		require.Equal(t, tc.want, Mentions(tc.text), tc.text)
	}
}

func TestMayRemove(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		text string
		want bool
	}{
		{"go build -o /out/app .", false},
		{"ls -l /src && make", false},
		{"make clean && make", false},
		{"rm -rf /tmp/x", true},
		{"/bin/rm -f x", true},
		{"cd /src;find . -name '*.o' -delete", true},
		{"chown -R app /go", true},
		{"sh -c 'r\\\nm -rf /go'", true},
		{"echo format", false},
	} {
		require.Equal(t, tc.want, MayRemove(tc.text), tc.text)
	}
}

// Every rule lists programs, and every program it lists is one Mentions
// finds as a word.
func TestProgramsListed(t *testing.T) {
	t.Parallel()
	for _, r := range All() {
		require.NotEmpty(t, r.Programs(), r.Name())
		for _, p := range r.Programs() {
			require.True(t, Mentions(p+" x"), "%s: %s", r.Name(), p)
		}
	}
}

// Every program some rule lists, run with the verbs package managers
// download with, gives the same plan through Run as from every rule: a
// rule that reads a program another rule lists but it does not is caught
// here even when its own tables have no such case.
func TestEveryProgram(t *testing.T) {
	t.Parallel()
	verbs := []string{"install x", "ci", "add x", "sync", "mod download", "fetch", "restore", "update", "build", "-m pip install x", "-y pnpm@9 install", "yarn@4 install", "use pnpm@9"}
	for p := range programs() {
		for _, v := range verbs {
			checkedRun(t, step(t, p+" "+v, nil, ""), All(), nil)
			checkedRun(t, step(t, p+" "+v, nil, "app"), All(), nil)
		}
	}
}

// FuzzMentions: for any script, Run through every rule gives what each
// rule gives when asked, and a script the rules act on is one Mentions
// lets through (checkedRun).
func FuzzMentions(f *testing.F) {
	for _, s := range []string{
		"apt-get update && apt-get install -y curl", "pip install -r r.txt", "python3 -m pip install x",
		"npm ci && npm cache clean --force", "npx -y pnpm@9 install", "corepack yarn@4 install",
		"go mod download", "cargo build --release", "bundle install", "composer install", "php composer.phar install",
		"dotnet restore", "gradle build", "./mvnw package", "uv sync", "poetry install", "conda install x",
		`sh -c "apk add x"`, "su app -c 'yarn install'", "a\\\npt-get install x", `"pi"p install x`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, script string) {
		cmds, err := shell.Parse(script)
		if err != nil {
			return
		}
		s := &Step{Script: script, Spliceable: true, Commands: cmds, Env: map[string]string{}, Platform: "linux/amd64", Base: "debian:bookworm"}
		checkedRun(t, s, All(), nil)
	})
}

// ownRule is a rule outside All, read by the program "tool".
type ownRule struct{}

func (ownRule) Name() string       { return "own" }
func (ownRule) Programs() []string { return []string{"tool"} }
func (ownRule) Apply(s *Step, p *Plan) {
	p.Managers = append(p.Managers, "own")
}

// Run asks a rule that All does not hold by its programs, as it asks All's
// by their bits; a versioned python is "python" to both.
func TestRunRulesOutsideAll(t *testing.T) {
	t.Parallel()
	rules := append(All(), ownRule{})
	for _, c := range []struct {
		script string
		want   bool
	}{
		{"tool --fetch", true},
		{"apt-get update && /usr/local/bin/tool", true},
		{"tools --fetch", false},
		{"apt-get update", false},
	} {
		p := Run(step(t, c.script, nil, ""), rules, nil)
		require.Equal(t, c.want, slices.Contains(p.Managers, "own"), c.script)
	}
	p := Run(step(t, "python3.12 -m pip install flask", nil, ""), All(), nil)
	require.Contains(t, p.Managers, "pip")
}
