package rules

import "testing"

var coursierEnv = map[string]string{"COURSIER_CACHE": "/run/cachefront/coursier"}

func TestSbt(t *testing.T) {
	t.Parallel()
	runCompiled(t, []compiledCase{
		{
			name: "sbt assembly", script: "sbt -Dsbt.rootdir=true clean assembly",
			managers: []string{"sbt"}, mounts: map[string]Mount{"/run/cachefront/coursier": {ID: "cachefront/coursier", Sharing: Shared, Owner: "0"}},
			env2: coursierEnv,
		},
		{
			name: "sbt as a non-root user", script: "sbt stage", user: "sbtuser",
			managers: []string{"sbt"}, mounts: map[string]Mount{"/run/cachefront/coursier": {ID: "cachefront/coursier/user-sbtuser", Sharing: Shared, Owner: "sbtuser"}},
			env2: coursierEnv,
		},
		{
			name: "COURSIER_CACHE set by the image", script: "sbtn compile",
			env:      map[string]string{"COURSIER_CACHE": "/coursier"},
			managers: []string{"sbt"}, mounts: map[string]Mount{"/coursier": {ID: "cachefront/coursier", Sharing: Shared, Owner: "0"}},
		},
		{
			name: "the Coursier CLI's launchers read the cache: left alone", script: "cs install scalafmt && cs fetch -p org.typelevel:cats-core_3:2.10.0",
		},
		{
			name: "sbt's version downloads nothing", script: "sbt --script-version",
		},
	})
}
