package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/cachefront/cachefront/frontend/builder"
	"github.com/moby/buildkit/frontend/dockerfile/dockerfile2llb"
	"github.com/pkg/errors"
)

// File statuses of a survey.
const (
	statusOK       = "ok"
	statusFailed   = "failed"
	statusTemplate = "not a Dockerfile"
)

// unparsedNote is how a step report says that its shell script could not be
// parsed (frontend/builder/step.go).
const unparsedNote = "could not be parsed"

// surveyFile is what the survey found in one file.
type surveyFile struct {
	Path   string `json:"path"`
	Status string `json:"status"`
	// Error is why planning failed, with the Dockerfile location.
	Error string `json:"error,omitempty"`
	// Reason says why the file is not a Dockerfile.
	Reason string `json:"reason,omitempty"`
	// Runs counts the RUN steps of every stage; Cached those cachefront
	// adds a cache mount to.
	Runs   int `json:"runs"`
	Cached int `json:"cached"`
	// Managers counts the steps each package manager was detected in.
	Managers map[string]int `json:"managers"`
	// Unparsed are the steps left as written because the shell script could
	// not be parsed.
	Unparsed []surveyStep `json:"unparsed"`
	Notes    []string     `json:"notes"`
	// Steps are the plan of every RUN step, as `cachefront plan` gives it.
	Steps []*builder.StepReport `json:"steps"`
}

type surveyStep struct {
	Line int    `json:"line"`
	Note string `json:"note"`
}

type managerCount struct {
	Name  string `json:"name"`
	Steps int    `json:"steps"`
	Files int    `json:"files"`
}

type surveySummary struct {
	Files       int            `json:"files"`
	OK          int            `json:"ok"`
	Failed      int            `json:"failed"`
	Templates   int            `json:"not_dockerfile"`
	Runs        int            `json:"runs"`
	WithManager int            `json:"with_manager"`
	Cached      int            `json:"cached"`
	Unparsed    int            `json:"unparsed"`
	Managers    []managerCount `json:"managers"`
}

type surveyResult struct {
	Files   []*surveyFile `json:"files"`
	Summary surveySummary `json:"summary"`
}

// runSurvey is `cachefront survey`; it returns the exit code: 1 when a file
// failed (templates are no failure) or there is no Dockerfile under DIR.
func runSurvey(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("survey", flag.ContinueOnError)
	fs.SetOutput(stderr)
	format := fs.String("format", "text", "output format: text or json")
	buildArgs := buildArgFlag(fs, "build-time variable K=V for every file (repeatable)")
	if !parseFlags(fs, args, format, stderr) {
		return 2
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "cachefront survey: one directory expected")
		return 2
	}
	dir := fs.Arg(0)
	paths, err := findDockerfiles(dir)
	if err != nil {
		fmt.Fprintf(stderr, "cachefront survey: %v\n", err)
		return 1
	}
	if len(paths) == 0 {
		fmt.Fprintf(stderr, "cachefront survey: no Dockerfile under %s\n", dir)
		return 1
	}
	res := &surveyResult{}
	for _, p := range paths {
		res.Files = append(res.Files, surveyOne(dir, p, buildArgs))
	}
	res.Summary = summarize(res.Files)
	if *format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			return 1
		}
	} else {
		printSurvey(stdout, res)
	}
	if res.Summary.Failed > 0 {
		return 1
	}
	return 0
}

// findDockerfiles lists, sorted, the files under dir named Dockerfile,
// Dockerfile.*, *.Dockerfile or *.dockerfile. Hidden directories are skipped.
func findDockerfiles(dir string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if p != dir && strings.HasPrefix(name, ".") {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Type().IsRegular() && isDockerfileName(name) {
			out = append(out, p)
		}
		return nil
	})
	slices.Sort(out)
	return out, err
}

func isDockerfileName(name string) bool {
	return name == "Dockerfile" || strings.HasPrefix(name, "Dockerfile.") ||
		strings.HasSuffix(name, ".Dockerfile") || strings.HasSuffix(name, ".dockerfile")
}

// surveyOne plans every stage of one file: the default target and each
// named stage, so that steps of stages the default target does not build
// are counted too. A step shared by several targets counts once. An unnamed
// stage that no other stage uses can't be a target and is not counted.
func surveyOne(dir, path string, buildArgs map[string]string) *surveyFile {
	rel, err := filepath.Rel(dir, path)
	if err != nil {
		rel = path
	}
	f := &surveyFile{Path: rel, Managers: map[string]int{}, Unparsed: []surveyStep{}, Notes: []string{}, Steps: []*builder.StepReport{}}
	dt, err := os.ReadFile(path)
	if err != nil {
		f.Status, f.Error = statusFailed, err.Error()
		return f
	}
	tmpl := findTemplate(dt)
	if tmpl != nil && tmpl.control {
		f.Status, f.Reason = statusTemplate, tmpl.String()
		return f
	}
	err = f.plan(dt, rel, buildArgs)
	switch {
	case err != nil && tmpl != nil:
		f.Status, f.Reason = statusTemplate, tmpl.String()+"; upstream's parser: "+err.Error()
	case err != nil:
		f.Status, f.Error = statusFailed, describe(err, rel)
	default:
		f.Status = statusOK
		if tmpl != nil {
			f.Notes = append(f.Notes, tmpl.String()+", read by upstream as plain text")
		}
	}
	if f.Status != statusOK {
		f.Steps = []*builder.StepReport{}
		f.Managers, f.Unparsed, f.Notes = map[string]int{}, []surveyStep{}, []string{}
		return f
	}
	for _, s := range f.Steps {
		f.Runs++
		if len(s.Mounts) > 0 {
			f.Cached++
		}
		for _, m := range s.Managers {
			f.Managers[m]++
		}
		for _, n := range s.Notes {
			if strings.Contains(n, unparsedNote) {
				f.Unparsed = append(f.Unparsed, surveyStep{Line: s.Line, Note: n})
			}
		}
	}
	return f
}

