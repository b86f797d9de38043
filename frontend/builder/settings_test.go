package builder

import (
	"slices"
	"testing"

	"github.com/cachefront/cachefront/frontend/rules"
	"github.com/cachefront/cachefront/llb/rewrite"
	"github.com/moby/buildkit/solver/pb"
	"github.com/stretchr/testify/require"
)

// execsByArgv rewrites df with cfg and returns its execs keyed by their last
// argument (the script, or the last word of an exec form).
func execsByArgv(t *testing.T, df string, cfg Config) (map[string]*pb.ExecOp, []*StepReport) {
	t.Helper()
	ops, reports := rewritten(t, df, cfg)
	execs := map[string]*pb.ExecOp{}
	for _, op := range ops {
		if e := op.GetExec(); e != nil {
			execs[e.Meta.Args[len(e.Meta.Args)-1]] = e
		}
	}
	return execs, reports
}

func TestSettingsWrapPackageSteps(t *testing.T) {
	t.Parallel()
	df := `FROM node:20
RUN npm ci
RUN ["pip", "install", "flask"]
RUN echo hello
`
	execs, reports := execsByArgv(t, df, Config{Settings: map[string]string{"NPM_REGISTRY": "http://127.0.0.1:4873/"}})

	npm := execs["npm ci"]
	require.Equal(t, []string{"/bin/sh", "-c", settingsEntry, "cachefront", "/bin/sh", "-c", "npm ci"}, npm.Meta.Args)
	v, ok := rewrite.Getenv(npm.Meta, "CACHEFRONT_NPM_REGISTRY")
	require.True(t, ok)
	require.Equal(t, "http://127.0.0.1:4873/", v)
	var secrets []string
	for _, m := range npm.Mounts {
		switch m.MountType {
		case pb.MountType_SECRET:
			require.True(t, m.SecretOpt.Optional, m.Dest)
			require.Equal(t, uint32(0o444), m.SecretOpt.Mode)
			require.Equal(t, rules.SettingsDir+"/secrets/"+m.SecretOpt.ID, m.Dest)
			secrets = append(secrets, m.SecretOpt.ID)
		case pb.MountType_TMPFS:
			require.Equal(t, rules.SettingsTmp, m.Dest)
		}
	}
	require.ElementsMatch(t, []string{"cachefront-http-proxy", "cachefront-https-proxy", "cachefront-no-proxy", "cachefront-ca-cert", "cachefront-npm-registry"}, secrets)
	m, _ := rewrite.FindMount(npm, rules.SettingsScript)
	require.NotNil(t, m, "the settings script is mounted")
	require.True(t, m.Readonly)

	pip := execs["flask"]
	require.Equal(t, []string{"pip", "install", "flask"}, pip.Meta.Args, "an exec-form step is not wrapped")
	require.False(t, slices.ContainsFunc(pip.Mounts, func(m *pb.Mount) bool { return m.MountType == pb.MountType_SECRET }))

	require.Equal(t, []string{"/bin/sh", "-c", "echo hello"}, execs["echo hello"].Meta.Args, "a step without a package manager is left alone")

	require.Equal(t, []string{"HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "CA_CERT", "NPM_REGISTRY (build arg)"}, reports[0].Settings)
	require.Contains(t, reports[1].Notes, "mirrors, proxies and CA settings need a shell; this exec-form step runs without them")
}

// Secrets are read at run time, so the definition is the same whatever
// secrets the build is given: a build with a secret mirror and one without
// hit the same layer cache.
func TestSettingsWithoutBuildArgsAddNoEnv(t *testing.T) {
	t.Parallel()
	execs, _ := execsByArgv(t, "FROM debian\nRUN apt-get update\n", Config{})
	apt := execs["apt-get update"]
	for _, kv := range apt.Meta.Env {
		require.NotContains(t, kv, "CACHEFRONT_")
	}
	require.Equal(t, settingsEntry, apt.Meta.Args[2])
}

func TestParseSettings(t *testing.T) {
	t.Parallel()
	cfg, err := ParseConfig(map[string]string{"build-arg:CACHEFRONT_GOPROXY": "http://127.0.0.1:1/", "build-arg:CACHEFRONT_CA_CERT": "", "build-arg:CACHEFRONT_SKIP": "apt"})
	require.NoError(t, err)
	require.Equal(t, map[string]string{"GOPROXY": "http://127.0.0.1:1/"}, cfg.Settings, "an empty value is no setting")
	_, err = ParseConfig(map[string]string{"build-arg:CACHEFRONT_NPM_REGSTRY": "x"})
	require.ErrorContains(t, err, "CACHEFRONT_NPM_REGSTRY: not a cachefront setting")
}

// Mirrors reach every step that runs the tool, those whose rule mounts no
// cache (cargo fetch, maven, gradle --offline) included: a mirror is needed
// without a cache. cargo install and gradle are given the flag that reads
// the setting's file.
func TestSettingsMirrorsForCargoMavenGradle(t *testing.T) {
	t.Parallel()
	df := `FROM rust
WORKDIR /app
RUN cargo fetch
RUN cargo build --release
RUN mvn -B package
RUN echo hello
RUN cargo install ripgrep
RUN gradle build --offline
`
	execs, reports := execsByArgv(t, df, Config{})
	mounts := func(e *pb.ExecOp) (secrets, tmpfs []string) {
		for _, m := range e.Mounts {
			switch m.MountType {
			case pb.MountType_SECRET:
				secrets = append(secrets, m.SecretOpt.ID)
			case pb.MountType_TMPFS:
				tmpfs = append(tmpfs, m.Dest)
			}
		}
		return secrets, tmpfs
	}
	common := []string{"cachefront-http-proxy", "cachefront-https-proxy", "cachefront-no-proxy", "cachefront-ca-cert"}
	for _, script := range []string{"cargo fetch", "cargo build --release"} {
		e := execs[script]
		require.NotNil(t, e, script)
		require.Equal(t, []string{"/bin/sh", "-c", settingsEntry, "cachefront", "/bin/sh", "-c", script}, e.Meta.Args)
		secrets, tmpfs := mounts(e)
		require.ElementsMatch(t, append(common, "cachefront-cargo-registry"), secrets, script)
		require.ElementsMatch(t, []string{rules.SettingsTmp, rules.CargoConfigDir}, tmpfs, script)
	}
	e := execs["mvn -B package"]
	require.Equal(t, settingsEntry, e.Meta.Args[2])
	secrets, tmpfs := mounts(e)
	require.ElementsMatch(t, append(common, "cachefront-maven-mirror"), secrets)
	require.Equal(t, []string{rules.SettingsTmp}, tmpfs, "only cargo steps get /.cargo")
	require.Equal(t, []string{"HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "CA_CERT", "CARGO_REGISTRY"}, reports[0].Settings)
	require.Equal(t, []string{"HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "CA_CERT", "MAVEN_MIRROR"}, reports[2].Settings)
	_, tmpfs = mounts(execs["echo hello"])
	require.Empty(t, tmpfs)

	install := "cargo ${cachefront_cargo_config:+--config=$cachefront_cargo_config} install ripgrep"
	require.Contains(t, execs, install)
	_, tmpfs = mounts(execs[install])
	require.ElementsMatch(t, []string{rules.SettingsTmp, rules.CargoConfigDir}, tmpfs)

	e = execs["gradle ${cachefront_gradle_init:+--init-script=$cachefront_gradle_init} build --offline"]
	require.NotNil(t, e, "gradle is given the init script")
	require.Equal(t, settingsEntry, e.Meta.Args[2])
	secrets, _ = mounts(e)
	require.ElementsMatch(t, append(common, "cachefront-gradle-mirror"), secrets)
	require.Equal(t, []string{"HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "CA_CERT", "GRADLE_MIRROR"}, reports[5].Settings)
}

// /.cargo is mounted only where it hides nothing the step reads: not for a
// step run in / (its own .cargo) nor where CARGO_HOME is or may be /.cargo.
func TestSettingsCargoConfigHidesNothing(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, df string
		mounted  bool
	}{
		{"root in a project dir", "FROM rust\nWORKDIR /app\nRUN cargo build\n", true},
		{"CARGO_HOME elsewhere", "FROM rust\nENV CARGO_HOME=/usr/local/cargo\nUSER 1000\nWORKDIR /app\nRUN cargo build\n", true},
		{"a user with a home", "FROM rust\nENV HOME=/home/rust\nUSER rust\nWORKDIR /app\nRUN cargo build\n", true},
		{"the working directory is /", "FROM rust\nRUN cargo build\n", false},
		{"CARGO_HOME is /.cargo", "FROM rust\nENV CARGO_HOME=/.cargo\nWORKDIR /app\nRUN cargo build\n", false},
		{"HOME is /", "FROM rust\nENV HOME=/\nWORKDIR /app\nRUN cargo build\n", false},
		{"a user whose home is unknown", "FROM rust\nUSER 1000\nWORKDIR /app\nRUN cargo build\n", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			execs, _ := execsByArgv(t, tc.df, Config{})
			e := execs["cargo build"]
			require.NotNil(t, e)
			m, _ := rewrite.FindMount(e, rules.CargoConfigDir)
			require.Equal(t, tc.mounted, m != nil)
			require.Equal(t, settingsEntry, e.Meta.Args[2], "the step gets its settings either way")
		})
	}
}
