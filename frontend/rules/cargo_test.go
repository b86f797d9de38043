package rules

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cachefront/cachefront/frontend/shell"
	"github.com/stretchr/testify/require"
)

// compiledCase is one step and what the rules of compiled languages, JVM,
// .NET and version managers must plan for it.
type compiledCase struct {
	name     string
	script   string
	env      map[string]string
	user     string
	managers []string
	mounts   map[string]Mount // by target; ID, Sharing and Owner checked
	env2     map[string]string
	edited   string   // the script after the plan's edits; "" when unchanged
	neutral  []string // what was neutralised
	note     string   // a substring of the notes; "" for no notes
}

func runCompiled(t *testing.T, cases []compiledCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := step(t, tc.script, tc.env, tc.user)
			p := checkedRun(t, s, All(), nil)
			require.Equal(t, tc.managers, p.Managers)
			require.Len(t, p.Mounts, len(tc.mounts), "mounts: %+v", p.Mounts)
			for _, m := range p.Mounts {
				want, ok := tc.mounts[m.Target]
				require.True(t, ok, "unexpected mount %s", m.Target)
				require.Equal(t, want.ID, m.ID, m.Target)
				require.Equal(t, want.Sharing, m.Sharing, m.Target)
				require.Equal(t, want.Owner, m.Owner, m.Target)
			}
			env2 := tc.env2
			if env2 == nil {
				env2 = map[string]string{}
			}
			require.Equal(t, env2, p.Env)
			require.Equal(t, tc.neutral, p.Neutralized)
			got, err := shell.Splice(tc.script, p.Edits)
			require.NoError(t, err)
			edited := tc.edited
			if edited == "" {
				edited = tc.script
			}
			require.Equal(t, edited, got)
			_, err = shell.Parse(got)
			require.NoError(t, err, "the rewritten script must still parse")
			if tc.note == "" {
				require.Empty(t, p.Notes)
			} else {
				require.Contains(t, strings.Join(p.Notes, "\n"), tc.note)
			}
		})
	}
}

func cargoMounts(home string) map[string]Mount {
	return map[string]Mount{
		home + "/registry/index": {ID: "cachefront/cargo/registry/index", Sharing: Locked, Owner: "0"},
		home + "/registry/cache": {ID: "cachefront/cargo/registry/cache", Sharing: Locked, Owner: "0"},
		home + "/git/db":         {ID: "cachefront/cargo/git/db", Sharing: Locked, Owner: "0"},
	}
}

// installConfig is what `cargo install` is given: the CARGO_REGISTRY
// setting's config file, when the step has the setting.
const installConfig = " ${cachefront_cargo_config:+--config=$cachefront_cargo_config}"

var rustImage = map[string]string{"CARGO_HOME": "/usr/local/cargo", "RUSTUP_HOME": "/usr/local/rustup"}

