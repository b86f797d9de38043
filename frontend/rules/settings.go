package rules

import (
	"slices"
	"strings"
	"sync"
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
	// Tmpfs is a directory the step gets as an empty tmpfs of its own, for
	// a file a tool only finds at a fixed place; "" for none.
	Tmpfs string
	// apply is sh that exports what the tools read from the value in $cf_v;
	// it runs only when the value is not empty.
	apply string
}

// BuildArg is the build arg that gives the setting.
func (s Setting) BuildArg() string { return "CACHEFRONT_" + s.Name }

// SecretID is the id of the BuildKit secret that gives the setting.
func (s Setting) SecretID() string {
	if n, ok := secretNames()[s.Name]; ok {
		return n.id
	}
	return secretID(s.Name)
}

func secretID(name string) string {
	return "cachefront-" + strings.ReplaceAll(strings.ToLower(name), "_", "-")
}

// secretNames are the secret ids and paths of Settings, made once: every
// package step of a rewrite mounts its settings' secrets.
var secretNames = sync.OnceValue(func() map[string]struct{ id, path string } {
	names := make(map[string]struct{ id, path string }, len(Settings))
	for _, s := range Settings {
		id := secretID(s.Name)
		names[s.Name] = struct{ id, path string }{id, secretsDir + id}
	}
	return names
})

// SecretPath is where the secret is mounted in the step, when given.
func (s Setting) SecretPath() string {
	if n, ok := secretNames()[s.Name]; ok {
		return n.path
	}
	return secretsDir + s.SecretID()
}

const secretsDir = SettingsDir + "/secrets/"

// Where settings live in a step. BuildKit removes the mount points it made,
// so none of it reaches the image.
const (
	SettingsDir    = CacheRoot + "/settings"
	SettingsScript = SettingsDir + "/settings.sh"
	SettingsTmp    = SettingsDir + "/tmp" // a tmpfs for files made at run time
)

// CargoConfigDir is where the CARGO_REGISTRY setting writes a config.toml.
// Stable Cargo reads source replacement from config files alone (no
// environment variable), and reads .cargo/config.toml in the working
// directory and each of its parents: /.cargo is a parent of every working
// directory, and it ranks below a project's own files, so a project that
// vendors its crates keeps its own replacement.
const CargoConfigDir = "/.cargo"

// CargoConfigVar names CargoConfigDir's config.toml in a step given
// CARGO_REGISTRY, for the `--config` the cargo rule gives `cargo install`,
// which reads no directory's config: ${cachefront_cargo_config:+...} is
// nothing without the setting, so cargo before 1.63, which has no
// --config, still runs the step as written.
const CargoConfigVar = "cachefront_cargo_config"

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
	// The builder mounts CargoConfigDir only where it hides nothing; the
	// script writes there only when it is a mount point.
	{Name: "CARGO_REGISTRY", Managers: []string{"cargo"}, Tmpfs: CargoConfigDir,
		Doc: "registry that replaces Cargo's default registry, as a cargo source registry value (sparse+https://...)",
		apply: `cf_f=
  if [ -r /proc/self/mountinfo ]; then
    while read -r cf_h cf_h cf_h cf_h cf_t cf_h; do
      if [ "$cf_t/" = ` + CargoConfigDir + `/ ]; then cf_f=1; fi
    done </proc/self/mountinfo
  fi
  if [ -n "$cf_f" ]; then
    cf_t=$(printf '%s' "$cf_v" | sed 's/[\\"]/\\&/g')
    printf '[source.crates-io]\nreplace-with = "cachefront-mirror"\n\n[source.cachefront-mirror]\nregistry = "%s"\n' "$cf_t" >` + CargoConfigDir + `/config.toml
    export ` + CargoConfigVar + `=` + CargoConfigDir + `/config.toml
  fi`},
	// Maven reads its global settings from ${maven.conf}/settings.xml, a
	// system property MAVEN_OPTS can set in every Maven 3; the directory
	// also holds the logging configuration Maven loads, so the rest of the
	// distribution's conf is linked in. When no mvn is found (a wrapper's
	// Maven, downloaded by the step), Maven 3.9+'s MAVEN_ARGS gives -gs.
	// Maven logs every URL it downloads from: credentials in the URL move
	// to the mirror's <server> entry. The mirror's id is "central", the id
	// of the repository it stands for in most builds: Maven records the id
	// an artifact came from in the local repository (_remote.repositories)
	// and, by default, treats artifacts recorded from a repository a later
	// build does not have as missing.
	{Name: "MAVEN_MIRROR", Managers: []string{"maven"}, Doc: "mirror of every external repository for Maven, in transient global settings",
		apply: `cf_m=` + SettingsTmp + `/maven-conf
  mkdir -p "$cf_m"
  cf_x() { printf '%s' "$1" | sed 's/&/\&amp;/g; s/</\&lt;/g; s/>/\&gt;/g'; }
  cf_r=${cf_v#*://}; cf_h=${cf_r%%/*}; cf_t=
  case $cf_h in *@*)
    cf_t=${cf_h%@*}; cf_v=${cf_v%%://*}://${cf_h##*@}${cf_r#"$cf_h"}
    cf_t="  <servers>
    <server>
      <id>central</id>
      <username>$(cf_x "${cf_t%%:*}")</username>
      <password>$(case $cf_t in *:*) cf_x "${cf_t#*:}" ;; esac)</password>
    </server>
  </servers>
" ;;
  esac
  printf '<settings>\n%s  <mirrors>\n    <mirror>\n      <id>central</id>\n      <mirrorOf>external:*</mirrorOf>\n      <url>%s</url>\n    </mirror>\n  </mirrors>\n</settings>\n' "$cf_t" "$(cf_x "$cf_v")" >"$cf_m/settings.xml"
  unset -f cf_x
  cf_f=$(command -v mvn 2>/dev/null) && cf_f=$(readlink -f "$cf_f") && cf_f=${cf_f%/bin/*}/conf || cf_f=
  if [ -n "$cf_f" ] && [ -d "$cf_f" ]; then
    for cf_h in "$cf_f"/*; do
      if [ -e "$cf_h" ] && [ "${cf_h##*/}" != settings.xml ]; then ln -s "$cf_h" "$cf_m/${cf_h##*/}"; fi
    done
    export MAVEN_OPTS="-Dmaven.conf=$cf_m${MAVEN_OPTS:+ $MAVEN_OPTS}"
  else
    export MAVEN_ARGS="-gs $cf_m/settings.xml${MAVEN_ARGS:+ $MAVEN_ARGS}"
  fi`},
	// Gradle reads init scripts from --init-script (no environment
	// variable; init.d in GRADLE_USER_HOME would need a mount over the
	// image's): the gradle rule inserts the flag, which expands to nothing
	// without the setting. The script reads the URL from a file, so that
	// no escaping is needed.
	{Name: "GRADLE_MIRROR", Managers: []string{"gradle"}, Doc: "mirror of every http(s) Maven repository for Gradle, through a transient init script",
		apply: `printf '%s' "$cf_v" >` + SettingsTmp + `/gradle-mirror.url
  cat >` + SettingsTmp + `/gradle-mirror.init.gradle <<'CF_GRADLE'
` + gradleMirrorInit + `CF_GRADLE
  export ` + GradleInitVar + `=` + SettingsTmp + `/gradle-mirror.init.gradle`},
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
	names := make([]string, len(settings))
	for i, s := range settings {
		names[i] = s.Name
	}
	key := strings.Join(names, ",")
	// A rewrite asks for every package step; there are few distinct lists.
	if v, ok := scripts.Load(key); ok {
		return v.(string)
	}
	v := script(settings)
	scripts.Store(key, v)
	return v
}

