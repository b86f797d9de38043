package builder

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/cachefront/cachefront/frontend/rules"
	"github.com/cachefront/cachefront/llb/rewrite"
	"github.com/moby/buildkit/solver/errdefs"
	"github.com/moby/buildkit/solver/pb"
	"github.com/pkg/errors"
)

// StepReport is what cachefront did to one RUN step. Its JSON form is the
// contract of `cachefront plan --format json`.
type StepReport struct {
	// Line is the 1-based Dockerfile line where the RUN starts; 0 if unknown.
	Line int `json:"line"`
	// Stage is the build stage's name (or its index).
	Stage string `json:"stage"`
	// Managers are the canonical names of the package managers it runs.
	Managers []string `json:"managers"`
	// Mounts are the cache mounts cachefront added.
	Mounts []rules.Mount `json:"mounts"`
	// Env holds the names of the transient variables added.
	Env []string `json:"env"`
	// Settings are the transient settings (mirrors, proxies, CA) the step
	// reads, by name; those given as build args are marked "NAME (build arg)".
	Settings []string `json:"settings"`
	// Neutralized are the cleanups kept from emptying the caches.
	Neutralized []string `json:"neutralized"`
	// Notes say what was left alone and why.
	Notes []string `json:"notes"`

	digest string
	source *pb.SourceInfo
	ranges []*pb.Range
}

// Changed reports whether cachefront changed the step.
func (r *StepReport) Changed() bool {
	return len(r.Mounts) > 0 || len(r.Env) > 0 || len(r.Settings) > 0
}

func newReport(e *rewrite.Exec) *StepReport {
	r := &StepReport{Managers: []string{}, Mounts: []rules.Mount{}, Env: []string{}, Settings: []string{}, Neutralized: []string{}, Notes: []string{}}
	name := e.Description("llb.customname")
	r.Stage = stageOf(name)
	if len(e.Locations) > 0 {
		loc := e.Locations[0]
		if len(loc.Ranges) > 0 {
			r.Line = int(loc.Ranges[0].Start.Line)
			r.ranges = loc.Ranges
		}
		if e.Source != nil && int(loc.SourceIndex) < len(e.Source.Infos) {
			r.source = e.Source.Infos[loc.SourceIndex]
		}
	}
	return r
}

// wrap gives err, if any, the step's Dockerfile location.
func (r *StepReport) wrap(err error) error {
	if err == nil {
		return nil
	}
	return errdefs.WithSource(errors.Wrap(err, "cachefront"), &errdefs.Source{Info: r.source, Ranges: r.ranges})
}

func (r *StepReport) fill(p *rules.Plan, settings []rules.Setting, values map[string]string) {
	r.Managers = append(r.Managers, p.Managers...)
	for _, s := range settings {
		name := s.Name
		if _, ok := values[s.Name]; ok {
			name += " (build arg)"
		}
		r.Settings = append(r.Settings, name)
	}
	r.Mounts = append(r.Mounts, p.Mounts...)
	r.Env = append(r.Env, sortedKeys(p.Env)...)
	r.Neutralized = append(r.Neutralized, p.Neutralized...)
	r.Notes = append(r.Notes, p.Notes...)
	for _, f := range p.Files {
		if f.Target != rules.SettingsScript {
			r.Notes = append(r.Notes, "transient file "+f.Target)
		}
	}
}

// stageOf reads the stage from upstream's vertex name "[linux/arm64 build
// 2/4] RUN ...". Upstream names unnamed stages "stage-N", except the only
// stage of a Dockerfile, which is stage-0.
func stageOf(name string) string {
	const only = "stage-0"
	head, _, ok := strings.Cut(strings.TrimPrefix(name, "["), "] ")
	if !ok || !strings.HasPrefix(name, "[") {
		return only
	}
	fields := strings.Fields(head)
	if n := len(fields); n >= 2 && !strings.Contains(fields[n-2], "/") {
		return fields[n-2]
	}
	return only
}

// Summary is one line per rewritten step, for the build warning.
func Summary(reports []*StepReport) (string, []string) {
	var lines []string
	managers := map[string]bool{}
	for _, r := range reports {
		if !r.Changed() {
			continue
		}
		for _, m := range r.Managers {
			managers[m] = true
		}
		var targets []string
		for _, m := range r.Mounts {
			targets = append(targets, m.Target)
		}
		line := fmt.Sprintf("line %d: %s: cache %s", r.Line, strings.Join(r.Managers, ","), strings.Join(targets, " "))
		if len(r.Managers) == 0 { // a step that builds on another's private tree
			line = fmt.Sprintf("line %d: cache %s", r.Line, strings.Join(targets, " "))
		}
		if len(r.Neutralized) > 0 {
			line += "; kept the cache from " + strings.Join(r.Neutralized, ", ")
		}
		lines = append(lines, line)
	}
	if len(lines) == 0 {
		return "", nil
	}
	names := slices.Sorted(maps.Keys(managers))
	return fmt.Sprintf("cachefront cached package downloads in %d RUN step(s) (%s)", len(lines), strings.Join(names, ", ")), lines
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
