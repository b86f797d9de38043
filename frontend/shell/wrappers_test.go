package shell

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// wrapperCases cover programs that run another program.
var wrapperCases = []parseCase{
	{"sudo", "sudo apt-get update", []string{"user=root apt-get update"}},
	{"sudo flags", "sudo -E -H -n -S apt-get update", []string{"user=root apt-get update"}},
	{"sudo -i", "sudo -i pip install x", []string{"user=root pip install x"}},
	{"sudo -u", "sudo -u app pip install --user x", []string{"user=app pip install --user x"}},
	{"sudo -u attached", "sudo -uapp pip install x", []string{"user=app pip install x"}},
	{"sudo cluster", "sudo -EHu app -- npm ci", []string{"user=app npm ci"}},
	{"sudo --user=", "sudo --user=app npm ci", []string{"user=app npm ci"}},
	{"sudo -g keeps user", "sudo -g docker docker ps", []string{"docker ps"}},
	{"sudo -u -g", "sudo -u app -g app yarn", []string{"user=app yarn"}},
	{"sudo dynamic user", "sudo -u \"$APP_USER\" yarn", []string{"user=\"$APP_USER\" yarn"}},
	{"sudo env", "sudo DEBIAN_FRONTEND=noninteractive apt-get install -y x", []string{"user=root DEBIAN_FRONTEND=noninteractive apt-get install -y x"}},
	{"sudo alone", "sudo -v", []string{"user=root sudo -v"}},
	{"env", "env A=1 B=2 pip install x", []string{"A=1 B=2 pip install x"}},
	{"env flags", "env -i -u X -C /src A=1 go build", []string{"A=1 go build"}},
	{"env -i clears", "A=1 env -i B=2 go build", []string{"B=2 go build"}},
	{"env -u unsets", "A=1 C=3 env -u A go build", []string{"C=3 go build"}},
	{"env overrides", "A=1 env A=2 go build", []string{"A=2 go build"}},
	{"env path", "/usr/bin/env python3 -m pip install x", []string{"python3 -m pip install x"}},
	{"env alone", "env", []string{"env"}},
	{"nice", "nice -n 10 make -j4", []string{"make -j4"}},
	{"nice old form", "nice -10 make", []string{"make"}},
	{"nice negative", "nice --10 make", []string{"make"}},
	{"ionice", "ionice -c 2 -n 7 cargo build", []string{"cargo build"}},
	{"ionice attached", "ionice -c3 cargo build", []string{"cargo build"}},
	{"ionice pid", "ionice -c 3 -p 1", []string{"ionice -c 3 -p 1"}},
	{"timeout", "timeout 300 pip install x", []string{"pip install x"}},
	{"timeout options", "timeout --signal=KILL -k 5 10m go mod download", []string{"go mod download"}},
	{"time external", "/usr/bin/time -v -o t.log make", []string{"make"}},
	{"time in wrapper", "sudo time -p make", []string{"user=root make"}},
	{"exec", "exec gradle build", []string{"gradle build"}},
	{"exec -a", "exec -a name java -jar x.jar", []string{"java -jar x.jar"}},
	{"exec redirects only", "exec >log 2>&1", []string{"exec"}},
	{"nohup", "nohup dockerd &", []string{"dockerd"}},
	{"command", "command pip install x", []string{"pip install x"}},
	{"command -p", "command -p apt-get update", []string{"apt-get update"}},
	{"command -v", "command -v pip && pip install x", []string{"pip install x"}},
	{"command -V", "command -V apt-get", []string{}},
	{"stdbuf", "stdbuf -oL -e L pip install x", []string{"pip install x"}},
	{"stdbuf long", "stdbuf --output=L -i 0 npm ci", []string{"npm ci"}},
	{"xargs", "cat reqs | xargs -r -n 1 -P4 pip install", []string{"cat reqs", "pip install"}},
	{"xargs -I", "ls | xargs -I{} go install {}", []string{"ls", "go install {}"}},
	{"xargs -0 --max-args", "find . -print0 | xargs -0 --max-args 2 -- gofmt -l", []string{"find . -print0", "gofmt -l"}},
	{"xargs alone", "xargs", []string{"xargs"}},
	{"gosu", "gosu app pip install --user x", []string{"user=app pip install --user x"}},
	{"gosu group", "gosu app:app npm ci", []string{"user=app npm ci"}},
	{"su-exec", "su-exec nobody:nogroup yarn install", []string{"user=nobody yarn install"}},
	{"runuser", "runuser -u app -- pip install x", []string{"user=app pip install x"}},
	{"runuser no dashes", "runuser -u app pip install x", []string{"user=app pip install x"}},
	{"runuser su form", "runuser -l app -c 'npm ci'", []string{"nested user=app npm ci"}},
	{"chained wrappers", "sudo -u app env A=1 nice timeout 60 pip install x", []string{"user=app A=1 pip install x"}},
	{"innermost user wins", "sudo -u a gosu b go build", []string{"user=b go build"}},
	{"chroot is a command", "chroot /target apt-get update", []string{"chroot /target apt-get update"}},
	{"xx tools are not wrappers", "xx-apt-get install -y gcc && xx-apk add musl-dev && xx-cargo build && xx-go build",
		[]string{"xx-apt-get install -y gcc", "xx-apk add musl-dev", "xx-cargo build", "xx-go build"}},
	{"dynamic after wrapper", "sudo $PM install x", []string{}},
}