var scripts sync.Map // settings names → script

func script(settings []Setting) string {
	var b strings.Builder
	b.WriteString(`# cachefront: settings for this step alone, sourced before it runs.
cf_apt=
`)
	var unset []string
	for _, s := range settings {
		// A secret wins over the build arg. Only a secret's file is read
		// in a subshell: a step without settings forks nothing here (a
		// command substitution per setting cost a go step ~25 ms).
		b.WriteString("if [ -f " + s.SecretPath() + " ]; then cf_v=$(cat " + s.SecretPath() + "); else cf_v=${" + s.BuildArg() + "-}; fi\n")
		b.WriteString("if [ -n \"$cf_v\" ]; then\n  " + s.apply + "\nfi\n")
		unset = append(unset, s.BuildArg())
	}
	b.WriteString(`if [ -n "$cf_apt" ]; then
  if [ -n "${APT_CONFIG-}" ]; then cf_apt="#include \"$APT_CONFIG\";
$cf_apt"; fi
  printf '%s' "$cf_apt" >` + SettingsTmp + `/apt.conf
  export APT_CONFIG=` + SettingsTmp + `/apt.conf
fi
unset cf_v cf_h cf_f cf_ca cf_apt cf_t cf_m cf_r ` + strings.Join(unset, " ") + `
`)
	return b.String()
}

// GradleInitVar names the GRADLE_MIRROR setting's init script in a step
// given the setting, for the --init-script the gradle rule inserts.
const GradleInitVar = "cachefront_gradle_init"

// gradleMirrorInit is the GRADLE_MIRROR init script (Groovy, for Gradle
// 4.4 and later): every http(s) Maven repository of the settings' plugin
// and dependency management and of the projects and their buildscripts
// gets the mirror's URL, credentials from the URL's user info (Gradle
// does not read them there), and allowInsecureProtocol for an http mirror
// (Gradle 6+ refuses http otherwise). Builds that name no plugin
// repository read plugins from the mirror too.
const gradleMirrorInit = `// cachefront: GRADLE_MIRROR, for this step alone
def cfUri = new URI(new File('` + SettingsTmp + `/gradle-mirror.url').text.trim())
def cfUser = null
def cfPassword = null
if (cfUri.userInfo != null) {
    def parts = cfUri.userInfo.split(':', 2)
    cfUser = parts[0]
    cfPassword = parts.length > 1 ? parts[1] : ''
    cfUri = new URI(cfUri.scheme, null, cfUri.host, cfUri.port, cfUri.path, cfUri.query, cfUri.fragment)
}
def cfMirror = { repos ->
    repos.all { repo ->
        if (repo instanceof MavenArtifactRepository && repo.url != null && repo.url.scheme in ['http', 'https']) {
            repo.url = cfUri
            if (cfUri.scheme == 'http' && repo.hasProperty('allowInsecureProtocol')) {
                repo.allowInsecureProtocol = true
            }
            if (cfUser != null) {
                repo.credentials.username = cfUser
                repo.credentials.password = cfPassword
            }
        }
    }
}
settingsEvaluated { settings ->
    if (settings.pluginManagement.repositories.isEmpty()) {
        settings.pluginManagement.repositories.maven { url = cfUri }
    }
    cfMirror(settings.pluginManagement.repositories)
    if (settings.hasProperty('dependencyResolutionManagement')) {
        cfMirror(settings.dependencyResolutionManagement.repositories)
    }
}
allprojects {
    buildscript { cfMirror(repositories) }
    cfMirror(repositories)
}
`
