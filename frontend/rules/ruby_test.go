package rules

import (
	"strings"
	"testing"

	"github.com/cachefront/cachefront/frontend/shell"
	"github.com/stretchr/testify/require"
)

// rubyImage is the environment of the official Ruby image.
var rubyImage = map[string]string{
	"GEM_HOME": "/usr/local/bundle", "BUNDLE_APP_CONFIG": "/usr/local/bundle",
	"BUNDLE_SILENCE_ROOT_WARNING": "1", "RUBY_VERSION": "3.4.9",
}

// railsImage adds what the Rails application template sets.
var railsImage = map[string]string{
	"GEM_HOME": "/usr/local/bundle", "BUNDLE_APP_CONFIG": "/usr/local/bundle", "RUBY_VERSION": "3.4.9",
	"BUNDLE_PATH": "/usr/local/bundle", "BUNDLE_DEPLOYMENT": "1", "BUNDLE_WITHOUT": "development",
}

// userID is the id of manager's cache for owner.
func userID(manager, owner string) string {
	if owner == "0" {
		return "cachefront/" + manager
	}
	return "cachefront/" + manager + "/user-" + owner
}

func gemMount(target, owner string) map[string]Mount {
	return map[string]Mount{target: {ID: userID("gem", owner), Sharing: Locked, Owner: owner}}
}

func gemAndBundler(gemCache, owner string) map[string]Mount {
	m := gemMount(gemCache, owner)
	m["/run/cachefront/bundler"] = Mount{ID: userID("bundler", owner), Sharing: Locked, Owner: owner}
	return m
}

var bundlerEnv = map[string]string{"BUNDLE_USER_CACHE": "/run/cachefront/bundler"}

func TestGem(t *testing.T) {
	t.Parallel()
	railsCleanup := `bundle install && rm -rf ~/.bundle/ "${BUNDLE_PATH}"/ruby/*/cache "${BUNDLE_PATH}"/ruby/*/bundler/gems/*/.git`
	runCompiled(t, []compiledCase{
		{name: "bundle -v and gem --version download nothing", script: "gem --version; bundle -v && bundle --help", env: rubyImage},
		{
			name: "bundle install in the ruby image", script: "bundle config set --local without development && bundle install --jobs 4", env: rubyImage,
			managers: []string{"gem"}, mounts: gemAndBundler("/usr/local/bundle/cache", "0"), env2: bundlerEnv,
		},
		{
			name: "a non-root user in the ruby image's world-writable GEM_HOME", script: "bundle install", env: rubyImage, user: "app",
			managers: []string{"gem"}, mounts: gemAndBundler("/usr/local/bundle/cache", "app"), env2: bundlerEnv,
		},
		{
			name: "a non-root user's own GEM_HOME is not mounted into", script: "gem install bundler && bundle install", user: "app",
			env:      map[string]string{"GEM_HOME": "/home/app/gems"},
			managers: []string{"gem"}, mounts: map[string]Mount{"/run/cachefront/bundler": {ID: "cachefront/bundler/user-app", Sharing: Locked, Owner: "app"}},
			env2: bundlerEnv, note: "root-owned directories",
		},
		{
			name: "the Rails template's BUNDLE_PATH and cleanup", script: railsCleanup, env: railsImage,
			managers: []string{"gem"}, mounts: gemAndBundler("/usr/local/bundle/ruby/3.4.0/cache", "0"), env2: bundlerEnv,
			edited:  "bundle install && " + spared(railsCleanup, railsImage),
			neutral: []string{`rm ~/.bundle/ "${BUNDLE_PATH}"/ruby/*/cache "${BUNDLE_PATH}"/ruby/*/bundler/gems/*/.git`},
		},
		{
			name: "BUNDLE_PATH without a known Ruby version", script: "bundle install",
			env:      map[string]string{"BUNDLE_PATH": "/gems"},
			managers: []string{"gem"}, mounts: map[string]Mount{"/run/cachefront/bundler": {ID: "cachefront/bundler", Sharing: Locked, Owner: "0"}},
			env2: bundlerEnv, note: "RUBY_VERSION is unknown",
		},
		{
			name: "BUNDLE_DEPLOYMENT without BUNDLE_PATH installs into the app", script: "bundle install",
			env:      map[string]string{"BUNDLE_DEPLOYMENT": "true", "GEM_HOME": "/usr/local/bundle"},
			managers: []string{"gem"}, mounts: map[string]Mount{"/run/cachefront/bundler": {ID: "cachefront/bundler", Sharing: Locked, Owner: "0"}},
			env2: bundlerEnv, note: "vendor/bundle",
		},
		{
			name: "gem install -i", script: "gem install -i /opt/gems --no-document rake",
			managers: []string{"gem"}, mounts: gemMount("/opt/gems/cache", "0"),
		},
		{
			name: "gem install --install-dir=", script: "gem install --install-dir=/opt/gems rake",
			managers: []string{"gem"}, mounts: gemMount("/opt/gems/cache", "0"),
		},
		{
			name: "gem install --user-install", script: "gem install --user-install rake", env: rubyImage,
			managers: []string{"gem"}, note: "--user-install",
		},
		{
			name: "system Ruby without GEM_HOME", script: "gem install rails",
			managers: []string{"gem"}, note: "GEM_HOME is not set",
		},
		{
			name: "Bundler's global gem cache keeps extensions", script: "bundle install",
			env:      map[string]string{"GEM_HOME": "/usr/local/bundle", "BUNDLE_GLOBAL_GEM_CACHE": "true"},
			managers: []string{"gem"}, mounts: gemMount("/usr/local/bundle/cache", "0"), note: "BUNDLE_GLOBAL_GEM_CACHE",
		},
		{
			name: "BUNDLE_USER_CACHE set by the image", script: "bundle _2.5.6_ install",
			env:      map[string]string{"GEM_HOME": "/usr/local/bundle", "BUNDLE_USER_CACHE": "/cache/bundler"},
			managers: []string{"gem"}, mounts: map[string]Mount{
				"/usr/local/bundle/cache": {ID: "cachefront/gem", Sharing: Locked, Owner: "0"},
				"/cache/bundler":          {ID: "cachefront/bundler", Sharing: Locked, Owner: "0"},
			},
		},
		{
			name: "bare bundle installs; archives removed by a glob are spared", script: "bundle && rm -rf /usr/local/bundle/cache/*.gem", env: rubyImage,
			managers: []string{"gem"}, mounts: gemAndBundler("/usr/local/bundle/cache", "0"), env2: bundlerEnv,
			edited:  "bundle && " + spared("rm -rf /usr/local/bundle/cache/*.gem", rubyImage),
			neutral: []string{"rm /usr/local/bundle/cache/*.gem"},
		},
		{
			name: "running gems downloads nothing", script: "gem --version && bundle exec rake assets:precompile && bundle config set path vendor", env: rubyImage,
		},
		{
			name: "GEM_HOME exported by the script", script: "export GEM_HOME=/opt/gems && gem install rake",
			managers: []string{"gem"}, note: "sets GEM_HOME itself",
		},
		{
			name: "bundle with --path on its command line", script: "bundle install --path vendor/bundle", env: rubyImage,
			managers: []string{"gem"}, mounts: map[string]Mount{"/run/cachefront/bundler": {ID: "cachefront/bundler", Sharing: Locked, Owner: "0"}},
			env2: bundlerEnv, note: "command line",
		},
	})
}

