package shell

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// corepackCases cover corepack running a package manager, and its own
// commands, which run none.
var corepackCases = []parseCase{
	{"corepack yarn", "corepack yarn install --immutable", []string{"yarn install --immutable"}},
	{"corepack pnpm with a version", "corepack pnpm@9.15.0 i --frozen-lockfile", []string{"pnpm i --frozen-lockfile"}},
	{"corepack yarn@stable", "corepack yarn@stable", []string{"yarn"}},
	{"corepack yarnpkg", "corepack yarnpkg add left-pad", []string{"yarnpkg add left-pad"}},
	{"corepack npm and npx", "corepack npm ci && corepack npx@10 cowsay", []string{"npm ci", "npx cowsay"}},
	{"corepack pnpx", "corepack pnpx create-vite", []string{"pnpx create-vite"}},
	{"corepack enable", "corepack enable && yarn install", []string{"corepack enable", "yarn install"}},
	{"corepack prepare", "corepack prepare pnpm@9 --activate", []string{"corepack prepare pnpm@9 --activate"}},
	{"corepack use", "corepack use pnpm@9", []string{"corepack use pnpm@9"}},
	{"corepack alone", "corepack", []string{"corepack"}},
	{"corepack dynamic", "corepack \"$PM\" install", []string{"corepack <dyn> install"}},
	{"corepack unknown tool", "corepack bun install", []string{"corepack bun install"}},
	{"corepack behind wrappers", "sudo -u node env CI=1 corepack yarn install", []string{"user=node CI=1 yarn install"}},
	{"corepack in sh -c", "sh -c 'corepack pnpm install'", []string{"nested pnpm install"}},
}

func TestCorepack(t *testing.T) {
	for _, tc := range corepackCases {
		t.Run(tc.name, func(t *testing.T) {
			cmds, err := Parse(tc.script)
			require.NoError(t, err)
			require.Equal(t, tc.want, summaries(cmds))
			checkOffsets(t, tc.script, cmds)
		})
	}
}

// Arguments inserted after the program go after the version, which stays
// as written.
func TestCorepackNameEnd(t *testing.T) {
	script := "corepack pnpm@9.15.0 install"
	cmds, err := Parse(script)
	require.NoError(t, err)
	require.Len(t, cmds, 1)
	require.Equal(t, "pnpm", cmds[0].Name)
	require.Equal(t, "corepack pnpm@9.15.0", script[cmds[0].Start:cmds[0].NameEnd])
	require.Equal(t, 0, cmds[0].Start)
	require.Equal(t, len(script), cmds[0].End)
}

// An exec-form corepack step is read the same way.
func TestCorepackArgv(t *testing.T) {
	cmds, err := ParseArgs([]string{"corepack", "yarn@1.22.22", "install"})
	require.NoError(t, err)
	require.Equal(t, []string{"nested yarn install"}, summaries(cmds))
}