// nestedCases cover scripts run by inner shells.
var nestedCases = []parseCase{
	{"sh -c", "sh -c 'apt-get update && apt-get install -y x'", []string{"nested apt-get update", "nested apt-get install -y x"}},
	{"bash -c double quotes", "bash -c \"pip install \\\"a b\\\" $PKG\"", []string{"nested pip install a b <dyn>"}},
	{"bash -lc path", "/bin/bash -lc 'npm ci'", []string{"nested npm ci"}},
	{"bash -euxo pipefail -c", "bash -euxo pipefail -c 'go mod download'", []string{"nested go mod download"}},
	{"bash -c with more args", "bash -c 'pip install \"$@\"' bash a b", []string{"nested pip install <dyn>"}},
	{"options after -c", "sh -c -e 'yarn'", []string{"nested yarn"}},
	{"outer substitution in -c string", "sh -c \"echo $(go env GOPATH)\"", []string{"nested echo <dyn>", "go env GOPATH"}},
	{"dynamic -c string", "sh -c \"$CMD\"", []string{"sh -c <dyn>"}},
	{"bad -c string", "sh -c 'if then'", []string{"sh -c if then"}},
	{"script file", "bash ./install.sh --prefix /usr", []string{"bash ./install.sh --prefix /usr"}},
	{"env into shell", "DEBIAN_FRONTEND=noninteractive sudo sh -c 'apt-get install -y x'", []string{"nested user=root DEBIAN_FRONTEND=noninteractive apt-get install -y x"}},
	{"shell in shell", "sh -c \"bash -c 'pip install x'\"", []string{"nested pip install x"}},
	{"su -c", "su app -c 'pip install --user x'", []string{"nested user=app pip install --user x"}},
	{"su - U -c", "su - app -c 'npm ci'", []string{"nested user=app npm ci"}},
	{"su -c U", "su -c 'npm ci' app", []string{"nested user=app npm ci"}},
	{"su -c root", "su -c 'apk add x'", []string{"nested user=root apk add x"}},
	{"su --command=", "su --login app --command='yarn install'", []string{"nested user=app yarn install"}},
	{"su without -c", "su app", []string{"user=app su app"}},
	{"eval", "eval \"go mod download\"", []string{"nested go mod download"}},
	{"eval words", "eval pip install x", []string{"nested pip install x"}},
	{"eval dynamic", "eval \"$(ssh-agent -s)\"", []string{"eval <dyn>", "ssh-agent -s"}},
	{"heredoc to bash", "bash <<EOF\napt-get update\napt-get install -y x\nEOF", []string{"nested apt-get update", "nested apt-get install -y x"}},
	{"heredoc to sh -s", "sh -s <<'EOF'\npip install \"$X\"\nEOF", []string{"nested pip install <dyn>"}},
	{"heredoc with dash", "bash <<-EOF\n\tnpm ci\n\tEOF", []string{"nested npm ci"}},
	{"heredoc expansion", "bash <<EOF\npip install $PKG \\$HOME\nEOF", []string{"nested pip install <dyn> <dyn>"}},
	{"heredoc substitution runs outside", "bash <<EOF\necho $(go env GOPATH)\nEOF", []string{"nested echo <dyn>", "go env GOPATH"}},
	{"here-string", "bash <<< 'yarn install'", []string{"nested yarn install"}},
	{"heredoc to sudo bash", "sudo -u app bash <<'EOF'\npip install x\nEOF", []string{"nested user=app pip install x"}},
	{"heredoc to bash -c is data", "bash -c 'npm ci' <<EOF\npip install x\nEOF", []string{"nested npm ci"}},
	{"stdin from file", "bash < script.sh", []string{"bash"}},
	{"heredoc then file", "bash <<EOF < f\npip install x\nEOF", []string{"bash"}},
	{"order", "a; sh -c 'b; c'; d", []string{"a", "nested b", "nested c", "d"}},
}

