package rules

import "testing"

var (
	bunMount = map[string]Mount{bunCache: {ID: "cachefront/bun", Sharing: Locked, Owner: "0"}}
	bunEnv   = map[string]string{"BUN_INSTALL_CACHE_DIR": bunCache, "BUN_TMPDIR": bunCache + "/.tmp"}
)

func TestBun(t *testing.T) {
	t.Parallel()
	runJSCases(t, bun{}, []jsCase{
		{name: "bun install", script: "bun install --frozen-lockfile", mounts: bunMount, env2: bunEnv},
		{name: "bun ci and bun add", script: "bun ci && bun add -d typescript", mounts: bunMount, env2: bunEnv},
		{name: "bunx", script: "bunx cowsay hi", mounts: bunMount, env2: bunEnv},
		{name: "bun x through npx", script: "npx bun x prettier --check .", mounts: bunMount, env2: bunEnv},
		{name: "bun run downloads nothing", script: "bun run build && bun test", idle: true},
		{name: "bun pm cache rm alone", script: "bun pm cache rm", idle: true},
		{
			name: "bun pm cache rm is neutralised", script: "bun install && bun pm cache rm",
			mounts: bunMount, env2: bunEnv, edited: "bun install && true",
		},
		{
			name: "--no-cache is removed", script: "bun install --no-cache --production",
			mounts: bunMount, env2: bunEnv, edited: "bun install  --production",
		},
		{
			name: "as a user", script: "bun install", user: "bun",
			mounts: map[string]Mount{bunCache: {ID: "cachefront/bun", Sharing: Locked, Owner: "bun"}}, env2: bunEnv,
		},
		{
			name: "BUN_INSTALL_CACHE_DIR set by the image", script: "bun install", env: map[string]string{"BUN_INSTALL_CACHE_DIR": "/bun-cache"},
			mounts: map[string]Mount{"/bun-cache": {ID: "cachefront/bun", Sharing: Locked, Owner: "0"}},
			env2:   map[string]string{"BUN_TMPDIR": "/bun-cache/.tmp"},
		},
		{
			name: "--cache-dir", script: "bun install --cache-dir /tmp/bc",
			mounts: map[string]Mount{"/tmp/bc": {ID: "cachefront/bun", Sharing: Locked, Owner: "0"}},
			env2:   map[string]string{"BUN_TMPDIR": "/tmp/bc/.tmp"},
		},
		{
			name: "BUN_TMPDIR set by the image", script: "bun install", env: map[string]string{"BUN_TMPDIR": "/var/tmp"},
			mounts: bunMount, env2: map[string]string{"BUN_INSTALL_CACHE_DIR": bunCache},
		},
		{
			name: "the global store from the environment", script: "bun install", env: map[string]string{"BUN_INSTALL_GLOBAL_STORE": "1"},
			note: "global store",
		},
		{
			name: "the global store in bunfig.toml", script: "bun install --linker isolated",
			files: map[string]*string{"bunfig.toml": str("[install]\nlinker = \"isolated\"\nglobalStore = true\n")},
			note:  "global store",
		},
		{
			name: "bunfig.toml without the global store", script: "bun install",
			files:  map[string]*string{"bunfig.toml": str("[install]\nexact = true\n")},
			mounts: bunMount, env2: bunEnv,
		},
		{
			name: "--backend symlink", script: "bun install --backend symlink && bun pm cache rm",
			note: "--backend symlink",
		},
		{
			name: "the step's own cache", script: "bun install", env: map[string]string{"BUN_INSTALL": "/usr/local/bun"},
			cacheMounts: []string{"/usr/local/bun/install/cache"}, note: "mounts its own bun cache",
		},
	})
}
