package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/cachefront/cachefront/hack/testenv"
	"github.com/pkg/errors"
)

// A scenario is a project under scenarios/<name>: its Dockerfile as people
// write it (Dockerfile), the same with the cache mounts a careful user
// writes by hand (Dockerfile.expert), and the changes its warm rebuilds make,
// one after the other.
type scenario struct {
	name string
	// include copies other scenarios' project files into subdirectories of
	// the context: subdirectory → scenario.
	include map[string]string
	changes []change
	// wheels are what the local package index serves (pip).
	wheels []testenv.Wheel
}

// A change turns a project into its next version; its warm rebuild is the
// phase of the same name.
type change struct {
	phase string
	// overlay copies a directory under scenarios/ over a context
	// subdirectory: context subdirectory → source directory.
	overlay map[string]string
	edits   []edit
}

// An edit replaces old by new in a context file; an empty old appends new.
type edit struct{ file, old, new string }

// changeDirs are the scenario directories that hold changes, not project
// files.
var changeDirs = []string{"bump"}

var scenarios = []scenario{
	{name: "apt", changes: []change{{phase: "warm", edits: []edit{
		{"Dockerfile", "curl ca-certificates", "curl ca-certificates jq"},
		{"Dockerfile.expert", "curl ca-certificates", "curl ca-certificates jq"},
	}}}},
	{name: "npm", changes: []change{{phase: "warm", overlay: map[string]string{".": "npm/bump"}}}},
	{name: "go", changes: []change{
		{phase: "warm-bump", overlay: map[string]string{".": "go/bump"}},
		{phase: "warm-edit", edits: []edit{{"main.go", `"hello, world"`, `"hello, bench"`}}},
	}},
	{name: "pip", changes: []change{{phase: "warm", edits: []edit{{"requirements.txt", "", "cfretry==1.0.0\n"}}}},
		wheels: []testenv.Wheel{
			{Name: "cfnumeric", Version: "1.0.0", Size: 8 << 20},
			{Name: "cfframes", Version: "1.0.0", Size: 6 << 20},
			{Name: "cfplot", Version: "1.0.0", Size: 4 << 20},
			{Name: "cfhttp", Version: "1.0.0", Size: 1 << 20},
			{Name: "cfyaml", Version: "1.0.0", Size: 512 << 10},
			{Name: "cfutil", Version: "1.0.0", Size: 256 << 10},
			{Name: "cfretry", Version: "1.0.0", Size: 64 << 10},
		}},
	{name: "mixed", include: map[string]string{"api": "go", "web": "npm"}, changes: []change{{phase: "warm",
		overlay: map[string]string{"api": "go/bump", "web": "npm/bump"},
		edits: []edit{
			{"Dockerfile", "curl git", "curl git jq"},
			{"Dockerfile.expert", "curl git", "curl git jq"},
		}}}},
}

// phases are the scenario's phases in the order they run.
func (s scenario) phases() []string {
	out := []string{"cold"}
	for _, c := range s.changes {
		out = append(out, c.phase)
	}
	return out
}

// prepare writes the scenario's first version into dir.
func (s scenario) prepare(root, dir string) error {
	if err := copyProject(filepath.Join(root, s.name), dir, true); err != nil {
		return err
	}
	for sub, from := range s.include {
		if err := copyProject(filepath.Join(root, from), filepath.Join(dir, sub), false); err != nil {
			return err
		}
	}
	return nil
}

// apply makes change c in dir.
func (c change) apply(root, dir string) error {
	for sub, from := range c.overlay {
		if err := copyProject(filepath.Join(root, from), filepath.Join(dir, sub), false); err != nil {
			return err
		}
	}
	for _, e := range c.edits {
		p := filepath.Join(dir, e.file)
		dt, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		text := string(dt)
		switch {
		case e.old == "":
			text += e.new
		case strings.Contains(text, e.old):
			text = strings.Replace(text, e.old, e.new, 1)
		default:
			return errors.Errorf("change %s: %q not in %s", c.phase, e.old, e.file)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// copyProject copies a scenario directory's files into dir, leaving out its
// changes and, unless dockerfiles is set, its Dockerfiles.
func copyProject(from, dir string, dockerfiles bool) error {
	return filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		if d.IsDir() {
			if rel != "." && isChangeDir(rel) {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dir, rel), 0o755)
		}
		if !dockerfiles && strings.HasPrefix(d.Name(), "Dockerfile") {
			return nil
		}
		dt, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, rel), dt, 0o644)
	})
}

func isChangeDir(rel string) bool {
	for _, c := range changeDirs {
		if rel == c {
			return true
		}
	}
	return false
}
