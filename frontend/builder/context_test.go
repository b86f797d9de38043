package builder

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// `cachefront plan` reads tool settings from the build context on disk:
// the same Yarn step mounts Yarn 2+'s cache with the node-modules linker,
// not under Plug'n'Play, and not when the context is unknown.
func TestPlanReadsTheContextDir(t *testing.T) {
	t.Parallel()
	df := "FROM node:20\nWORKDIR /app\nCOPY . .\nRUN yarn install --immutable\n"
	write := func(files map[string]string) string {
		dir := t.TempDir()
		for name, content := range files {
			require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644))
		}
		return dir
	}
	pkg := `{"name":"app","packageManager":"yarn@4.5.0"}`
	cases := []struct {
		name   string
		dir    string
		mounts []string
		env    []string
		note   string
	}{
		{name: "node-modules linker", dir: write(map[string]string{"package.json": pkg, ".yarnrc.yml": "nodeLinker: node-modules\n"}),
			mounts: []string{"/run/cachefront/yarn-berry"}, env: []string{"YARN_GLOBAL_FOLDER"}},
		{name: "Plug'n'Play", dir: write(map[string]string{"package.json": pkg}),
			mounts: nil, env: []string{}, note: "Plug'n'Play"},
		// --immutable is Yarn 2+'s; without the context its linker is unknown.
		{name: "no context", mounts: nil, env: []string{}, note: "linker"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, err := MakePlan(context.Background(), []byte(df), PlanOpt{ContextDir: tc.dir})
			require.NoError(t, err)
			s := p.Steps[len(p.Steps)-1]
			require.Equal(t, []string{"yarn"}, s.Managers)
			require.Equal(t, tc.mounts, targets(s))
			require.Equal(t, tc.env, s.Env)
			if tc.note != "" {
				require.Contains(t, strings.Join(s.Notes, "\n"), tc.note)
			}
		})
	}
}

func TestDirContext(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "package.json"), []byte(`{}`), 0o644))
	require.NoError(t, os.Mkdir(filepath.Join(dir, "pnpm-workspace.yaml"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "bunfig.toml"), make([]byte, maxContextFile+1), 0o644))
	require.NoError(t, os.Symlink("package.json", filepath.Join(dir, ".yarnrc.yml")))
	read := dirContext(dir)

	dt, err := read("package.json")
	require.NoError(t, err)
	require.Equal(t, "{}", string(dt))
	_, err = read(".yarnrc.yml")
	require.ErrorIs(t, err, fs.ErrNotExist, "a symlink, which may point out of the context, is not followed")
	_, err = read("pnpm-workspace.yaml")
	require.ErrorIs(t, err, fs.ErrNotExist, "a directory is no file")
	require.NoError(t, os.Remove(filepath.Join(dir, "package.json")))
	_, err = read("package.json")
	require.ErrorIs(t, err, fs.ErrNotExist)
	_, err = read(".npmrc")
	require.Error(t, err)
	require.NotErrorIs(t, err, fs.ErrNotExist, ".npmrc is not read at all")
	_, err = read("bunfig.toml")
	require.Error(t, err)
	require.NotErrorIs(t, err, fs.ErrNotExist, "too large is unknown, not absent")
	_, err = read("../etc/passwd")
	require.Error(t, err)
	require.NotErrorIs(t, err, fs.ErrNotExist)
}

// A nil reader is an unknown context, not an empty one.
func TestContextFilesNil(t *testing.T) {
	t.Parallel()
	var f *contextFiles
	require.Nil(t, f.reader(context.Background()))
}