// spared is the rm of script (its last command) as spareMounts rewrites it
// for the mounts that the gem rule plans with env.
func spared(script string, env map[string]string) string {
	s := &Step{Script: "bundle install; " + script, Spliceable: true, Env: env}
	s.Commands, _ = shell.Parse(s.Script)
	p := Run(s, []Rule{gem{}}, nil)
	for _, e := range p.Edits {
		if strings.HasPrefix(e.Text, spareMarker) {
			return e.Text
		}
	}
	return "(no rm rewritten)"
}

func TestGemRmOfTheDefaultUserCacheIsLeftAlone(t *testing.T) {
	t.Parallel()
	// An rm of Bundler's default user cache is harmless: the cache moved.
	s := step(t, "bundle install && rm -rf /root/.bundle", rubyImage, "")
	p := checkedRun(t, s, All(), nil)
	require.Empty(t, p.Edits)
	require.Empty(t, p.Neutralized)
}

// Two installations in one step share one gem cache id: mounting it twice
// would make BuildKit wait for the lock it holds on the first.
func TestGemCacheOncePerStep(t *testing.T) {
	t.Parallel()
	s := step(t, "gem install bundler && bundle install", map[string]string{
		"GEM_HOME": "/usr/local/bundle", "BUNDLE_PATH": "/app/vendor", "RUBY_VERSION": "3.3.1",
	}, "")
	p := checkedRun(t, s, All(), nil)
	var targets []string
	for _, m := range p.Mounts {
		targets = append(targets, m.Target)
	}
	require.Equal(t, []string{"/usr/local/bundle/cache", "/run/cachefront/bundler"}, targets)
	require.Contains(t, strings.Join(p.Notes, "\n"), "archives for /app/vendor/ruby/3.3.0 are not cached")
}