func TestWrappers(t *testing.T) {
	for _, group := range [][]parseCase{wrapperCases, nestedCases} {
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

func TestWrapperOffsets(t *testing.T) {
	script := "X=1 sudo -u app env A=2 pip install x"
	cmds, err := Parse(script)
	require.NoError(t, err)
	require.Len(t, cmds, 1)
	c := cmds[0]
	// The whole command, prefixes and wrappers included.
	require.Equal(t, script, script[c.Start:c.End])
	require.Equal(t, "X=1 sudo -u app env A=2 pip", script[:c.NameEnd])
	require.Equal(t, []string{"X=1", "A=2"}, c.Env)
}

func TestNestedDepth(t *testing.T) {
	script := "pip install x"
	for range maxDepth + 2 {
		script = "sh -c " + Quote(script)
	}
	cmds, err := Parse(script)
	require.NoError(t, err)
	require.Len(t, cmds, 1)
	require.Equal(t, "sh", cmds[0].Name, "too deep: the innermost shell readable is reported")
	require.True(t, cmds[0].Nested)
}

func TestParseArgs(t *testing.T) {
	for _, tc := range []struct {
		name string
		argv []string
		want []string
	}{
		{"plain", []string{"apt-get", "install", "-y", "curl"}, []string{"nested apt-get install -y curl"}},
		{"no expansion in argv", []string{"pip", "install", "$X", "~/x"}, []string{"nested pip install $X ~/x"}},
		{"argv0 is not an assignment", []string{"A=1", "pip"}, []string{"nested A=1 pip"}},
		{"wrapped", []string{"sudo", "-u", "app", "env", "A=1", "npm", "ci"}, []string{"nested user=app A=1 npm ci"}},
		{"wrapped shell", []string{"gosu", "app", "sh", "-c", "npm ci"}, []string{"nested user=app npm ci"}},
		{"sh -c", []string{"sh", "-c", "apt-get update && apt-get install -y x"}, []string{"apt-get update", "apt-get install -y x"}},
		{"sh -ec", []string{"/bin/sh", "-ec", "pip install x"}, []string{"pip install x"}},
		{"bash -lc", []string{"/usr/bin/bash", "-lc", "npm ci"}, []string{"npm ci"}},
		{"bash -xc", []string{"bash", "-xc", "yarn"}, []string{"yarn"}},
		{"bash -o pipefail -c", []string{"bash", "-o", "pipefail", "-c", "go build"}, []string{"go build"}},
		{"nested inside argv script", []string{"sh", "-c", "su app -c 'pip install x'"}, []string{"nested user=app pip install x"}},
		{"script file", []string{"sh", "install.sh"}, []string{"nested sh install.sh"}},
		{"command -v", []string{"command", "-v", "pip"}, []string{}},
		{"empty", nil, []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmds, err := ParseArgs(tc.argv)
			require.NoError(t, err)
			require.Equal(t, tc.want, summaries(cmds))
			if i, ok := ShellScript(tc.argv); ok {
				checkOffsets(t, tc.argv[i], cmds)
				return
			}
			for _, c := range cmds {
				require.Equal(t, -1, c.Start)
				require.Equal(t, -1, c.NameEnd)
			}
		})
	}
}

func TestParseArgsOffsets(t *testing.T) {
	argv := []string{"bash", "-o", "pipefail", "-c", "apt-get update && apt-get install -y x"}
	i, ok := ShellScript(argv)
	require.True(t, ok)
	require.Equal(t, 4, i)
	cmds, err := ParseArgs(argv)
	require.NoError(t, err)
	require.Len(t, cmds, 2)
	require.False(t, cmds[1].Nested)
	require.Equal(t, "apt-get install -y x", argv[i][cmds[1].Start:cmds[1].End])
}

func TestParseArgsError(t *testing.T) {
	_, err := ParseArgs([]string{"sh", "-c", "if then fi ("})
	var pe *ParseError
	require.ErrorAs(t, err, &pe)
}

func TestShellScript(t *testing.T) {
	for _, tc := range []struct {
		argv []string
		want int
	}{
		{[]string{"sh", "-c", "x"}, 2},
		{[]string{"/bin/bash", "-euxo", "pipefail", "-c", "x"}, 4},
		{[]string{"dash", "-e", "-c", "x", "arg0"}, 3},
		{[]string{"zsh", "-c", "--", "x"}, 3},
		{[]string{"ash", "+x", "-c", "x"}, 3},
		{[]string{"sh"}, -1},
		{[]string{"sh", "-c"}, -1},
		{[]string{"sh", "x.sh"}, -1},
		{[]string{"sh", "-s", "-c"}, -1},
		{[]string{"sudo", "sh", "-c", "x"}, -1},
		{[]string{"python3", "-c", "x"}, -1},
		{[]string{"/usr/local/bin/_dockerfile_shell.sh", "micromamba install -y x"}, 1},
		{[]string{"/usr/local/bin/_dockerfile_shell.sh", "a", "b"}, -1},
		{nil, -1},
	} {
		i, ok := ShellScript(tc.argv)
		if tc.want < 0 {
			require.False(t, ok, "%q", tc.argv)
			continue
		}
		require.True(t, ok, "%q", tc.argv)
		require.Equal(t, tc.want, i, "%q", tc.argv)
	}
}
