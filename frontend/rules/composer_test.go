package rules

import "testing"

var composerMount = map[string]Mount{"/run/cachefront/composer": {ID: "cachefront/composer", Sharing: Locked, Owner: "0"}}

var composerEnv = map[string]string{"COMPOSER_CACHE_DIR": "/run/cachefront/composer"}

func TestComposer(t *testing.T) {
	t.Parallel()
	runCompiled(t, []compiledCase{
		{
			name: "composer install with --no-cache", script: "composer install --no-dev --no-cache --optimize-autoloader",
			managers: []string{"composer"}, mounts: composerMount, env2: composerEnv,
			edited: "composer install --no-dev  --optimize-autoloader", neutral: []string{"composer --no-cache"},
		},
		{
			name: "the official image's COMPOSER_HOME=/tmp is moved off", script: "composer require monolog/monolog",
			env:      map[string]string{"COMPOSER_HOME": "/tmp"},
			managers: []string{"composer"}, mounts: composerMount, env2: composerEnv,
		},
		{
			name: "php composer.phar as a non-root user", script: "php -d memory_limit=-1 composer.phar update", user: "www-data",
			managers: []string{"composer"}, mounts: map[string]Mount{"/run/cachefront/composer": {ID: "cachefront/composer/user-www-data", Sharing: Locked, Owner: "www-data"}},
			env2: composerEnv,
		},
		{
			name: "composer global require and clear-cache", script: "composer global require laravel/installer && composer clear-cache",
			managers: []string{"composer"}, mounts: composerMount, env2: composerEnv,
			edited: "composer global require laravel/installer && true", neutral: []string{"composer clear-cache"},
		},
		{
			name: "clear-cache --gc only expires entries and is kept", script: "composer install && composer clearcache --gc",
			managers: []string{"composer"}, mounts: composerMount, env2: composerEnv,
		},
		{
			name: "COMPOSER_CACHE_DIR set by the image", script: "composer install",
			env:      map[string]string{"COMPOSER_CACHE_DIR": "/var/cache/composer"},
			managers: []string{"composer"}, mounts: map[string]Mount{"/var/cache/composer": {ID: "cachefront/composer", Sharing: Locked, Owner: "0"}},
		},
		{
			name: "COMPOSER_CACHE_DIR=/dev/null turns the cache off", script: "COMPOSER_CACHE_DIR=/dev/null composer install",
			managers: []string{"composer"}, note: "keeps Composer from caching",
		},
		{
			name: "an rm of the image's cache directory under /tmp spares the mount", script: "composer install && rm -rf /tmp/*",
			env:      map[string]string{"COMPOSER_CACHE_DIR": "/tmp/composer-cache"},
			managers: []string{"composer"}, mounts: map[string]Mount{"/tmp/composer-cache": {ID: "cachefront/composer", Sharing: Locked, Owner: "0"}},
			edited:  "composer install && " + spareText("rm -rf /tmp/*", "/tmp/composer-cache"),
			neutral: []string{"rm /tmp/*"},
		},
		{
			name: "an rm that reaches the moved cache and can't be rewritten drops it and its variable", script: "composer install && sh -c 'rm -rf /run/*'",
			managers: []string{"composer"}, note: "can't be rewritten here; not cached",
		},
		{
			name: "dump-autoload and php scripts download nothing", script: "composer dump-autoload -o && php artisan optimize && php -r 'echo 1;'",
		},
	})
}
