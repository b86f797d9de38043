package rules

import (
	"errors"
	"io/fs"
	"testing"

	"github.com/cachefront/cachefront/frontend/shell"
	"github.com/stretchr/testify/require"
)

// jsCase is one table case of the JavaScript rules.
type jsCase struct {
	name   string
	script string
	env    map[string]string
	user   string
	// files are the build context's files; nil means the context is
	// unknown. A nil value is a file that can't be read.
	files       map[string]*string
	cacheMounts []string         // the step's own cache mounts
	idle        bool             // the step does not run the manager
	mounts      map[string]Mount // by target; ID, Sharing and Owner checked
	env2        map[string]string
	files2      map[string]string // transient files by target
	edited      string            // the script after the plan's edits; "" for unchanged
	note        string            // a note that must be there
}

func str(s string) *string { return &s }

// contextOf serves files as a build context.
func contextOf(files map[string]*string) func(string) ([]byte, error) {
	if files == nil {
		return nil
	}
	return func(name string) ([]byte, error) {
		v, ok := files[name]
		switch {
		case !ok:
			return nil, fs.ErrNotExist
		case v == nil:
			return nil, errors.New("unreadable")
		}
		return []byte(*v), nil
	}
}

func runJSCases(t *testing.T, rule Rule, cases []jsCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := step(t, tc.script, tc.env, tc.user)
			s.ContextFile = contextOf(tc.files)
			s.CacheMounts = tc.cacheMounts
			p := checkedRun(t, s, []Rule{rule}, nil)
			want := []string{rule.Name()}
			if tc.idle {
				want = nil
			}
			require.Equal(t, want, p.Managers)
			require.Len(t, p.Mounts, len(tc.mounts), "mounts: %+v, notes: %v", p.Mounts, p.Notes)
			for _, m := range p.Mounts {
				w, ok := tc.mounts[m.Target]
				require.True(t, ok, "unexpected mount %s", m.Target)
				require.Equal(t, w.ID, m.ID)
				require.Equal(t, w.Sharing, m.Sharing)
				require.Equal(t, w.Owner, m.Owner)
			}
			env2 := tc.env2
			if env2 == nil {
				env2 = map[string]string{}
			}
			require.Equal(t, env2, p.Env)
			files := map[string]string{}
			for _, f := range p.Files {
				files[f.Target] = f.Content
			}
			files2 := tc.files2
			if files2 == nil {
				files2 = map[string]string{}
			}
			require.Equal(t, files2, files)
			got, err := shell.Splice(tc.script, p.Edits)
			require.NoError(t, err)
			edited := tc.edited
			if edited == "" {
				edited = tc.script
			}
			require.Equal(t, edited, got)
			if tc.note != "" {
				require.Contains(t, joinNotes(p.Notes), tc.note)
			}
		})
	}
}

func joinNotes(notes []string) string {
	out := ""
	for _, n := range notes {
		out += n + "\n"
	}
	return out
}

func TestJSTool(t *testing.T) {
	t.Parallel()
	for script, want := range map[string]string{
		"pnpm install":                   "pnpm install",
		"/usr/local/bin/pn i":            "pnpm i",
		"yarnpkg add x":                  "yarn add x",
		"npx -y pnpm@9.15.0 install":     "pnpm install",
		"npx --yes yarn@1.22.22 install": "yarn install",
		"npx bun install":                "bun install",
		"pnx create-vite":                "pnpx create-vite",
		"npx -p pnpm pnpm install":       "",
		"npx cowsay hi":                  "",
		"npx $TOOL install":              "",
		"npm install":                    "",
	} {
		cmds, err := shell.Parse(script)
		require.NoError(t, err)
		tool, args, ok := jsTool(cmds[0])
		got := ""
		if ok {
			got = tool
			for _, a := range args {
				got += " " + a.Value
			}
		}
		require.Equal(t, want, got, script)
	}
}

func TestJSOperandAndFlags(t *testing.T) {
	t.Parallel()
	args := func(script string) []shell.Arg {
		cmds, err := shell.Parse(script)
		require.NoError(t, err)
		return cmds[0].Args
	}
	i, ok := jsOperand(args("x --cwd /app --frozen-lockfile install --pure"), []string{"--cwd"})
	require.True(t, ok)
	require.Equal(t, 3, i)
	i, ok = jsOperand(args("x --frozen-lockfile"), nil)
	require.True(t, ok)
	require.Equal(t, -1, i)
	_, ok = jsOperand(args("x $VERB"), nil)
	require.False(t, ok)
	i, ok = jsOperand(args("x -- install"), nil)
	require.True(t, ok)
	require.Equal(t, 1, i)

	a := args("x --store-dir /a --store-dir=/b --cache-dir $X")
	v, ok := jsFlagValue(a, "--store-dir")
	require.True(t, ok)
	require.Equal(t, "/b", v)
	_, ok = jsFlagValue(a, "--cache-dir")
	require.False(t, ok)
	require.True(t, jsHasFlag(a, "--store-dir"))
	require.False(t, jsHasFlag(a, "--offline"))
}

func TestPinnedMajor(t *testing.T) {
	t.Parallel()
	for spec, want := range map[string]int{
		"yarn@4.5.0+sha512.abc": 4, "yarn@1.22.22": 1, "yarn@3": 3, "pnpm@9.1.0": -1, "yarn@stable": -1, "yarn": -1, "": -1,
	} {
		m, ok := pinnedMajor(spec, "yarn")
		if want < 0 {
			require.False(t, ok, spec)
			continue
		}
		require.True(t, ok, spec)
		require.Equal(t, want, m, spec)
	}
}

func TestContextFileStates(t *testing.T) {
	t.Parallel()
	s := &Step{}
	_, f := s.contextFile("package.json")
	require.Equal(t, ctxUnknown, f)
	s.ContextFile = contextOf(map[string]*string{"package.json": str(`{"packageManager":"yarn@4.1.0","installConfig":{"pnp":true}}`), "pnpm-workspace.yaml": nil, ".yarnrc.yml": str("nodeLinker: [")})
	pj, f := s.packageJSON()
	require.Equal(t, ctxPresent, f)
	require.Equal(t, "yarn@4.1.0", pj.PackageManager)
	require.True(t, pj.InstallConfig.PnP)
	_, f = s.contextFile("pnpm-workspace.yaml")
	require.Equal(t, ctxUnknown, f, "a file that can't be read is unknown")
	_, f = s.contextYAML(".yarnrc.yml")
	require.Equal(t, ctxUnknown, f, "YAML that does not parse is unknown")
	_, f = s.contextFile("bunfig.toml")
	require.Equal(t, ctxAbsent, f)
}

func TestYAMLString(t *testing.T) {
	t.Parallel()
	m := map[string]any{"a": "node-modules", "b": true, "c": "${LINKER:-pnp}", "d": 3}
	for key, want := range map[string]string{"a": "node-modules", "b": "true", "c": "?", "d": "?"} {
		v, ok := yamlString(m, key)
		require.True(t, ok)
		require.Equal(t, want, v, key)
	}
	_, ok := yamlString(m, "e")
	require.False(t, ok)
}