// plan plans the default target, then every named stage, and collects the
// steps and the notes that are not about unresolved base images (every
// plan has those).
func (f *surveyFile) plan(dt []byte, name string, buildArgs map[string]string) error {
	targets := []string{""}
	if list, err := dockerfile2llb.ListTargets(context.Background(), dt); err == nil {
		for _, t := range list.Targets {
			if t.Name != "" && !t.Default {
				targets = append(targets, t.Name)
			}
		}
	}
	seen := map[string]bool{}
	notes := map[string]bool{}
	for _, target := range targets {
		p, err := builder.MakePlan(context.Background(), dt, builder.PlanOpt{Filename: name, Target: target, BuildArgs: buildArgs})
		if err != nil {
			if target != "" {
				return errors.Wrapf(err, "target %s", target)
			}
			return err
		}
		for _, s := range p.Steps {
			key := fmt.Sprintf("%d/%s", s.Line, s.Stage)
			if !seen[key] {
				seen[key] = true
				f.Steps = append(f.Steps, s)
			}
		}
		for _, n := range p.Notes {
			if !strings.HasPrefix(n, "base image ") && !notes[n] {
				notes[n] = true
				f.Notes = append(f.Notes, n)
			}
		}
	}
	slices.SortStableFunc(f.Steps, func(a, b *builder.StepReport) int { return a.Line - b.Line })
	return nil
}

func summarize(files []*surveyFile) surveySummary {
	s := surveySummary{Files: len(files), Managers: []managerCount{}}
	steps, inFiles := map[string]int{}, map[string]int{}
	for _, f := range files {
		switch f.Status {
		case statusOK:
			s.OK++
		case statusFailed:
			s.Failed++
		case statusTemplate:
			s.Templates++
		}
		s.Runs += f.Runs
		s.Cached += f.Cached
		s.Unparsed += len(f.Unparsed)
		for _, st := range f.Steps {
			if len(st.Managers) > 0 {
				s.WithManager++
			}
		}
		for m, n := range f.Managers {
			steps[m] += n
			inFiles[m]++
		}
	}
	for _, m := range slices.Sorted(maps.Keys(steps)) {
		s.Managers = append(s.Managers, managerCount{Name: m, Steps: steps[m], Files: inFiles[m]})
	}
	return s
}

func printSurvey(w io.Writer, res *surveyResult) {
	for _, f := range res.Files {
		switch f.Status {
		case statusFailed:
			fmt.Fprintf(w, "FAILED %s\n", f.Error)
		case statusTemplate:
			fmt.Fprintf(w, "SKIP   %s: not a Dockerfile: %s\n", f.Path, f.Reason)
		default:
			fmt.Fprintf(w, "ok     %s: %s\n", f.Path, fileCounts(f))
		}
		for _, u := range f.Unparsed {
			fmt.Fprintf(w, "         line %d: %s\n", u.Line, u.Note)
		}
		for _, n := range f.Notes {
			fmt.Fprintf(w, "         note: %s\n", n)
		}
	}
	s := res.Summary
	fmt.Fprintf(w, "\n%d files: %d ok, %d failed, %d not a Dockerfile\n", s.Files, s.OK, s.Failed, s.Templates)
	fmt.Fprintf(w, "%d RUN steps: %d run a package manager, %d get a cache mount, %d left as written (shell not parsed)\n",
		s.Runs, s.WithManager, s.Cached, s.Unparsed)
	if len(s.Managers) == 0 {
		return
	}
	fmt.Fprintf(w, "\n%-12s %6s %6s\n", "manager", "steps", "files")
	for _, m := range s.Managers {
		fmt.Fprintf(w, "%-12s %6d %6d\n", m.Name, m.Steps, m.Files)
	}
}

// fileCounts is "9 RUN, 4 cached (apt 3, pip 1)".
func fileCounts(f *surveyFile) string {
	out := fmt.Sprintf("%d RUN, %d cached", f.Runs, f.Cached)
	if len(f.Managers) == 0 {
		return out
	}
	var ms []string
	for _, m := range slices.Sorted(maps.Keys(f.Managers)) {
		ms = append(ms, fmt.Sprintf("%s %d", m, f.Managers[m]))
	}
	return out + " (" + strings.Join(ms, ", ") + ")"
}