func TestCargo(t *testing.T) {
	t.Parallel()
	runCompiled(t, []compiledCase{
		{
			name: "cargo build in the rust image", script: "cargo build --release --locked", env: rustImage,
			managers: []string{"cargo"}, mounts: cargoMounts("/usr/local/cargo"),
		},
		{
			name: "root without CARGO_HOME uses ~/.cargo", script: "cargo install ripgrep",
			managers: []string{"cargo"}, mounts: cargoMounts("/root/.cargo"),
			edited: "cargo" + installConfig + " install ripgrep",
		},
		{
			name: "cargo install gets the mirror's config after a toolchain, not with --path", script: "cargo +nightly install --locked x && cargo install --path . && cargo build", env: rustImage,
			managers: []string{"cargo"}, mounts: cargoMounts("/usr/local/cargo"),
			edited: "cargo +nightly" + installConfig + " install --locked x && cargo install --path . && cargo build",
		},
		{
			name: "cargo install in a nested shell is noted", script: "cargo fetch && sh -c 'cargo install x'", env: rustImage,
			managers: []string{"cargo"}, note: "`cargo install` in a nested shell or an exec form does not get the CARGO_REGISTRY mirror",
		},
		{
			name: "xx-cargo and a toolchain selector", script: "xx-cargo build --release && cargo +nightly test", env: rustImage,
			managers: []string{"cargo"}, mounts: cargoMounts("/usr/local/cargo"),
		},
		{
			name: "xx-cargo's own flags download nothing", script: "xx-cargo --setup-target-triple && mv target/$(xx-cargo --print-target-triple)/release/app /", env: rustImage,
		},
		{
			name: "cargo chef cook is a build", script: "cargo chef cook --release --recipe-path recipe.json", env: rustImage,
			managers: []string{"cargo"}, mounts: cargoMounts("/usr/local/cargo"),
		},
		{
			name: "cargo fetch fills the image for offline steps", script: "cargo fetch && cargo build --offline", env: rustImage,
			managers: []string{"cargo"}, note: "`cargo fetch` fills CARGO_HOME",
		},
		{
			name: "an offline build reads the image", script: "cargo build --release --frozen", env: rustImage,
			managers: []string{"cargo"}, note: "runs offline",
		},
		{
			name: "CARGO_NET_OFFLINE on the command line", script: "CARGO_NET_OFFLINE=true cargo build", env: rustImage,
			managers: []string{"cargo"}, note: "runs offline",
		},
		{
			name: "a non-root user is left alone", script: "cargo build", env: rustImage, user: "rust",
			managers: []string{"cargo"}, note: "root-owned directories",
		},
		{
			name: "CARGO_HOME exported by the script", script: "export CARGO_HOME=/tmp/cargo; cargo build",
			managers: []string{"cargo"}, note: "sets CARGO_HOME itself",
		},
		{
			name: "version and clean download nothing", script: "cargo --version && cargo clean && rustc --version", env: rustImage,
		},
		{
			name: "cargo-chef's cleanup of the registry spares the mounts", script: "cargo install cargo-chef --locked && rm -rf $CARGO_HOME/registry/", env: rustImage,
			managers: []string{"cargo"}, mounts: cargoMounts("/usr/local/cargo"),
			edited:  "cargo" + installConfig + " install cargo-chef --locked && " + cargoSparing("-rf", "$CARGO_HOME/registry/", "/usr/local/cargo"),
			neutral: []string{"rm $CARGO_HOME/registry/"},
		},
		{
			name: "an rm in a nested shell costs the mounts it reaches", script: "cargo build && sh -c 'rm -rf /usr/local/cargo/registry'", env: rustImage,
			managers: []string{"cargo"},
			mounts:   map[string]Mount{"/usr/local/cargo/git/db": {ID: "cachefront/cargo/git/db", Sharing: Locked, Owner: "0"}},
			note:     "rm /usr/local/cargo/registry reaches /usr/local/cargo/registry/index, /usr/local/cargo/registry/cache and can't be rewritten here; not cached",
		},
		{
			name: "an rm of a path known at run time only is noted", script: `cargo build && rm -rf "$(mktemp -d)" && sh -c 'rm -r $X'`, env: rustImage,
			managers: []string{"cargo"}, mounts: cargoMounts("/usr/local/cargo"),
			note: "can't tell what (an expansion) names",
		},
		{
			name: "rm of unrelated paths is left alone", script: "cargo build && rm -rf target/debug /tmp/* /usr/local/cargo/registry/src", env: rustImage,
			managers: []string{"cargo"}, mounts: cargoMounts("/usr/local/cargo"),
		},
	})
	// A cache the step mounts itself wins.
	s := step(t, "cargo build", map[string]string{"CARGO_HOME": "/cargo"}, "")
	s.CacheMounts = []string{"/cargo/registry"}
	p := checkedRun(t, s, []Rule{cargo{}}, nil)
	require.Empty(t, p.Mounts)
	require.Contains(t, p.Notes, "cargo: the step mounts its own cargo cache; left as written")

	// An exec-form step can't be edited: the rm costs the mounts.
	s = step(t, "cargo install x && rm -rf /usr/local/cargo", rustImage, "")
	s.Spliceable = false
	p = checkedRun(t, s, []Rule{cargo{}}, nil)
	require.Empty(t, p.Mounts)
	require.Empty(t, p.Edits)
	require.Contains(t, strings.Join(p.Notes, "\n"), "can't be rewritten here")
}

// cargoSparing is the text spareMounts writes for `rm OPTS OPERAND` with
// the cargo mounts under home.
func cargoSparing(opts, operand, home string) string {
	var targets []string
	for _, d := range cargoCaches {
		targets = append(targets, home+"/"+d)
	}
	s := &Step{Script: "rm " + opts + " " + operand, Spliceable: true, Env: map[string]string{}}
	cmds, _ := shell.Parse(s.Script)
	o, ops, recursive := rmArgs(cmds[0])
	text, _ := sparingRm(s, cmds[0], o, ops, targets, recursive)
	return text
}

func TestGlobCoversAndWithin(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		pat, dir       string
		covers, within bool
	}{
		{"/usr/local/cargo", "/usr/local/cargo/registry/index", true, false},
		{"/usr/local/cargo/registry/", "/usr/local/cargo/registry/index", true, false},
		{"/usr/local/cargo/registry/index", "/usr/local/cargo/registry/index", true, false},
		{"/usr/local/cargo/registry/*", "/usr/local/cargo/registry/index", true, false},
		{"/usr/local/bundle/ruby/*/cache", "/usr/local/bundle/ruby/3.4.0/cache", true, false},
		{"/usr/local/cargo/registry/index/x", "/usr/local/cargo/registry/index", false, true},
		{"/usr/local/bundle/cache/*.gem", "/usr/local/bundle/cache", false, true},
		{"/usr/local/cargo/registry/src", "/usr/local/cargo/registry/index", false, false},
		{"/tmp/*", "/usr/local/cargo/registry/index", false, false},
		{"/", "/usr/local/cargo", true, false},
		{"/usr/[", "/usr/local", false, false},
	} {
		require.Equal(t, tc.covers, globCovers(tc.pat, tc.dir), "%s covers %s", tc.pat, tc.dir)
		require.Equal(t, tc.within, globWithin(tc.pat, tc.dir), "%s within %s", tc.pat, tc.dir)
	}
}

