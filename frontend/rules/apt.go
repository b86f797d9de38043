package rules

import (
	"path"
	"slices"
	"strings"

	"github.com/cachefront/cachefront/frontend/shell"
	"mvdan.cc/sh/v3/syntax"
)

// apt caches downloaded .debs (and, when the step deletes them anyway, the
// package lists). Debian and Ubuntu images ship docker-clean, an apt.conf.d
// file whose hooks delete /var/cache/apt/archives/*.deb after every run, and
// the apt binary does not keep packages by default. Rather than fight both,
// apt is pointed for this step alone, through a transient apt.conf.d file, at
// archives in the cache mount and told to keep them; docker-clean's hooks
// then clean the image's empty archives, as they always do.
//
// Lists move into the cache only when the step fetches them before reading
// them and its last word on them is a deletion: then the image has no lists
// either way. A step that keeps its lists keeps them in the image, as
// upstream does.
//
// Wrappers: tonistiigi/xx's xx-apt-get and xx-apt run apt-get or apt with
// the step's configuration, so they are apt. Bitnami's install_packages (in
// minideb and the images built on it) runs `apt-get update`, `apt-get
// install` and then `rm -r /var/lib/apt/lists /var/cache/apt/archives`, with
// no -f: both must exist when it ends. With archives and lists in the cache,
// apt creates neither, so for such a step the transient file adds an
// APT::Update::Pre-Invoke hook that creates them before each update; the
// script then deletes them as it always did. The script inside the image is
// never edited. A script that defines its own install_packages function
// runs that function instead, and its commands are read as they are.
type apt struct{}

const (
	aptCache           = CacheRoot + "/apt"
	aptConf            = "/etc/apt/apt.conf.d/zz-cachefront"
	aptLists           = "/var/lib/apt/lists"
	aptArchives        = "/var/cache/apt/archives"
	bitnamiInstaller   = "install_packages"
	bitnamiCreatesDirs = `APT::Update::Pre-Invoke { "mkdir -p ` + aptLists + ` ` + aptArchives + `"; };`
)

func (apt) Name() string { return "apt" }

func (apt) Programs() []string {
	return []string{"apt-get", "apt", "xx-apt-get", "xx-apt", bitnamiInstaller}
}

var aptDownloads = []string{"update", "install", "upgrade", "dist-upgrade", "full-upgrade", "build-dep", "source", "download", "reinstall"}

// aptValued are apt-get options that take a value.
var aptValued = []string{"-o", "--option", "-c", "--config-file", "-t", "--target-release", "-a", "--host-architecture"}

func isApt(c shell.Command) bool {
	switch c.Base() {
	case "apt-get", "apt", "xx-apt-get", "xx-apt":
		return true
	}
	return false
}

func (r apt) Apply(s *Step, p *Plan) {
	var runs, updates, bitnami bool
	for _, c := range s.Commands {
		switch v := verb(c.Words(), aptValued...); {
		case isBitnamiInstaller(s, c):
			runs, updates, bitnami = true, true, true
		case isApt(c) && slices.Contains(aptDownloads, v):
			runs = true
			updates = updates || v == "update"
		}
	}
	if !runs {
		return
	}
	p.addManager(r.Name())
	if s.cacheMounted("/var/cache/apt", "/var/lib/apt") {
		p.note("apt: the step mounts its own apt cache; left as written")
		return
	}
	lists := aptListsGone(s)
	conf := []string{
		`Dir::Cache::archives "` + aptCache + `/archives/";`,
		`APT::Keep-Downloaded-Packages "true";`,
		`Binary::apt::APT::Keep-Downloaded-Packages "true";`,
	}
	dirs := []string{"archives/partial"}
	if lists {
		conf = append(conf, `Dir::State::lists "`+aptCache+`/lists/";`)
		dirs = append(dirs, "lists/partial")
	}
	if bitnami {
		conf = append(conf, bitnamiCreatesDirs)
	}
	p.addMount(Mount{
		Target:  aptCache,
		ID:      s.id("apt", baseKey(s.Base), platformKey(s.Platform)),
		Sharing: Locked, // apt takes fcntl locks in the cache; two builds at once would fail
		Owner:   "0",
		Dirs:    dirs,
	})
	p.Files = append(p.Files, File{Target: aptConf, Content: strings.Join(conf, "\n") + "\n"})
	if !lists && updates {
		p.note("apt: package lists stay in the image (the step keeps them, or reads them before it updates them), so `apt-get update` downloads them again")
	}
	for _, c := range s.Commands {
		if !isApt(c) {
			continue
		}
		switch v := verb(c.Words(), aptValued...); v {
		case "clean", "autoclean", "auto-clean":
			// Clean the image's default archives (what upstream cleans), not the cache.
			p.neutralize(s, c, c.Base()+" "+v, shell.Edit{Start: c.NameEnd, End: c.NameEnd, Text: " -o Dir::Cache::archives=" + aptArchives + "/"})
		}
	}
}

// aptListsGone reports whether the step may keep its package lists in the
// cache: it fetches them before any command reads them, and the last
// command that touches them deletes them, so that the image ends without
// lists either way. install_packages does both.
func aptListsGone(s *Step) bool {
	fetched, readFirst, gone := false, false, false
	for _, c := range s.Commands {
		switch v := verb(c.Words(), aptValued...); {
		case isBitnamiInstaller(s, c):
			fetched, gone = true, true
		case isApt(c) && v == "update":
			fetched, gone = true, false
		case isApt(c) && slices.Contains(aptDownloads, v):
			readFirst = readFirst || !fetched
		case rmDeletes(c, aptLists):
			gone = true
		}
	}
	return fetched && !readFirst && gone
}

// isBitnamiInstaller reports whether c runs Bitnami's install_packages
// rather than a shell function of that name the script defines.
func isBitnamiInstaller(s *Step, c shell.Command) bool {
	return c.Base() == bitnamiInstaller && !definesFunction(s.Script, bitnamiInstaller)
}

// definesFunction reports whether script defines the shell function name.
func definesFunction(script, name string) bool {
	if !strings.Contains(script, name) {
		return false
	}
	f, err := syntax.NewParser(syntax.Variant(syntax.LangBash)).Parse(strings.NewReader(script), "")
	if err != nil {
		return false
	}
	found := false
	syntax.Walk(f, func(n syntax.Node) bool {
		if fd, ok := n.(*syntax.FuncDecl); ok && fd.Name != nil && fd.Name.Value == name {
			found = true
		}
		return !found
	})
	return found
}

// rmDeletes reports whether c is an rm that deletes dir, its contents or a
// directory above it. Only literal absolute paths count.
func rmDeletes(c shell.Command, dir string) bool {
	if c.Base() != "rm" {
		return false
	}
	for _, a := range c.Args {
		if !a.Literal || !strings.HasPrefix(a.Value, "/") {
			continue
		}
		p := path.Clean(strings.TrimSuffix(a.Value, "*"))
		if within(p, dir) || within(dir, p) {
			return true
		}
	}
	return false
}

// baseKey turns an image name into one id part: "debian:bookworm".
func baseKey(base string) string {
	if base == "" {
		return "scratch"
	}
	return strings.NewReplacer("/", "_", "@", "_").Replace(base)
}
