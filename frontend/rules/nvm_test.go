package rules

import "testing"

func TestNvm(t *testing.T) {
	t.Parallel()
	nvmMount := func(target, owner string) map[string]Mount {
		return map[string]Mount{target: {ID: "cachefront/nvm", Sharing: Locked, Owner: owner}}
	}
	runJSCases(t, nvm{}, []jsCase{
		{
			name: "NVM_DIR from the image", script: ". \"$NVM_DIR/nvm.sh\" && nvm install 20 && nvm alias default 20",
			env: map[string]string{"NVM_DIR": "/usr/local/nvm"}, mounts: nvmMount("/usr/local/nvm/.cache", "0"),
		},
		{
			name: "nvm.sh sourced by path", script: "bash -c 'source /opt/nvm/nvm.sh && nvm install --lts'",
			mounts: nvmMount("/opt/nvm/.cache", "0"),
		},
		{
			name: "nvm cache clear is neutralised", script: ". /opt/nvm/nvm.sh && nvm install 22 && nvm cache clear", user: "app",
			mounts: nvmMount("/opt/nvm/.cache", "app"), edited: ". /opt/nvm/nvm.sh && nvm install 22 && true",
		},
		{name: "NVM_DIR unknown", script: ". ~/.nvm/nvm.sh && nvm install 20", note: "NVM_DIR is unknown"},
		{name: "nvm use downloads nothing", script: "nvm use 20", idle: true},
		{
			name: "the step's own cache", script: "nvm install 20", env: map[string]string{"NVM_DIR": "/nvm"},
			cacheMounts: []string{"/nvm/.cache"}, note: "mounts its own nvm cache",
		},
	})
}
