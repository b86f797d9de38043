package rules

import "testing"

var (
	yarnClassicMount = map[string]Mount{yarnCache: {ID: "cachefront/yarn", Sharing: Locked, Owner: "0"}}
	yarnRCFile       = map[string]string{yarnRC: "--cache-folder \"/run/cachefront/yarn\"\n"}
	yarnBerryMount   = map[string]Mount{yarnBerryFolder: {ID: "cachefront/yarn-berry", Sharing: Shared, Owner: "0"}}
	yarnBerryEnv     = map[string]string{"YARN_GLOBAL_FOLDER": yarnBerryFolder}
	yarn4            = str(`{"name":"app","packageManager":"yarn@4.5.0+sha512.abc"}`)
	nodeModules      = str("nodeLinker: node-modules\n")
)

func TestYarnClassic(t *testing.T) {
	t.Parallel()
	runJSCases(t, yarn{}, []jsCase{
		{
			name: "bare yarn, context unknown", script: "yarn --frozen-lockfile",
			mounts: yarnClassicMount, files2: yarnRCFile, note: "build context is unknown",
		},
		{
			name: "yarn cache clean is neutralised", script: "yarn install && yarn cache clean",
			files:  map[string]*string{"package.json": str(`{"name":"app"}`)},
			mounts: yarnClassicMount, files2: yarnRCFile, edited: "yarn install && true",
		},
		{name: "yarn --version downloads nothing", script: "yarn --version && yarn build", idle: true},
		{name: "yarn cache clean alone is left alone", script: "yarn cache clean", idle: true},
		{
			name: "yarn global add through gosu", script: "gosu node yarn global add typescript",
			mounts: map[string]Mount{yarnCache: {ID: "cachefront/yarn", Sharing: Locked, Owner: "node"}}, files2: yarnRCFile,
		},
		{
			name: "--cache-folder on the command line", script: "yarn install --cache-folder /tmp/yc",
			mounts: map[string]Mount{"/tmp/yc": {ID: "cachefront/yarn", Sharing: Locked, Owner: "0"}},
		},
		{
			name: "YARN_CACHE_FOLDER with Yarn 1 pinned", script: "yarn install", env: map[string]string{"YARN_CACHE_FOLDER": "/cache/yarn"},
			files:  map[string]*string{"package.json": str(`{"packageManager":"yarn@1.22.22"}`)},
			mounts: map[string]Mount{"/cache/yarn": {ID: "cachefront/yarn", Sharing: Locked, Owner: "0"}},
		},
		{
			// Yarn 2+ would read YARN_CACHE_FOLDER too, so it is not
			// mounted unless Yarn 1 is known; the rc file moves Yarn 1 alone.
			name: "YARN_CACHE_FOLDER with an unknown Yarn", script: "yarn install", env: map[string]string{"YARN_CACHE_FOLDER": "/cache/yarn"},
			files:  map[string]*string{"package.json": str(`{"name":"app"}`)},
			mounts: yarnClassicMount, files2: yarnRCFile,
		},
		{
			name: "--no-default-rc gets the flag", script: "yarn --no-default-rc install",
			files:  map[string]*string{},
			mounts: yarnClassicMount, files2: yarnRCFile, edited: "yarn --cache-folder /run/cachefront/yarn --no-default-rc install",
		},
		{
			name: "npx yarn with --no-default-rc", script: "npx yarn@1.22.22 --no-default-rc install",
			files:  map[string]*string{},
			mounts: yarnClassicMount, files2: yarnRCFile, edited: "npx yarn@1.22.22 --cache-folder /run/cachefront/yarn --no-default-rc install",
		},
		{
			name: "--pnp", script: "yarn install --pnp", files: map[string]*string{},
			note: "Plug'n'Play",
		},
		{
			name: "installConfig.pnp", script: "yarn", files: map[string]*string{"package.json": str(`{"installConfig":{"pnp":true}}`)},
			note: "Plug'n'Play",
		},
		{
			name: "--offline reads the image's cache", script: "yarn install --offline --production", files: map[string]*string{},
			note: "--offline",
		},
		{
			name: "the step's own cache mount", script: "yarn install", files: map[string]*string{},
			cacheMounts: []string{"/usr/local/share/.cache/yarn"}, note: "mounts its own yarn cache",
		},
		{
			name: "corepack yarn", script: "corepack enable && corepack yarn install", files: map[string]*string{},
			mounts: yarnClassicMount, files2: yarnRCFile,
		},
		{
			name: "corepack use yarn@1", script: "corepack use yarn@1.22.22", files: map[string]*string{},
			mounts: yarnClassicMount, files2: yarnRCFile,
		},
		{
			name: "yarn workspace NAME add", script: "yarn workspace web add react", files: map[string]*string{},
			mounts: yarnClassicMount, files2: yarnRCFile,
		},
		{
			name: "yarn workspace NAME run", script: "yarn workspace web run build", files: map[string]*string{}, idle: true,
		},
		{
			name: "Yarn 1 pinned beats a .yarnrc.yml", script: "yarn install",
			files:  map[string]*string{"package.json": str(`{"packageManager":"yarn@1.22.22"}`), ".yarnrc.yml": str("nodeLinker: pnp\n")},
			mounts: yarnClassicMount, files2: yarnRCFile,
		},
		{
			name: "yarn global, which Yarn 2+ lacks, beats a .yarnrc.yml", script: "yarn global add typescript",
			files:  map[string]*string{".yarnrc.yml": nodeModules},
			mounts: yarnClassicMount, files2: yarnRCFile,
		},
		{
			name: "yarn set version classic", script: "yarn set version classic && yarn install",
			files:  map[string]*string{".yarnrc.yml": str("")},
			mounts: yarnClassicMount, files2: yarnRCFile,
		},
	})
}