func TestExpandArg(t *testing.T) {
	t.Parallel()
	env := map[string]string{"CARGO_HOME": "/usr/local/cargo", "BUNDLE_PATH": "/usr/local/bundle"}
	for _, tc := range []struct {
		script, want string
		ok           bool
	}{
		{`rm -rf $CARGO_HOME/registry`, "/usr/local/cargo/registry", true},
		{`rm -rf "${BUNDLE_PATH}"/ruby/*/cache`, "/usr/local/bundle/ruby/*/cache", true},
		{`rm -rf ~/.gradle/caches`, "/root/.gradle/caches", true},
		{`rm -rf ${UNSET}/x`, "", false},
		{`rm -rf $(go env GOMODCACHE)`, "", false},
		{`rm -rf ~app/.gradle`, "", false},
		{`X=/opt rm -rf $X/y`, "/opt/y", true},
		{`sh -c 'rm -rf $CARGO_HOME'`, "", false},
	} {
		s := step(t, tc.script, env, "")
		var c shell.Command
		for _, c = range s.Commands {
			if c.Base() == "rm" {
				break
			}
		}
		got, ok := expandArg(s, c, c.Args[len(c.Args)-1])
		require.Equal(t, tc.ok, ok, tc.script)
		require.Equal(t, tc.want, got, tc.script)
	}
}

// runSpared plans script with the cargo rule for CARGO_HOME=home and runs
// it in sh, cargo itself replaced by true.
func runSpared(t *testing.T, sh, script, home string) (string, error) {
	t.Helper()
	s := step(t, script, map[string]string{"CARGO_HOME": home}, "")
	p := checkedRun(t, s, []Rule{cargo{}}, nil)
	require.Len(t, p.Mounts, 3)
	got, err := shell.Splice(script, p.Edits)
	require.NoError(t, err)
	require.Contains(t, got, spareMarker)
	cmd := exec.Command(sh, "-c", strings.Replace(got, "cargo build;", "true;", 1))
	cmd.Env = append(os.Environ(), "CARGO_HOME="+home)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// The rewritten rm, run by real shells on a tree where the mounts are plain
// directories: it removes what rm would, keeps what is in the mounts, and
// exits as rm would.
func TestSpareMountsInShells(t *testing.T) {
	t.Parallel()
	for _, sh := range []string{"dash", "bash"} {
		if _, err := exec.LookPath(sh); err != nil {
			t.Logf("%s not found", sh)
			continue
		}
		t.Run(sh, func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			home := filepath.Join(root, "cargo")
			for _, f := range []string{
				"registry/index/i", "registry/cache/c.crate", "registry/src/s/lib.rs", "registry/.hidden",
				"git/db/d/HEAD", "git/checkouts/x/y", "bin/cargo", "other/o",
			} {
				require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(home, f)), 0o755))
				require.NoError(t, os.WriteFile(filepath.Join(home, f), nil, 0o644))
			}
			out, err := runSpared(t, sh, `set -e; cargo build; rm -rf $CARGO_HOME/registry/ "$CARGO_HOME"/g* $CARGO_HOME/registry/cache/*.crate `+
				filepath.Join(home, "other")+`; rm -f $CARGO_HOME/bin/cargo; echo done`, home)
			require.NoError(t, err, "%s", out)
			require.Equal(t, "done\n", out)
			for _, f := range []string{"registry/index/i", "registry/cache/c.crate", "git/db/d/HEAD"} {
				require.FileExists(t, filepath.Join(home, f))
			}
			for _, f := range []string{"registry/src", "registry/.hidden", "git/checkouts", "bin/cargo", "other"} {
				require.NoFileExists(t, filepath.Join(home, f))
				require.NoDirExists(t, filepath.Join(home, f))
			}

			// A failing rm still fails, after sparing the mounts.
			out, err = runSpared(t, sh, "set -e; cargo build; rm -r $CARGO_HOME/git "+filepath.Join(root, "missing")+"; echo done", home)
			require.Error(t, err)
			require.NotContains(t, out, "done")
			require.FileExists(t, filepath.Join(home, "git/db/d/HEAD"))
		})
	}
}

// spareText is the text spareMounts writes for the rm command script with
// mounts at targets.
func spareText(script string, targets ...string) string {
	s := &Step{Script: script, Spliceable: true, Env: map[string]string{}}
	cmds, _ := shell.Parse(script)
	o, ops, recursive := rmArgs(cmds[0])
	text, _ := sparingRm(s, cmds[0], o, ops, targets, recursive)
	return text
}

// The flag given to `cargo install` is there only when the settings script
// exported the config's path, also under `set -u`.
func TestCargoInstallConfigExpands(t *testing.T) {
	t.Parallel()
	for env, want := range map[string]string{
		"":                                      "install|x|",
		CargoConfigVar + "=/.cargo/config.toml": "--config=/.cargo/config.toml|install|x|",
	} {
		cmd := exec.Command("sh", "-c", `set -u; f() { printf '%s|' "$@"; }; f`+installConfig+` install x`)
		cmd.Env = []string{env}
		out, err := cmd.Output()
		require.NoError(t, err)
		require.Equal(t, want, string(out), env)
	}
}
