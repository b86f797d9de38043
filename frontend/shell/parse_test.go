package shell

import (
	"testing"

	"github.com/pkg/errors"
	"github.com/stretchr/testify/require"
)

type parseCase struct {
	name   string
	script string
	want   []string // summary of each command, in order
}

// structureCases cover where commands can hide in shell syntax.
var structureCases = []parseCase{
	{"simple", "apt-get install -y curl", []string{"apt-get install -y curl"}},
	{"and", "apt-get update && apt-get install -y curl", []string{"apt-get update", "apt-get install -y curl"}},
	{"or", "pip install x || true", []string{"pip install x", "true"}},
	{"semicolon", "apk update; apk add git", []string{"apk update", "apk add git"}},
	{"newlines", "npm ci\n\nnpm run build\n", []string{"npm ci", "npm run build"}},
	{"pipe", "curl -fsSL https://x | tar -xz", []string{"curl -fsSL https://x", "tar -xz"}},
	{"pipe into sh", "curl -fsSL https://x | sh", []string{"curl -fsSL https://x", "sh"}},
	{"negation", "! grep -q x f", []string{"grep -q x f"}},
	{"if elif else", "if [ -f a ]; then pip install a; elif test -f b; then pip install b; else yarn; fi",
		[]string{"[ -f a ]", "pip install a", "test -f b", "pip install b", "yarn"}},
	{"for", "for p in a b; do go install $p; done", []string{"go install <dyn>"}},
	{"c-style for", "for ((i=0; i<3; i++)); do cargo fetch; done", []string{"cargo fetch"}},
	{"while", "while ! apt-get update; do sleep 1; done", []string{"apt-get update", "sleep 1"}},
	{"until", "until pip download x; do sleep 1; done", []string{"pip download x", "sleep 1"}},
	{"case", "case \"$TARGETARCH\" in amd64) apk add a ;; *) apk add b ;; esac", []string{"apk add a", "apk add b"}},
	{"subshell", "(cd /src && go build ./...)", []string{"cd /src", "go build ./..."}},
	{"group", "{ apt-get update; apt-get install -y x; }", []string{"apt-get update", "apt-get install -y x"}},
	{"function body", "install() { pip install \"$@\"; }\ninstall x", []string{"pip install <dyn>", "install x"}},
	{"command substitution", "echo \"$(pip --version)\"", []string{"echo <dyn>", "pip --version"}},
	{"backticks", "V=`go env GOVERSION` make", []string{"make", "go env GOVERSION"}},
	{"assignment from substitution", "V=$(uname -m)", []string{"uname -m"}},
	{"process substitution", "diff <(pip freeze) requirements.txt", []string{"diff <dyn> requirements.txt", "pip freeze"}},
	{"set before", "set -eux; apt-get update", []string{"set -eux", "apt-get update"}},
	{"line continuation", "apt-get install -y \\\n    curl \\\n    git", []string{"apt-get install -y curl git"}},
	{"continuation inside word", "apt-get ins\\\ntall x", []string{"apt-get install x"}},
	{"comment line", "# apt-get install x\nls", []string{"ls"}},
	{"trailing comment", "apt-get update # && pip install x", []string{"apt-get update"}},
	{"background", "dockerd & sleep 1", []string{"dockerd", "sleep 1"}},
	{"time keyword", "time -p go build", []string{"go build"}},
	{"test clause", "[[ -n $(pip --version) ]]", []string{"pip --version"}},
	{"arithmetic", "echo $(( $(nproc) * 2 ))", []string{"echo <dyn>", "nproc"}},
	{"empty", "", []string{}},
	{"only comments", "# nothing\n  \n", []string{}},
}

// textCases cover text that looks like a command but is data.
var textCases = []parseCase{
	{"heredoc is data", "cat <<EOF > /etc/apt/sources.list\napt-get install x\nEOF", []string{"cat"}},
	{"heredoc then command", "cat <<'EOF' > f\npip install x\nEOF\nnpm ci", []string{"cat", "npm ci"}},
	{"heredoc substitution runs", "cat <<EOF > f\n$(go env GOPATH)\nEOF", []string{"cat", "go env GOPATH"}},
	{"heredoc quoted substitution is data", "cat <<'EOF' > f\n$(go env GOPATH)\nEOF", []string{"cat"}},
	{"heredoc and a later command on the line", "cat <<EOF && apk add x\nbody\nEOF", []string{"cat", "apk add x"}},
	{"echo", "echo \"apt-get install x\"", []string{"echo apt-get install x"}},
	{"echo bare", "echo apt-get install x", []string{"echo apt-get install x"}},
	{"printf", "printf '%s\\n' 'pip install x' > f", []string{"printf %s\\n pip install x"}},
	{"single quotes", "git commit -m 'npm ci'", []string{"git commit -m npm ci"}},
	{"assignment only", "FOO=bar", []string{}},
	{"assignments only", "A=1 B=$(x)", []string{"x"}},
	{"dynamic name", "$PM install x", []string{}},
	{"quoted dynamic name", "\"${PIP}\" install x", []string{}},
	{"dynamic args", "pip install $PKGS \"$@\" ${X:-y}", []string{"pip install <dyn> <dyn> <dyn>"}},
	{"tilde is dynamic", "pip install --target ~/lib x", []string{"pip install --target <dyn> x"}},
	{"globs are literal", "rm -rf /var/lib/apt/lists/* ?(a) {a,b}", []string{"rm -rf /var/lib/apt/lists/* ?(a) {a,b}"}},
	{"quote removal", "pip install \"a b\" 'c d' e\\ f \"g\\\"h\" i\"j\"k", []string{"pip install a b c d e f g\"h ijk"}},
	{"ansi-c quoting", "echo $'a' $'b\\n'", []string{"echo a <dyn>"}},
	{"quoted name", "\"apt-get\" install x", []string{"apt-get install x"}},
	{"empty name", "'' install x", []string{}},
}