func TestYarnBerry(t *testing.T) {
	t.Parallel()
	runJSCases(t, yarn{}, []jsCase{
		{
			// --immutable is Yarn 2+'s: without the context, the linker is
			// unknown and the cache may be a store.
			name: "--immutable without the context", script: "yarn install --immutable && yarn cache clean",
			note: "linker",
		},
		{
			name: "node-modules linker in .yarnrc.yml", script: "yarn install --immutable",
			files:  map[string]*string{"package.json": yarn4, ".yarnrc.yml": nodeModules},
			mounts: yarnBerryMount, env2: yarnBerryEnv,
		},
		{
			name: "pnpm linker", script: "yarn",
			files:  map[string]*string{".yarnrc.yml": str("nodeLinker: \"pnpm\"\nenableTelemetry: false\n")},
			mounts: yarnBerryMount, env2: yarnBerryEnv,
		},
		{
			name: "Plug'n'Play by default", script: "yarn install",
			files: map[string]*string{"package.json": yarn4},
			note:  "Plug'n'Play loads packages",
		},
		{
			name: "Plug'n'Play with the global cache off mirrors only", script: "yarn install",
			files:  map[string]*string{".yarnrc.yml": str("enableGlobalCache: false\n")},
			mounts: yarnBerryMount, env2: yarnBerryEnv,
		},
		{
			name: "Yarn 3 has the global cache off by default", script: "yarn install",
			files:  map[string]*string{"package.json": str(`{"packageManager":"yarn@3.6.4"}`)},
			mounts: yarnBerryMount, env2: yarnBerryEnv,
		},
		{
			name: "YARN_NODE_LINKER on the command line", script: "YARN_NODE_LINKER=node-modules yarn install",
			mounts: yarnBerryMount, env2: yarnBerryEnv,
		},
		{
			name: "the environment beats .yarnrc.yml", script: "yarn install", env: map[string]string{"YARN_NODE_LINKER": "pnp"},
			files: map[string]*string{".yarnrc.yml": nodeModules},
			note:  "Plug'n'Play",
		},
		{
			name: "yarn config set nodeLinker", script: "yarn config set nodeLinker node-modules && yarn install",
			files:  map[string]*string{"package.json": yarn4},
			mounts: yarnBerryMount, env2: yarnBerryEnv,
		},
		{
			name: "yarn set version stable then PnP", script: "yarn set version stable && yarn install",
			files: map[string]*string{},
			note:  "Plug'n'Play",
		},
		{
			name: "a linker known at run time only", script: "yarn install",
			files: map[string]*string{".yarnrc.yml": str("nodeLinker: \"${LINKER}\"\n")},
			note:  "linker is unknown",
		},
		{
			name: "context unknown", script: "yarn set version berry && yarn install",
			note: "linker is unknown",
		},
		{
			name: "an unreadable .yarnrc.yml", script: "yarn install",
			files: map[string]*string{"package.json": yarn4, ".yarnrc.yml": nil},
			note:  "linker is unknown",
		},
		{
			name: "yarn dlx alone", script: "yarn dlx create-vite app",
			files:  map[string]*string{"package.json": yarn4},
			mounts: yarnBerryMount, env2: yarnBerryEnv,
		},
		{
			name: "offline mode", script: "yarn install", env: map[string]string{"YARN_ENABLE_OFFLINE_MODE": "1"},
			files: map[string]*string{".yarnrc.yml": nodeModules},
			note:  "offline mode",
		},
		{
			name: "YARN_GLOBAL_FOLDER set by the image", script: "yarn install", env: map[string]string{"YARN_GLOBAL_FOLDER": "/yarn-global"},
			files:  map[string]*string{".yarnrc.yml": nodeModules},
			mounts: map[string]Mount{"/yarn-global": {ID: "cachefront/yarn-berry", Sharing: Shared, Owner: "0"}},
		},
		{
			name: "yarn cache clean --all is neutralised", script: "yarn install && yarn cache clean --all",
			files:  map[string]*string{".yarnrc.yml": nodeModules},
			mounts: yarnBerryMount, env2: yarnBerryEnv, edited: "yarn install && true",
		},
		{
			name: "yarn cache clean under PnP stays", script: "yarn install && yarn cache clean",
			files: map[string]*string{".yarnrc.yml": str("")},
			note:  "Plug'n'Play",
		},
		{
			name: "workspaces focus", script: "yarn workspaces focus --production",
			files:  map[string]*string{".yarnrc.yml": nodeModules},
			mounts: yarnBerryMount, env2: yarnBerryEnv,
		},
		{
			name: "corepack use yarn@4 as a user", script: "corepack use yarn@4.5.0", user: "node",
			files:  map[string]*string{".yarnrc.yml": nodeModules},
			mounts: map[string]Mount{yarnBerryFolder: {ID: "cachefront/yarn-berry", Sharing: Shared, Owner: "node"}}, env2: yarnBerryEnv,
		},
		{
			name: "the step's own berry cache", script: "yarn install", env: map[string]string{"HOME": "/root"},
			files:       map[string]*string{".yarnrc.yml": nodeModules},
			cacheMounts: []string{"/root/.yarn/berry/cache"}, note: "mounts its own yarn cache",
		},
	})
}
