package rules

import (
	"path"
	"slices"
	"strings"

	"github.com/cachefront/cachefront/frontend/shell"
)

// apt caches downloaded .debs (and, when the step deletes them anyway, the
// package lists). Debian and Ubuntu images ship docker-clean, an apt.conf.d
// file whose hooks delete /var/cache/apt/archives/*.deb after every run, and
// the apt binary does not keep packages by default. Rather than fight both,
// apt is pointed for this step alone, through a transient apt.conf.d file, at
// archives in the cache mount and told to keep them; docker-clean's hooks
// then clean the image's empty archives, as they always do.
//
// Lists move into the cache only when the step runs `apt-get update` and
// deletes /var/lib/apt/lists itself: then the image has no lists either way.
// A step that keeps its lists keeps them in the image, as upstream does.
type apt struct{}

const (
	aptCache = CacheRoot + "/apt"
	aptConf  = "/etc/apt/apt.conf.d/zz-cachefront"
	aptLists = "/var/lib/apt/lists"
)

func (apt) Name() string { return "apt" }

var aptDownloads = []string{"update", "install", "upgrade", "dist-upgrade", "full-upgrade", "build-dep", "source", "download", "reinstall"}

// aptValued are apt-get options that take a value.
var aptValued = []string{"-o", "--option", "-c", "--config-file", "-t", "--target-release", "-a", "--host-architecture"}

func isApt(c shell.Command) bool {
	switch c.Base() {
	case "apt-get", "apt":
		return true
	}
	return false
}

func (r apt) Apply(s *Step, p *Plan) {
	var runs, updates bool
	for _, c := range s.Commands {
		if isApt(c) && slices.Contains(aptDownloads, verb(c.Words(), aptValued...)) {
			runs = true
			updates = updates || verb(c.Words(), aptValued...) == "update"
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
	lists := updates && deletesLists(s)
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
	p.addMount(Mount{
		Target:  aptCache,
		ID:      s.id("apt", baseKey(s.Base), platformKey(s.Platform)),
		Sharing: Locked, // apt takes fcntl locks in the cache; two builds at once would fail
		Owner:   "0",
		Dirs:    dirs,
	})
	p.Files = append(p.Files, File{Target: aptConf, Content: strings.Join(conf, "\n") + "\n"})
	if !lists && updates {
		p.note("apt: package lists stay in the image (the step does not delete /var/lib/apt/lists), so `apt-get update` downloads them again")
	}
	for _, c := range s.Commands {
		if !isApt(c) {
			continue
		}
		switch v := verb(c.Words(), aptValued...); v {
		case "clean", "autoclean", "auto-clean":
			// Clean the image's default archives (what upstream cleans), not the cache.
			p.neutralize(s, c, c.Base()+" "+v, shell.Edit{Start: c.NameEnd, End: c.NameEnd, Text: " -o Dir::Cache::archives=/var/cache/apt/archives/"})
		}
	}
}

// deletesLists reports whether the step runs rm on /var/lib/apt/lists.
func deletesLists(s *Step) bool {
	for _, c := range s.Commands {
		if c.Base() != "rm" {
			continue
		}
		for _, a := range c.Args {
			if a.Literal && strings.HasPrefix(path.Clean(strings.TrimSuffix(a.Value, "*")), aptLists) {
				return true
			}
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
