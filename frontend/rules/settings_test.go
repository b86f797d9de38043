package rules

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSettingsFor(t *testing.T) {
	t.Parallel()
	names := func(ss []Setting) []string {
		var out []string
		for _, s := range ss {
			out = append(out, s.Name)
		}
		return out
	}
	require.Empty(t, SettingsFor(nil))
	require.Equal(t, []string{"HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "CA_CERT", "NPM_REGISTRY"}, names(SettingsFor([]string{"npm"})))
	require.Equal(t, []string{"HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "CA_CERT", "APT_PROXY", "GOPROXY", "GOSUMDB", "GONOSUMDB", "GOPRIVATE"}, names(SettingsFor([]string{"go", "apt"})))
	require.Equal(t, "cachefront-npm-registry", Settings[6].SecretID())
	require.Equal(t, "CACHEFRONT_NPM_REGISTRY", Settings[6].BuildArg())
}

// runScript sources the settings script with its directory and the
// settings' own tmpfs directories moved under a temp dir; it returns the
// environment the step would run with and the files the script made: by
// path under SettingsTmp, or by absolute path in a setting's tmpfs. A
// symlink reads "-> target".
func runScript(t *testing.T, settings []Setting, secrets, env map[string]string) (map[string]string, map[string]string) {
	t.Helper()
	return runScriptMounts(t, settings, secrets, env, true)
}

// runScriptMounts is runScript with the settings' tmpfs directories
// mounted or not, as /proc/self/mountinfo tells the script.
func runScriptMounts(t *testing.T, settings []Setting, secrets, env map[string]string, mounted bool) (map[string]string, map[string]string) {
	t.Helper()
	dir := t.TempDir()
	script := strings.ReplaceAll(Script(settings), SettingsDir, dir)
	script = strings.ReplaceAll(script, CargoConfigDir+"/", dir+"/cargo/")
	script = strings.ReplaceAll(script, "/proc/self/mountinfo", dir+"/mountinfo")
	for _, d := range []string{"secrets", "tmp", "cargo"} {
		require.NoError(t, os.MkdirAll(filepath.Join(dir, d), 0o755))
	}
	mountinfo := "22 1 0:21 / / rw,relatime - overlay overlay rw\n"
	if mounted {
		mountinfo += "23 22 0:22 / " + dir + "/cargo rw,nosuid - tmpfs tmpfs rw\n"
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "mountinfo"), []byte(mountinfo), 0o644))
	for id, v := range secrets {
		require.NoError(t, os.WriteFile(filepath.Join(dir, "secrets", id), []byte(v), 0o444))
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "settings.sh"), []byte(script), 0o644))
	cmd := exec.Command("sh", "-c", `. "$0" && exec env -0`, filepath.Join(dir, "settings.sh"))
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.Output()
	require.NoError(t, err)
	unmove := func(s string) string {
		return strings.ReplaceAll(strings.ReplaceAll(s, dir+"/cargo/", CargoConfigDir+"/"), dir, SettingsDir)
	}
	got := map[string]string{}
	for _, kv := range strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00") {
		k, v, _ := strings.Cut(kv, "=")
		got[k] = unmove(v)
	}
	files := map[string]string{}
	for _, root := range []string{"tmp", "cargo"} {
		require.NoError(t, filepath.WalkDir(filepath.Join(dir, root), func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, _ := filepath.Rel(filepath.Join(dir, "tmp"), p)
			if root == "cargo" {
				rel = unmove(p)
			}
			if d.Type()&fs.ModeSymlink != 0 {
				target, err := os.Readlink(p)
				files[rel] = "-> " + target
				return err
			}
			dt, err := os.ReadFile(p)
			files[rel] = unmove(string(dt))
			return err
		}))
	}
	return got, files
}

