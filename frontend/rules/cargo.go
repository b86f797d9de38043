package rules

import (
	"path"
	"slices"
	"strings"

	"github.com/cachefront/cachefront/frontend/shell"
)

// cargo caches what Cargo downloads into CARGO_HOME: the registry index
// (registry/index), the .crate archives (registry/cache) and the bare clones
// of git dependencies (git/db), the three directories the Cargo book names
// for caching CARGO_HOME in CI. The rest of CARGO_HOME stays in the image:
// bin/ and .crates*.json are what `cargo install` installs, config.toml and
// credentials.toml are configuration, and registry/src and git/checkouts are
// the sources the step compiles, which target/ refers to (like Go's module
// tree); Cargo re-extracts them from the cached archives without a download.
//
// Cargo has no setting that moves these directories apart from CARGO_HOME, so
// they are mounted in place, and an rm that reaches them (cargo-chef's own
// `rm -rf $CARGO_HOME/registry/`) is rewritten to spare the mounts. Cargo's
// package cache lock ($CARGO_HOME/.package-cache) stays outside the mounts
// and archives are written in place, not renamed, so sharing is locked.
//
// Left as written: `cargo fetch`, whose purpose is to fill CARGO_HOME for
// later offline steps (the Cargo book: "Subsequent Cargo commands will be
// able to run offline after a cargo fetch"); steps that run offline
// (--offline, --frozen, CARGO_NET_OFFLINE), which read what the image holds;
// and non-root users, for whom the mount points' parents, created by the
// runtime as root, would keep Cargo from creating registry/src. A later
// offline step after a step that was rewritten finds the downloads in the
// cache only.
//
// The CARGO_REGISTRY setting replaces Cargo's default registry through
// /.cargo/config.toml (see CargoConfigDir), which `cargo install` does not
// read: it is given `--config` with that file, only when the setting is
// given.
type cargo struct{}

func (cargo) Name() string { return "cargo" }

func (cargo) Programs() []string { return []string{"cargo", "xx-cargo"} }

// cargoCaches are the pure caches of CARGO_HOME.
var cargoCaches = []string{"registry/index", "registry/cache", "git/db"}

// cargoIdle are subcommands that download nothing; any other, third-party
// ones (chef, zigbuild, nextest) and aliases included, may.
var cargoIdle = []string{"", "version", "help", "fmt", "clean", "new", "init", "login", "logout", "owner", "yank", "uninstall", "locate-project", "verify-project", "config", "report", "search"}

var cargoValued = []string{"-Z", "--config", "-C", "--color", "--explain"}

func isCargo(c shell.Command) bool { return c.Base() == "cargo" || c.Base() == "xx-cargo" }

// cargoVerb is the subcommand, past a rustup toolchain (`cargo +nightly`).
// xx-cargo's own flags (--print-target-triple) read as options.
func cargoVerb(c shell.Command) string {
	w := c.Words()
	for len(w) > 0 && strings.HasPrefix(w[0], "+") {
		w = w[1:]
	}
	return verb(w, cargoValued...)
}

func (r cargo) Apply(s *Step, p *Plan) {
	var runs []shell.Command
	fetch := false
	for _, c := range s.Commands {
		if !isCargo(c) {
			continue
		}
		switch v := cargoVerb(c); {
		case v == "fetch":
			fetch = true
		case !slices.Contains(cargoIdle, v):
			runs = append(runs, c)
		}
	}
	if !fetch && len(runs) == 0 {
		return
	}
	p.addManager(r.Name())
	for _, c := range s.Commands {
		if c.Base() == "cargo" && cargoVerb(c) == "install" {
			cargoInstallConfig(s, p, c)
		}
	}
	if fetch {
		p.note("cargo: `cargo fetch` fills CARGO_HOME for later offline steps; left as written")
		return
	}
	for _, c := range runs {
		if cargoOffline(s, c) {
			p.note("cargo: the step runs offline and reads the registry the image holds; left as written")
			return
		}
	}
	c := runs[0]
	if v, ok := exportsVar(s, "CARGO_HOME"); ok {
		p.note("cargo: the script sets " + v + " itself; left as written")
		return
	}
	home, ok := s.env(c, "CARGO_HOME")
	if !ok || home == "" {
		h, known := s.home(c)
		if !known {
			p.note("cargo: CARGO_HOME is unknown for user " + s.owner(c) + "; not cached")
			return
		}
		home = path.Join(h, ".cargo")
	}
	targets := make([]string, len(cargoCaches))
	for i, d := range cargoCaches {
		targets[i] = path.Join(home, d)
	}
	switch {
	case s.cacheMounted(targets...):
		p.note("cargo: the step mounts its own cargo cache; left as written")
		return
	case s.owner(c) != "0":
		p.note("cargo: runs as " + s.owner(c) + "; mounts in CARGO_HOME would leave root-owned directories there, so it is not cached")
		return
	}
	for i, d := range cargoCaches {
		p.addMount(Mount{Target: targets[i], ID: s.id("cargo", d), Sharing: Locked, Owner: "0"})
	}
	spareMounts(s, p)
}

// cargoInstallConfig has `cargo install` read the config file of the
// CARGO_REGISTRY setting when the step has one: install reads no working
// directory's config but that of --path, so the mirror in /.cargo would not
// reach it. The flag goes after a rustup `+toolchain`, which must come
// first.
func cargoInstallConfig(s *Step, p *Plan, c shell.Command) {
	if slices.ContainsFunc(c.Words(), func(w string) bool { return w == "--path" || strings.HasPrefix(w, "--path=") }) {
		return
	}
	if !s.Spliceable || c.Nested || c.NameEnd < 0 {
		p.note("cargo: `cargo install` in a nested shell or an exec form does not get the CARGO_REGISTRY mirror")
		return
	}
	at := c.NameEnd
	for _, a := range c.Args {
		if !a.Literal || !strings.HasPrefix(a.Value, "+") {
			break
		}
		at = a.End
	}
	p.Edits = append(p.Edits, shell.Edit{Start: at, End: at, Text: " ${" + CargoConfigVar + ":+--config=$" + CargoConfigVar + "}"})
}

// cargoOffline reports whether c runs without the network.
func cargoOffline(s *Step, c shell.Command) bool {
	w := c.Words()
	if slices.Contains(w, "--offline") || slices.Contains(w, "--frozen") || slices.Contains(w, "net.offline=true") {
		return true
	}
	v, _ := s.env(c, "CARGO_NET_OFFLINE")
	return v == "true" || v == "1"
}
