package rules

import (
	"slices"
	"strings"
)

// A Setting is a transient setting users give a build: a mirror, a proxy or
// CA certificates for the package managers. It reaches only the steps that
// run a matching manager, as a build arg CACHEFRONT_<Name> (part of the
// cache key and of provenance) or as a BuildKit secret cachefront-<name>
// (never in the cache key, the image or provenance).
//
// Steps read settings at run time: a script sourced before the step's own
// command picks each value from the secret's file, when mounted, else from
// the build arg's variable, and exports what the tools read. The step's
// definition is then the same whether a secret is given or not, so turning
// a secret mirror on or off keeps layer-cache hits.
type Setting struct {
	// Name is the setting's name in build args ("NPM_REGISTRY").
	Name string
	// Managers are the managers whose steps get it; nil means every step
	// that runs a package manager.
	Managers []string
	// Doc is one line for the README and the CLI.
	Doc string
	// apply is sh that exports what the tools read from the value in $cf_v;
	// it runs only when the value is not empty.
	apply string
}

// BuildArg is the build arg that gives the setting.
func (s Setting) BuildArg() string { return "CACHEFRONT_" + s.Name }

// SecretID is the id of the BuildKit secret that gives the setting.
func (s Setting) SecretID() string {
	return "cachefront-" + strings.ReplaceAll(strings.ToLower(s.Name), "_", "-")
}

// SecretPath is where the secret is mounted in the step, when given.
func (s Setting) SecretPath() string { return SettingsDir + "/secrets/" + s.SecretID() }

// Where settings live in a step. BuildKit removes the mount points it made,
// so none of it reaches the image.
const (
	SettingsDir    = CacheRoot + "/settings"
	SettingsScript = SettingsDir + "/settings.sh"
	SettingsTmp    = SettingsDir + "/tmp" // a tmpfs for files made at run time
)

var (
	pythonManagers = []string{"pip", "uv", "pipenv", "pipx"}
	nodeManagers   = []string{"npm", "yarn", "pnpm", "bun"}
)