func TestScriptPrefersSecretsAndLeavesNothingBehind(t *testing.T) {
	t.Parallel()
	env, files := runScript(t, SettingsFor([]string{"npm", "apt", "pip"}),
		map[string]string{"cachefront-npm-registry": "http://tok@127.0.0.1:4873/\n"},
		map[string]string{"CACHEFRONT_NPM_REGISTRY": "http://from-arg/", "CACHEFRONT_APT_PROXY": "http://127.0.0.1:3142", "CACHEFRONT_PIP_INDEX_URL": "http://u:p@127.0.0.1:8080/simple/"})
	require.Equal(t, "http://tok@127.0.0.1:4873/", env["npm_config_registry"], "the secret wins over the build arg")
	require.Equal(t, "http://tok@127.0.0.1:4873/", env["YARN_NPM_REGISTRY_SERVER"])
	require.Equal(t, "127.0.0.1", env["YARN_UNSAFE_HTTP_WHITELIST"])
	require.Equal(t, "127.0.0.1:8080", env["PIP_TRUSTED_HOST"])
	require.Equal(t, "http://u:p@127.0.0.1:8080/simple/", env["PIP_INDEX_URL"])
	require.Equal(t, SettingsTmp+"/apt.conf", env["APT_CONFIG"])
	require.Equal(t, map[string]string{"apt.conf": "Acquire::http::Proxy \"http://127.0.0.1:3142\";\n"}, files)
	for k := range env {
		require.False(t, strings.HasPrefix(k, "CACHEFRONT_") || strings.HasPrefix(k, "cf_"), "%s left behind", k)
	}
	require.NotContains(t, env, "HTTP_PROXY")
	require.NotContains(t, env, "SSL_CERT_FILE")
}

func TestScriptWithoutValuesChangesNothing(t *testing.T) {
	t.Parallel()
	env, files := runScript(t, Settings, map[string]string{"cachefront-goproxy": ""}, map[string]string{"CACHEFRONT_GOPROXY": "", "HOME": "/root"})
	require.Equal(t, map[string]string{"PATH": os.Getenv("PATH"), "HOME": "/root", "PWD": env["PWD"]}, env)
	require.Empty(t, files)
}

func TestScriptAddsCertificatesToTheBundle(t *testing.T) {
	t.Parallel()
	cert := "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
	env, files := runScript(t, SettingsFor([]string{"apt"}), map[string]string{"cachefront-ca-cert": cert},
		map[string]string{"APT_CONFIG": "/etc/apt/custom.conf"})
	bundle := SettingsTmp + "/ca-certificates.crt"
	for _, k := range []string{"SSL_CERT_FILE", "NODE_EXTRA_CA_CERTS", "PIP_CERT", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "GIT_SSL_CAINFO"} {
		require.Equal(t, bundle, env[k], k)
	}
	require.Equal(t, "#include \"/etc/apt/custom.conf\";\nAcquire::https::CaInfo \""+bundle+"\";\n", files["apt.conf"])
	require.True(t, strings.HasSuffix(files["ca-certificates.crt"], cert), "the certificates come last")
	if host, err := os.ReadFile("/etc/ssl/certs/ca-certificates.crt"); err == nil {
		require.True(t, strings.HasPrefix(files["ca-certificates.crt"], string(host)), "the image's bundle comes first")
	}
}

func TestScriptWritesCargoConfig(t *testing.T) {
	t.Parallel()
	env, files := runScript(t, SettingsFor([]string{"cargo"}),
		map[string]string{"cachefront-cargo-registry": `sparse+http://127.0.0.1:8080/t"k\n/index/` + "\n"}, nil)
	require.Equal(t, map[string]string{CargoConfigDir + "/config.toml": `[source.crates-io]
replace-with = "cachefront-mirror"

[source.cachefront-mirror]
registry = "sparse+http://127.0.0.1:8080/t\"k\\n/index/"
`}, files, "the URL is a TOML string, quotes and backslashes escaped")
	require.Equal(t, CargoConfigDir+"/config.toml", env[CargoConfigVar], "for cargo install's --config")
	for k, v := range env {
		require.NotContains(t, v, "127.0.0.1", "%s: the URL is in the file alone", k)
	}

	// Where the builder mounted nothing, the image's /.cargo is left alone.
	env, files = runScriptMounts(t, SettingsFor([]string{"cargo"}),
		map[string]string{"cachefront-cargo-registry": "sparse+http://127.0.0.1:8080/index/"}, nil, false)
	require.Empty(t, files)
	require.NotContains(t, env, CargoConfigVar)
}

