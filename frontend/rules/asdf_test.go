package rules

import "testing"

func TestAsdfAndMise(t *testing.T) {
	t.Parallel()
	runCompiled(t, []compiledCase{
		{
			name: "asdf install mounts nothing", script: "asdf plugin add nodejs && asdf install nodejs 22.1.0",
			managers: []string{"asdf"}, note: "nothing is mounted",
		},
		{
			name: "mise install", script: "mise install && mise use -g node@22", user: "dev",
			managers: []string{"mise"}, mounts: map[string]Mount{"/run/cachefront/mise": {ID: "cachefront/mise/linux-amd64/user-dev", Sharing: Locked, Owner: "dev"}},
			env2: map[string]string{"MISE_CACHE_DIR": "/run/cachefront/mise"},
		},
		{
			name: "MISE_CACHE_DIR set by the image", script: "mise -C /app install",
			env:      map[string]string{"MISE_CACHE_DIR": "/mise/cache"},
			managers: []string{"mise"}, mounts: map[string]Mount{"/mise/cache": {ID: "cachefront/mise/linux-amd64", Sharing: Locked, Owner: "0"}},
		},
		{
			name: "asdf and mise queries download nothing", script: "asdf current && mise ls && mise activate bash",
		},
	})
}
