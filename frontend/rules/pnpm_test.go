package rules

import "testing"

const (
	pnpmStoreID = "cachefront/pnpm-store/debian:bookworm/linux-amd64"
	pnpmCacheID = "cachefront/pnpm-cache/debian:bookworm/linux-amd64"
	rootStore   = "/root/.local/share/pnpm/store"
)

var (
	pnpmCacheMount = Mount{ID: pnpmCacheID, Sharing: Shared, Owner: "0"}
	pnpmCacheEnv   = map[string]string{"npm_config_cache_dir": pnpmCacheDir, "pnpm_config_cache_dir": pnpmCacheDir}
	pnpmRootMounts = map[string]Mount{
		rootStore:    {ID: pnpmStoreID, Sharing: Shared, Owner: "0"},
		pnpmCacheDir: pnpmCacheMount,
	}
	pnpmCacheOnly = map[string]Mount{pnpmCacheDir: pnpmCacheMount}
)

func TestPnpm(t *testing.T) {
	t.Parallel()
	runJSCases(t, pnpm{}, []jsCase{
		{
			name: "store-dir set by pnpm config, with the step's own mount", script: "pnpm config set store-dir /app/.pnpm-store && pnpm install",
			cacheMounts: []string{"/app/.pnpm-store"}, mounts: map[string]Mount{pnpmCacheDir: pnpmCacheMount}, env2: pnpmCacheEnv,
			note: "mounts its own pnpm store",
		},
		{
			name: "root: the store where pnpm puts it, the cache moved", script: "pnpm install --frozen-lockfile",
			mounts: pnpmRootMounts, env2: pnpmCacheEnv,
		},
		{
			name: "PNPM_HOME", script: "pnpm i --prod", env: map[string]string{"PNPM_HOME": "/pnpm"},
			mounts: map[string]Mount{"/pnpm/store": {ID: pnpmStoreID, Sharing: Shared, Owner: "0"}, pnpmCacheDir: pnpmCacheMount},
			env2:   pnpmCacheEnv,
		},
		{
			name: "XDG_DATA_HOME", script: "pnpm install", env: map[string]string{"XDG_DATA_HOME": "/data"},
			mounts: map[string]Mount{"/data/pnpm/store": {ID: pnpmStoreID, Sharing: Shared, Owner: "0"}, pnpmCacheDir: pnpmCacheMount},
			env2:   pnpmCacheEnv,
		},
		{
			// Mount points' missing parents are made by root: a user's
			// store moves out of its home instead.
			name: "another user: the store moves", script: "pnpm install", user: "node", env: map[string]string{"HOME": "/home/node"},
			mounts: map[string]Mount{
				pnpmStoreDir: {ID: pnpmStoreID, Sharing: Shared, Owner: "node"},
				pnpmCacheDir: {ID: pnpmCacheID, Sharing: Shared, Owner: "node"},
			},
			env2: map[string]string{"npm_config_store_dir": pnpmStoreDir, "pnpm_config_store_dir": pnpmStoreDir,
				"npm_config_cache_dir": pnpmCacheDir, "pnpm_config_cache_dir": pnpmCacheDir},
		},
		{
			name: "store-dir set by the image", script: "pnpm install", env: map[string]string{"NPM_CONFIG_STORE_DIR": "/store"},
			mounts: map[string]Mount{"/store": {ID: pnpmStoreID, Sharing: Shared, Owner: "0"}, pnpmCacheDir: pnpmCacheMount},
			env2:   pnpmCacheEnv,
		},
		{
			name: "--store-dir under ~", script: "pnpm install --store-dir '~/.pnpm-store'",
			mounts: map[string]Mount{"/root/.pnpm-store": {ID: pnpmStoreID, Sharing: Shared, Owner: "0"}, pnpmCacheDir: pnpmCacheMount},
			env2:   pnpmCacheEnv,
		},
		{
			name: "--store-dir from a variable", script: `pnpm install --store-dir "$STORE"`,
			mounts: pnpmCacheOnly, env2: pnpmCacheEnv, note: "run time only",
		},
		{
			name: "a relative --store-dir", script: "pnpm install --store-dir=.pnpm-store",
			mounts: pnpmCacheOnly, env2: pnpmCacheEnv, note: "relative to the project",
		},
		{
			name: "cache-dir set by the image", script: "pnpm install", env: map[string]string{"pnpm_config_cache_dir": "/pcache"},
			mounts: map[string]Mount{rootStore: {ID: pnpmStoreID, Sharing: Shared, Owner: "0"}, "/pcache": pnpmCacheMount},
			env2:   map[string]string{"npm_config_cache_dir": "/pcache"},
		},
		{
			name: "pnpm store prune is neutralised", script: "pnpm i && pnpm store prune",
			mounts: pnpmRootMounts, env2: pnpmCacheEnv, edited: "pnpm i && true",
		},
		{
			name: "pnpm cache delete is neutralised", script: "pnpm i; pnpm cache delete left-pad",
			mounts: pnpmRootMounts, env2: pnpmCacheEnv, edited: "pnpm i; true",
		},
		{name: "pnpm store prune alone", script: "pnpm store prune", idle: true},
		{name: "pnpm run", script: "pnpm run build && pnpm exec tsc", idle: true},
		{
			name: "pnpm fetch alone fills the image's store", script: "pnpm fetch --prod",
			note: "pnpm fetch fills the store",
		},
		{
			name: "--offline reads the image's store", script: "pnpm install -r --offline --prod",
			note: "--offline",
		},
		{
			name: "fetch and an offline install in one step", script: "pnpm fetch && pnpm install --offline",
			mounts: pnpmRootMounts, env2: pnpmCacheEnv,
		},
		{
			name: "global virtual store in pnpm-workspace.yaml", script: "pnpm install",
			files:  map[string]*string{"pnpm-workspace.yaml": str("packages:\n  - apps/*\nenableGlobalVirtualStore: true\n")},
			mounts: pnpmCacheOnly, env2: pnpmCacheEnv, note: "global virtual store",
		},
		{
			name: "virtualStoreType global", script: "pnpm install",
			files:  map[string]*string{"pnpm-workspace.yaml": str("virtualStoreType: global\n")},
			mounts: pnpmCacheOnly, env2: pnpmCacheEnv, note: "global virtual store",
		},
		{
			name: "global virtual store from the environment", script: "pnpm install", env: map[string]string{"pnpm_config_virtual_store_type": "global"},
			mounts: pnpmCacheOnly, env2: pnpmCacheEnv, note: "global virtual store",
		},
		{
			name: "global installs", script: "pnpm add -g typescript",
			mounts: pnpmCacheOnly, env2: pnpmCacheEnv, note: "global installs",
		},
		{
			name: "global installs with the virtual store off", script: "pnpm add -g typescript --virtual-store-type=project",
			mounts: pnpmRootMounts, env2: pnpmCacheEnv,
		},
		{
			name: "package-import-method clone", script: "pnpm install",
			files:  map[string]*string{"pnpm-workspace.yaml": str("packageImportMethod: clone\n")},
			mounts: pnpmCacheOnly, env2: pnpmCacheEnv, note: "clone",
		},
		{
			name: "package-import-method clone on the command line", script: "pnpm install --package-import-method=clone",
			mounts: pnpmCacheOnly, env2: pnpmCacheEnv, note: "clone",
		},
		{
			name: "project settings that keep the store a cache", script: "pnpm install",
			files:  map[string]*string{"pnpm-workspace.yaml": str("enableGlobalVirtualStore: false\npackageImportMethod: copy\n")},
			mounts: pnpmRootMounts, env2: pnpmCacheEnv,
		},
		{name: "pnpx", script: "pnpx create-vite app", mounts: pnpmRootMounts, env2: pnpmCacheEnv},
		{name: "pn and pnx", script: "pn i && pnx cowsay", mounts: pnpmRootMounts, env2: pnpmCacheEnv},
		{name: "npx pnpm", script: "npx -y pnpm@9.15.0 install --frozen-lockfile", mounts: pnpmRootMounts, env2: pnpmCacheEnv},
		{name: "corepack pnpm", script: "corepack enable && corepack pnpm@9 install", mounts: pnpmRootMounts, env2: pnpmCacheEnv},
		{name: "corepack use pnpm", script: "corepack use pnpm@9.15.0", mounts: pnpmRootMounts, env2: pnpmCacheEnv},
		{name: "options before the verb", script: "pnpm --filter web -C /app install", mounts: pnpmRootMounts, env2: pnpmCacheEnv},
		{
			name: "the step's own store", script: "pnpm install",
			cacheMounts: []string{rootStore}, mounts: pnpmCacheOnly, env2: pnpmCacheEnv, note: "mounts its own pnpm store",
		},
		{
			name: "the step's own cache", script: "pnpm install", env: map[string]string{"HOME": "/root"},
			cacheMounts: []string{"/root/.cache/pnpm"}, mounts: map[string]Mount{rootStore: {ID: pnpmStoreID, Sharing: Shared, Owner: "0"}},
			note: "mounts its own pnpm cache",
		},
	})
}
