package rules

import (
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

// runScript sources the settings script with its directory moved under a
// temp dir; it returns the environment the step would run with and the
// files the script made, by name.
func runScript(t *testing.T, settings []Setting, secrets, env map[string]string) (map[string]string, map[string]string) {
	t.Helper()
	dir := t.TempDir()
	script := strings.ReplaceAll(Script(settings), SettingsDir, dir)
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "secrets"), 0o755))
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "tmp"), 0o755))
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
	got := map[string]string{}
	for _, kv := range strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00") {
		k, v, _ := strings.Cut(kv, "=")
		got[k] = strings.ReplaceAll(v, dir, SettingsDir)
	}
	files := map[string]string{}
	entries, err := os.ReadDir(filepath.Join(dir, "tmp"))
	require.NoError(t, err)
	for _, e := range entries {
		dt, err := os.ReadFile(filepath.Join(dir, "tmp", e.Name()))
		require.NoError(t, err)
		files[e.Name()] = strings.ReplaceAll(string(dt), dir, SettingsDir)
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