// fakeMaven makes a Maven distribution whose mvn is on PATH through a
// symlink, as Debian's /usr/bin/mvn is; it returns PATH and its conf.
func fakeMaven(t *testing.T) (string, string) {
	t.Helper()
	dir := t.TempDir()
	home := filepath.Join(dir, "share", "maven")
	for name, content := range map[string]string{"bin/mvn": "#!/bin/sh\n", "conf/settings.xml": "<settings/>", "conf/toolchains.xml": "<toolchains/>", "conf/logging/simplelogger.properties": ""} {
		require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(home, name)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(home, name), []byte(content), 0o755))
	}
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "bin"), 0o755))
	require.NoError(t, os.Symlink("../share/maven/bin/mvn", filepath.Join(dir, "bin", "mvn")))
	return filepath.Join(dir, "bin") + ":" + os.Getenv("PATH"), filepath.Join(home, "conf")
}

func TestScriptWritesMavenSettings(t *testing.T) {
	t.Parallel()
	mirror := func(servers, url string) string {
		return "<settings>\n" + servers + `  <mirrors>
    <mirror>
      <id>central</id>
      <mirrorOf>external:*</mirrorOf>
      <url>` + url + `</url>
    </mirror>
  </mirrors>
</settings>
`
	}
	conf := SettingsTmp + "/maven-conf"

	// Credentials leave the URL, which Maven logs, for a <server> entry.
	secret := map[string]string{"cachefront-maven-mirror": "http://u:p&<@127.0.0.1:8081/maven2/?a=1&b=<2>@x"}
	path, real := fakeMaven(t)
	env, files := runScript(t, SettingsFor([]string{"maven"}), secret, map[string]string{"PATH": path, "MAVEN_OPTS": "-Xmx1g"})
	require.Equal(t, "-Dmaven.conf="+conf+" -Xmx1g", env["MAVEN_OPTS"], "every Maven 3 reads its global settings from ${maven.conf}")
	require.NotContains(t, env, "MAVEN_ARGS")
	require.Equal(t, map[string]string{
		"maven-conf/settings.xml": mirror(`  <servers>
    <server>
      <id>central</id>
      <username>u</username>
      <password>p&amp;&lt;</password>
    </server>
  </servers>
`, "http://127.0.0.1:8081/maven2/?a=1&amp;b=&lt;2&gt;@x"),
		"maven-conf/logging":        "-> " + real + "/logging",
		"maven-conf/toolchains.xml": "-> " + real + "/toolchains.xml",
	}, files, "the rest of the distribution's conf is linked")

	// No mvn on PATH (a wrapper's Maven): Maven 3.9+'s MAVEN_ARGS.
	bin := t.TempDir()
	for _, tool := range []string{"env", "sed", "mkdir", "cat", "readlink", "ln"} {
		p, err := exec.LookPath(tool)
		require.NoError(t, err)
		require.NoError(t, os.Symlink(p, filepath.Join(bin, tool)))
	}
	env, files = runScript(t, SettingsFor([]string{"maven"}), map[string]string{"cachefront-maven-mirror": "https://nexus.internal/repository/maven/"},
		map[string]string{"PATH": bin, "MAVEN_ARGS": "-B"})
	require.Equal(t, "-gs "+conf+"/settings.xml -B", env["MAVEN_ARGS"])
	require.NotContains(t, env, "MAVEN_OPTS")
	require.Equal(t, map[string]string{"maven-conf/settings.xml": mirror("", "https://nexus.internal/repository/maven/")}, files)
}

func TestScriptWritesGradleInit(t *testing.T) {
	t.Parallel()
	url := "http://u:p'\"$x@127.0.0.1:8081/maven2/"
	env, files := runScript(t, SettingsFor([]string{"gradle"}), map[string]string{"cachefront-gradle-mirror": url}, nil)
	require.Equal(t, SettingsTmp+"/gradle-mirror.init.gradle", env[GradleInitVar])
	require.Equal(t, map[string]string{"gradle-mirror.url": url, "gradle-mirror.init.gradle": gradleMirrorInit}, files,
		"the init script is written as it is and reads the URL from its own file")
	require.Contains(t, gradleMirrorInit, "new File('"+SettingsTmp+"/gradle-mirror.url')")
}