// envCases cover assignments and declarations.
var envCases = []parseCase{
	{"prefix env", "DEBIAN_FRONTEND=noninteractive apt-get install -y x", []string{"DEBIAN_FRONTEND=noninteractive apt-get install -y x"}},
	{"prefix env quoted", "A='1 2' B= pip install x", []string{"A=1 2 B= pip install x"}},
	{"prefix env dynamic dropped", "A=$HOME B=2 pip install x", []string{"B=2 pip install x"}},
	{"export", "export FOO=bar B", []string{"export FOO=bar B"}},
	{"export dynamic", "export PATH=$PATH:/x", []string{"export <dyn>"}},
	{"local in function", "f() { local x=1; }", []string{"local x=1"}},
	{"absolute path", "/usr/bin/apt-get install x", []string{"/usr/bin/apt-get install x"}},
	{"venv pip", "/opt/venv/bin/pip install x", []string{"/opt/venv/bin/pip install x"}},
	{"python -m pip", "python3 -m pip install x", []string{"python3 -m pip install x"}},
}

func TestParse(t *testing.T) {
	for _, group := range [][]parseCase{structureCases, textCases, envCases} {
		for _, tc := range group {
			t.Run(tc.name, func(t *testing.T) {
				cmds, err := Parse(tc.script)
				require.NoError(t, err)
				require.Equal(t, tc.want, summaries(cmds))
				checkOffsets(t, tc.script, cmds)
			})
		}
	}
}

// checkOffsets asserts the offset invariants every caller relies on.
func checkOffsets(t testing.TB, script string, cmds []Command) {
	t.Helper()
	for _, c := range cmds {
		if c.Nested {
			require.Equal(t, -1, c.Start, "%+v", c)
			require.Equal(t, -1, c.End, "%+v", c)
			require.Equal(t, -1, c.NameEnd, "%+v", c)
			for _, a := range c.Args {
				require.Equal(t, -1, a.Start, "%+v", c)
				require.Equal(t, -1, a.End, "%+v", c)
			}
			continue
		}
		require.True(t, 0 <= c.Start && c.Start < c.NameEnd && c.NameEnd <= c.End && c.End <= len(script), "%+v", c)
		prev := c.NameEnd
		for _, a := range c.Args {
			require.True(t, prev <= a.Start && a.Start < a.End && a.End <= c.End, "%+v", c)
			prev = a.End
		}
	}
}

func TestParseError(t *testing.T) {
	for _, script := range []string{"if then fi (", "echo 'unterminated", "a && ", "echo $((1+", "for do done", "cat <<EOF\nno end"} {
		t.Run(script, func(t *testing.T) {
			cmds, err := Parse(script)
			require.Error(t, err)
			require.Nil(t, cmds)
			var pe *ParseError
			require.True(t, errors.As(err, &pe), "%T", err)
			require.Positive(t, pe.Line)
			require.True(t, pe.Offset >= 0 && pe.Offset <= len(script))
			require.Contains(t, err.Error(), "cannot parse shell script")
		})
	}
}

func TestParseOffsets(t *testing.T) {
	script := "echo é; sudo -u app \"pip\" install --user 'a b' \\\n  $X # c"
	cmds, err := Parse(script)
	require.NoError(t, err)
	require.Len(t, cmds, 2)
	c := cmds[1]
	require.Equal(t, "sudo -u app \"pip\" install --user 'a b' \\\n  $X", script[c.Start:c.End])
	require.Equal(t, "\"pip\"", script[c.NameEnd-5:c.NameEnd])
	want := []string{"install", "--user", "'a b'", "$X"}
	for i, a := range c.Args {
		require.Equal(t, want[i], script[a.Start:a.End])
	}
	require.Equal(t, "pip", c.Base())
	require.Equal(t, []string{"install", "--user", "a b", ""}, c.Words())
}

func TestBase(t *testing.T) {
	require.Equal(t, "apt-get", Command{Name: "/usr/bin/apt-get"}.Base())
	require.Equal(t, "pip3.12", Command{Name: "pip3.12"}.Base())
	require.Equal(t, "pip", Command{Name: "./venv/bin/pip"}.Base())
}
