package rules

import (
	"path"
	"slices"
	"strings"

	"github.com/cachefront/cachefront/frontend/shell"
)

// nvm keeps the Node.js archives `nvm install` downloads in $NVM_DIR/.cache
// (bin/ and src/, by archive name, which carries OS and architecture) and
// unpacks them into $NVM_DIR/versions, which stays in the image. nvm has no
// setting to move the cache, so it is mounted in place, found from NVM_DIR
// or from the nvm.sh the step sources. nvm writes archives under their
// final names (resuming partial downloads with curl -C -), so two installs
// at once could clash: locked. `nvm cache clear` is neutralised.
type nvm struct{}

func (nvm) Name() string { return "nvm" }

func (nvm) Programs() []string { return []string{"nvm"} }

func (r nvm) Apply(s *Step, p *Plan) {
	var runs, cleans []shell.Command
	for _, c := range s.Commands {
		if c.Base() != "nvm" {
			continue
		}
		w := c.Words()
		switch v := verb(w); {
		case v == "install":
			runs = append(runs, c)
		case v == "cache" && slices.Contains(w, "clear"):
			cleans = append(cleans, c)
		}
	}
	if len(runs) == 0 {
		return
	}
	p.addManager(r.Name())
	c := runs[0]
	dir, ok := s.jsEnv(c, "NVM_DIR")
	if !ok {
		dir, ok = sourcedNvm(s)
	}
	if !ok {
		p.note("nvm: NVM_DIR is unknown (set it with ENV); downloads are not cached")
		return
	}
	target := path.Join(dir, ".cache")
	if s.cacheMounted(target) {
		p.note("nvm: the step mounts its own nvm cache; left as written")
		return
	}
	p.addMount(Mount{Target: target, ID: s.id("nvm"), Sharing: Locked, Owner: s.owner(c)})
	for _, c := range cleans {
		p.neutralize(s, c, "nvm cache clear", shell.Edit{Start: c.Start, End: c.End, Text: "true"})
	}
}

// sourcedNvm finds the directory of the nvm.sh the step sources
// (". /usr/local/nvm/nvm.sh"), which nvm takes as NVM_DIR when unset.
func sourcedNvm(s *Step) (string, bool) {
	for _, c := range s.Commands {
		if (c.Name == "." || c.Name == "source") && len(c.Args) > 0 {
			a := c.Args[0]
			if a.Literal && path.IsAbs(a.Value) && strings.HasSuffix(a.Value, "/nvm.sh") {
				return path.Dir(a.Value), true
			}
		}
	}
	return "", false
}