// Settings lists every setting, in the order their scripts run.
var Settings = []Setting{
	// Yarn 2+ reads only its own proxy settings.
	{Name: "HTTP_PROXY", Doc: "HTTP proxy for package steps (http_proxy, HTTP_PROXY, YARN_HTTP_PROXY)",
		apply: `export http_proxy="$cf_v" HTTP_PROXY="$cf_v" YARN_HTTP_PROXY="$cf_v"`},
	{Name: "HTTPS_PROXY", Doc: "HTTPS proxy for package steps (https_proxy, HTTPS_PROXY, YARN_HTTPS_PROXY)",
		apply: `export https_proxy="$cf_v" HTTPS_PROXY="$cf_v" YARN_HTTPS_PROXY="$cf_v"`},
	{Name: "NO_PROXY", Doc: "hosts that bypass the proxies (no_proxy and NO_PROXY)",
		apply: `export no_proxy="$cf_v" NO_PROXY="$cf_v"`},
	{Name: "CA_CERT", Doc: "PEM certificates package steps trust in addition to the image's bundle",
		apply: `cf_ca=` + SettingsTmp + `/ca-certificates.crt
  for cf_f in "${SSL_CERT_FILE-}" /etc/ssl/certs/ca-certificates.crt /etc/pki/tls/certs/ca-bundle.crt /etc/ssl/ca-bundle.pem /etc/ssl/cert.pem; do
    if [ -n "$cf_f" ] && [ -f "$cf_f" ]; then cat "$cf_f"; echo; break; fi
  done >"$cf_ca"
  if [ -n "${NODE_EXTRA_CA_CERTS-}" ] && [ -f "$NODE_EXTRA_CA_CERTS" ]; then cat "$NODE_EXTRA_CA_CERTS"; echo; fi >>"$cf_ca"
  printf '%s\n' "$cf_v" >>"$cf_ca"
  export SSL_CERT_FILE="$cf_ca" NODE_EXTRA_CA_CERTS="$cf_ca" PIP_CERT="$cf_ca" REQUESTS_CA_BUNDLE="$cf_ca" \
    CURL_CA_BUNDLE="$cf_ca" GIT_SSL_CAINFO="$cf_ca" CARGO_HTTP_CAINFO="$cf_ca" YARN_HTTPS_CA_FILE_PATH="$cf_ca"
  cf_apt="${cf_apt}Acquire::https::CaInfo \"$cf_ca\";
"`},
	{Name: "APT_PROXY", Managers: []string{"apt"}, Doc: "HTTP proxy for apt alone, such as apt-cacher-ng (Acquire::http::Proxy)",
		apply: `cf_apt="${cf_apt}Acquire::http::Proxy \"$cf_v\";
"`},
	{Name: "PIP_INDEX_URL", Managers: pythonManagers, Doc: "package index for pip, uv, pipenv and pipx; an http index is also trusted",
		apply: `export PIP_INDEX_URL="$cf_v" UV_INDEX_URL="$cf_v" PIPENV_PYPI_MIRROR="$cf_v"
  case $cf_v in http://*)
    cf_h=${cf_v#http://}; cf_h=${cf_h%%/*}; cf_h=${cf_h##*@}
    export PIP_TRUSTED_HOST="${PIP_TRUSTED_HOST:+$PIP_TRUSTED_HOST }$cf_h" UV_INSECURE_HOST="${UV_INSECURE_HOST:+$UV_INSECURE_HOST }$cf_h" ;;
  esac`},
	{Name: "NPM_REGISTRY", Managers: nodeManagers, Doc: "registry for npm, yarn, pnpm and bun",
		apply: `export npm_config_registry="$cf_v" YARN_REGISTRY="$cf_v" YARN_NPM_REGISTRY_SERVER="$cf_v" BUN_CONFIG_REGISTRY="$cf_v"
  case $cf_v in http://*)
    cf_h=${cf_v#http://}; cf_h=${cf_h%%/*}; cf_h=${cf_h##*@}
    export YARN_UNSAFE_HTTP_WHITELIST="${cf_h%:*}" ;;
  esac`},
	{Name: "GOPROXY", Managers: []string{"go"}, Doc: "GOPROXY for go", apply: `export GOPROXY="$cf_v"`},
	{Name: "GOSUMDB", Managers: []string{"go"}, Doc: "GOSUMDB for go", apply: `export GOSUMDB="$cf_v"`},
	{Name: "GONOSUMDB", Managers: []string{"go"}, Doc: "GONOSUMDB for go", apply: `export GONOSUMDB="$cf_v"`},
	{Name: "GOPRIVATE", Managers: []string{"go"}, Doc: "GOPRIVATE for go", apply: `export GOPRIVATE="$cf_v"`},
}

// SettingsFor returns the settings that steps running managers get, in
// Settings order; none when managers is empty.
func SettingsFor(managers []string) []Setting {
	if len(managers) == 0 {
		return nil
	}
	var out []Setting
	for _, s := range Settings {
		if s.Managers == nil || slices.ContainsFunc(managers, func(m string) bool { return slices.Contains(s.Managers, m) }) {
			out = append(out, s)
		}
	}
	return out
}

// Script returns the sh script that applies settings. It depends on the
// settings alone, never on their values, and leaves no variable of its own
// behind: the build args' variables and its helpers are unset.
func Script(settings []Setting) string {
	var b strings.Builder
	b.WriteString(`# cachefront: settings for this step alone, sourced before it runs.
cf_value() {
  if [ -f "$1" ]; then cat "$1"; else eval "printf '%s' \"\${$2-}\""; fi
}
cf_apt=
`)
	var unset []string
	for _, s := range settings {
		b.WriteString("cf_v=$(cf_value " + s.SecretPath() + " " + s.BuildArg() + ")\n")
		b.WriteString("if [ -n \"$cf_v\" ]; then\n  " + s.apply + "\nfi\n")
		unset = append(unset, s.BuildArg())
	}
	b.WriteString(`if [ -n "$cf_apt" ]; then
  if [ -n "${APT_CONFIG-}" ]; then cf_apt="#include \"$APT_CONFIG\";
$cf_apt"; fi
  printf '%s' "$cf_apt" >` + SettingsTmp + `/apt.conf
  export APT_CONFIG=` + SettingsTmp + `/apt.conf
fi
unset cf_v cf_h cf_f cf_ca cf_apt ` + strings.Join(unset, " ") + `
unset -f cf_value
`)
	return b.String()
}
