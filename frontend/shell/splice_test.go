package shell

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// find returns the first command with the given base name.
func find(t *testing.T, cmds []Command, base string) Command {
	t.Helper()
	for _, c := range cmds {
		if c.Base() == base {
			return c
		}
	}
	t.Fatalf("no %s in %q", base, summaries(cmds))
	return Command{}
}

// spliced applies edits and checks the result still parses.
func spliced(t *testing.T, script string, edits ...Edit) string {
	t.Helper()
	out, err := Splice(script, edits)
	require.NoError(t, err)
	_, err = Parse(out)
	require.NoError(t, err, "spliced script does not parse:\n%s", out)
	return out
}

func TestSpliceReplaceArg(t *testing.T) {
	script := "set -eux; \\\n  sudo -H pip install --no-cache-dir \\\n    -r requirements.txt && echo ok"
	cmds, err := Parse(script)
	require.NoError(t, err)
	pip := find(t, cmds, "pip")
	var edits []Edit
	for i, a := range pip.Args {
		if a.Value == "--no-cache-dir" {
			// Up to the next word, so the continuation that follows goes too.
			edits = append(edits, Edit{Start: a.Start, End: pip.Args[i+1].Start})
		}
	}
	require.Len(t, edits, 1)
	require.Equal(t, "set -eux; \\\n  sudo -H pip install -r requirements.txt && echo ok", spliced(t, script, edits...))

	// Or replace the word alone.
	a := pip.Args[1]
	require.Equal(t, "set -eux; \\\n  sudo -H pip install --cache-dir=/root/.cache/pip \\\n    -r requirements.txt && echo ok",
		spliced(t, script, Edit{Start: a.Start, End: a.End, Text: "--cache-dir=/root/.cache/pip"}))
}

func TestSpliceQuotedArg(t *testing.T) {
	script := `npm ci "--cache" 'dir with space'`
	cmds, err := Parse(script)
	require.NoError(t, err)
	a := cmds[0].Args[2]
	require.Equal(t, "dir with space", a.Value)
	out := spliced(t, script, Edit{Start: a.Start, End: a.End, Text: Quote("/root/.npm it's")})
	require.Equal(t, `npm ci "--cache" "/root/.npm it's"`, out)
	cmds, err = Parse(out)
	require.NoError(t, err)
	require.Equal(t, "/root/.npm it's", cmds[0].Args[2].Value)
}

func TestSpliceDropCommand(t *testing.T) {
	script := "apt-get update && apt-get install -y curl \\\n  && rm -rf /var/lib/apt/lists/*; echo done"
	cmds, err := Parse(script)
	require.NoError(t, err)
	rm := find(t, cmds, "rm")
	out := spliced(t, script, Edit{Start: rm.Start, End: rm.End, Text: "true"})
	require.Equal(t, "apt-get update && apt-get install -y curl \\\n  && true; echo done", out)
}

func TestSpliceDropWrappedCommand(t *testing.T) {
	script := "A=1 sudo -u app env B=2 pip cache purge || true"
	cmds, err := Parse(script)
	require.NoError(t, err)
	pip := find(t, cmds, "pip")
	require.Equal(t, "true || true", spliced(t, script, Edit{Start: pip.Start, End: pip.End, Text: "true"}))
}

func TestSpliceInsertAfterName(t *testing.T) {
	script := "if true; then\n\tDEBIAN_FRONTEND=noninteractive apt-get install -y git; fi"
	cmds, err := Parse(script)
	require.NoError(t, err)
	apt := find(t, cmds, "apt-get")
	out := spliced(t, script, Edit{Start: apt.NameEnd, End: apt.NameEnd, Text: " -o " + Quote("APT::Keep-Downloaded-Packages=true")})
	require.Equal(t, "if true; then\n\tDEBIAN_FRONTEND=noninteractive apt-get -o 'APT::Keep-Downloaded-Packages=true' install -y git; fi", out)
	cmds, err = Parse(out)
	require.NoError(t, err)
	require.Equal(t, []string{"-o", "APT::Keep-Downloaded-Packages=true", "install", "-y", "git"}, find(t, cmds, "apt-get").Words())
}

func TestSpliceManyEdits(t *testing.T) {
	// Edits given out of order, in several commands, with multi-byte text
	// before them to catch rune offsets posing as byte offsets.
	script := "echo «début» && apt-get update && pip install --no-cache-dir x"
	cmds, err := Parse(script)
	require.NoError(t, err)
	apt, pip := find(t, cmds, "apt-get"), find(t, cmds, "pip")
	out := spliced(t, script,
		Edit{Start: pip.Args[1].Start - 1, End: pip.Args[1].End},
		Edit{Start: apt.NameEnd, End: apt.NameEnd, Text: " -o X=Y"},
		Edit{Start: pip.NameEnd, End: pip.NameEnd, Text: " --cache-dir /c"},
	)
	require.Equal(t, "echo «début» && apt-get -o X=Y update && pip --cache-dir /c install x", out)
}

func TestSplice(t *testing.T) {
	for _, tc := range []struct {
		name    string
		script  string
		edits   []Edit
		want    string
		wantErr string
	}{
		{"no edits", "a b c", nil, "a b c", ""},
		{"empty script", "", []Edit{{0, 0, "x"}}, "x", ""},
		{"insert at end", "a", []Edit{{1, 1, " b"}}, "a b", ""},
		{"same point keeps order", "ac", []Edit{{1, 1, "b"}, {1, 1, "B"}}, "abBc", ""},
		{"adjacent", "abc", []Edit{{1, 2, "X"}, {0, 1, "Y"}, {2, 3, "Z"}}, "YXZ", ""},
		{"insert before a replacement", "abc", []Edit{{1, 2, "X"}, {1, 1, "I"}}, "aIXc", ""},
		{"overlap", "abcdef", []Edit{{1, 4, "X"}, {3, 5, "Y"}}, "", "overlaps"},
		{"insert inside a replacement", "abcdef", []Edit{{1, 4, "X"}, {2, 2, "Y"}}, "", "overlaps"},
		{"same range twice", "abc", []Edit{{1, 2, "X"}, {1, 2, "Y"}}, "", "overlaps"},
		{"negative", "abc", []Edit{{-1, 1, "X"}}, "", "out of range"},
		{"past the end", "abc", []Edit{{2, 4, "X"}}, "", "out of range"},
		{"reversed", "abc", []Edit{{2, 1, "X"}}, "", "out of range"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Splice(tc.script, tc.edits)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestQuote(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"curl", "curl"},
		{"/root/.cache/pip", "/root/.cache/pip"},
		{"", "''"},
		{"a b", "'a b'"},
		{"it's", `"it's"`},
		{"$HOME", "'$HOME'"},
		{"X=Y", "'X=Y'"},
		{"*.whl", "'*.whl'"},
		{"a\x01b", "'a\x01b'"},
		{"a\x00b", "ab"},
	} {
		got := Quote(tc.in)
		require.Equal(t, tc.want, got, "%q", tc.in)
		cmds, err := Parse("echo " + got)
		require.NoError(t, err)
		require.Equal(t, []string{stripNUL(tc.in)}, cmds[0].Words(), "%q", tc.in)
	}
}

func stripNUL(s string) string {
	out := []byte{}
	for i := 0; i < len(s); i++ {
		if s[i] != 0 {
			out = append(out, s[i])
		}
	}
	return string(out)
}
