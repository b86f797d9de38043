package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/moby/buildkit/client"
)

// report is one run of the bench, as BENCHMARKS.md shows it.
type report struct {
	Started, Finished time.Time
	Command           string
	Reps              int
	Mbit              float64
	Scenarios         []scenario
	Links             []link
	Records           []record
	Convert           *convertResult
	Step              *stepResult
	Versions          string // of what was measured, when the run started
	SlowCold          bool
}

// Goals, from the benchmark issue.
const (
	goalVsExpert  = 1.05 // warm cachefront ≤ 105% of expert, time and bytes
	goalSpeedup   = 3.0  // slow-link warm plain ÷ warm cachefront
	goalBytes     = 0.05 // warm cachefront bytes ≤ 5% of plain's
	goalConverter = 1.10 // conversion with rewrite ≤ 110% of upstream's
)

func (r *report) write(path, jsonPath string) error {
	if jsonPath != "" {
		if err := writeJSON(jsonPath, r.Records); err != nil {
			return err
		}
	}
	var b bytes.Buffer
	r.render(&b)
	return os.WriteFile(path, b.Bytes(), 0o644)
}

func (r *report) render(b *bytes.Buffer) {
	fmt.Fprintf(b, "# Benchmarks\n\nWritten by `%s` (`make bench`), started %s", strings.TrimSpace(r.Command), r.Started.Format("2006-01-02 15:04 UTC"))
	if !r.Finished.IsZero() {
		fmt.Fprintf(b, ", %s in all", r.Finished.Sub(r.Started).Round(time.Minute))
	} else {
		b.WriteString(" (partial: the run had not finished when this was written)")
	}
	b.WriteString(". Run the command again to regenerate it; don't edit it by hand.\n\n")
	fmt.Fprintf(b, "Machine: %s. Versions: %s.\n\n", machine(), r.Versions)
	b.WriteString(method)
	fmt.Fprintf(b, "Repetitions: %d. Links: %s.", r.Reps, r.linkNames())
	if len(r.Links) > 1 && !r.SlowCold {
		b.WriteString(" Cold builds ran on the first link only (`-slow-cold=false`): the other links' warm phases start from a copy of the builder state the cold build left, which is the same state whatever the link.")
	}
	b.WriteString("\n\n")
	r.renderGoals(b)
	for _, s := range r.Scenarios {
		r.renderScenario(b, s)
	}
	r.renderStep(b)
	r.renderConvert(b)
}

const method = `Each scenario under [hack/bench/scenarios](hack/bench/scenarios) is built by three variants: **plain**, upstream's Dockerfile frontend on the Dockerfile as people write it; **expert**, upstream on the same Dockerfile with the cache mounts a careful user writes by hand (` + "`Dockerfile.expert`" + `); **cachefront**, the plain Dockerfile through cachefront. Both frontends run in-process (no frontend image pull). Every sequence starts a buildkitd with empty state, as a throw-away CI builder has: **cold** is the first build, each **warm** phase a rebuild after the scenario's next change. Upstream bytes are what a forward proxy on loopback received from upstream servers during the phase (the package registries, and the local package index for pip), handed to the builds through the standard proxy build args, which BuildKit keeps out of cache keys; on the slow link the same proxy lets through no more than the link's speed, all connections together. Base images come from the test bed's local registry and are not counted. Cells show the median, the range (min–max) over the repetitions, and the median upstream bytes.

`

func (r *report) linkNames() string {
	var out []string
	for _, l := range r.Links {
		out = append(out, l.name)
	}
	return strings.Join(out, ", ")
}

// cell is the records of one table cell.
func (r *report) cell(scenario, variant, phase, link string) []record {
	var out []record
	for _, rec := range r.Records {
		if rec.Scenario == scenario && rec.Variant == variant && rec.Phase == phase && rec.Link == link {
			out = append(out, rec)
		}
	}
	return out
}

func median[T float64 | time.Duration](xs []T) T {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func seconds(recs []record) []float64 {
	var out []float64
	for _, r := range recs {
		out = append(out, r.Seconds)
	}
	return out
}

func upstreamBytes(recs []record) []float64 {
	var out []float64
	for _, r := range recs {
		out = append(out, float64(r.UpstreamBytes))
	}
	return out
}

func (r *report) renderScenario(b *bytes.Buffer, s scenario) {
	fmt.Fprintf(b, "## %s\n\n%s\n\n| phase | link |", s.name, describe(s))
	for _, v := range variants {
		fmt.Fprintf(b, " %s |", v.name)
	}
	b.WriteString(" cachefront ÷ expert | plain ÷ cachefront |\n|---|---|")
	for range variants {
		b.WriteString("---|")
	}
	b.WriteString("---|---|\n")
	for _, phase := range s.phases() {
		for _, l := range r.Links {
			fmt.Fprintf(b, "| %s | %s |", phase, l.name)
			med := map[string]float64{}
			for _, v := range variants {
				recs := r.cell(s.name, v.name, phase, l.name)
				if len(recs) == 0 {
					b.WriteString(" – |")
					continue
				}
				secs := seconds(recs)
				med[v.name] = median(secs)
				fmt.Fprintf(b, " %.1f s (%.1f–%.1f) · %s |", med[v.name], slices.Min(secs), slices.Max(secs), size(int64(median(upstreamBytes(recs)))))
			}
			fmt.Fprintf(b, " %s | %s |\n", ratio(med["cachefront"], med["expert"], "%.2f"), ratio(med["plain"], med["cachefront"], "%.1f×"))
		}
	}
	b.WriteString("\n")
}

func ratio(a, b float64, format string) string {
	if a == 0 || b == 0 {
		return "–"
	}
	return fmt.Sprintf(format, a/b)
}

var descriptions = map[string]string{
	"apt":   "About 100 MB of Debian packages (build-essential, git, python3, curl) in one `apt-get` RUN; warm: add `jq`.",
	"npm":   "`npm ci` of a lockfile with 401 packages (express, webpack, jest, lodash); warm: bump express 4.18.2 → 4.19.2 (a second committed lockfile).",
	"go":    "`go mod download` and `go build` of a program using cobra, uuid, golang.org/x/text and yaml.v3; warm-bump: uuid v1.5.0 → v1.6.0; warm-edit: edit one source file after that.",
	"pip":   "`pip install -r requirements.txt` of six wheels (20 MB) from a local PEP 503 index; warm: add a seventh, small one.",
	"mixed": "Three stages: the go scenario's program, the npm scenario's `npm ci`, and a Debian runtime stage installing curl and git; warm: bump uuid and express, add `jq`.",
}

func describe(s scenario) string { return descriptions[s.name] }

// renderGoals says where each goal stands, scenario by scenario.
func (r *report) renderGoals(b *bytes.Buffer) {
	if len(r.Records) == 0 && r.Convert == nil {
		return
	}
	b.WriteString("## Goals\n\n| goal | where it stands | met |\n|---|---|---|\n")
	full, slow := "", ""
	for _, l := range r.Links {
		if l.bits == 0 {
			full = l.name
		} else {
			slow = l.name
		}
	}
	type check struct {
		name   string
		link   string
		value  func(s scenario, phase, link string) (float64, bool)
		format string
		ok     func(float64) bool
		// aside, if set, adds to a miss what puts it in context.
		aside func(s scenario, phase, link string) string
	}
	med := func(s scenario, v, phase, link string, bytes bool) float64 {
		recs := r.cell(s.name, v, phase, link)
		if bytes {
			return median(upstreamBytes(recs))
		}
		return median(seconds(recs))
	}
	checks := []check{
		{"warm cachefront within 5% of expert: time (full link)", full, func(s scenario, p, l string) (float64, bool) {
			a, e := med(s, "cachefront", p, l, false), med(s, "expert", p, l, false)
			return a / e, a > 0 && e > 0
		}, "%.2f", func(x float64) bool { return x <= goalVsExpert }, func(s scenario, p, l string) string {
			// Medians of a few repetitions of a build of seconds move by more
			// than 5%: say when the two variants' ranges overlap.
			a, e := seconds(r.cell(s.name, "cachefront", p, l)), seconds(r.cell(s.name, "expert", p, l))
			if len(a) > 0 && len(e) > 0 && slices.Min(a) <= slices.Max(e) {
				return " (ranges overlap)"
			}
			return ""
		}},
		{"warm cachefront within 5% of expert: upstream bytes", full, func(s scenario, p, l string) (float64, bool) {
			a, e := med(s, "cachefront", p, l, true), med(s, "expert", p, l, true)
			// Below 10 kB both are metadata noise: count it as equal.
			if a <= 10e3 && e <= 10e3 {
				return 1, true
			}
			return a / e, e > 0
		}, "%.2f", func(x float64) bool { return x <= goalVsExpert }, nil},
		{fmt.Sprintf("warm cachefront at least 3× faster than plain on the %s link", slow), slow, func(s scenario, p, l string) (float64, bool) {
			a, pl := med(s, "cachefront", p, l, false), med(s, "plain", p, l, false)
			return pl / a, a > 0 && pl > 0
		}, "%.1f×", func(x float64) bool { return x >= goalSpeedup }, func(s scenario, p, l string) string {
			// A miss the hand-written mounts share is the build's, not a gap.
			e, pl := med(s, "expert", p, l, false), med(s, "plain", p, l, false)
			if e <= 0 || pl <= 0 {
				return ""
			}
			return fmt.Sprintf(" (expert %.1f×)", pl/e)
		}},
		{"warm cachefront upstream bytes at most 5% of plain's", full, func(s scenario, p, l string) (float64, bool) {
			a, pl := med(s, "cachefront", p, l, true), med(s, "plain", p, l, true)
			return a / pl, pl > 0
		}, "%.1f%%", func(x float64) bool { return x <= goalBytes }, nil},
	}
	for _, c := range checks {
		if c.link == "" {
			continue
		}
		var parts []string
		met := true
		for _, s := range r.Scenarios {
			for _, p := range s.phases()[1:] {
				x, ok := c.value(s, p, c.link)
				if !ok {
					continue
				}
				shown := x
				if strings.Contains(c.format, "%%") {
					shown = x * 100
				}
				mark := ""
				if !c.ok(x) {
					met, mark = false, " ✗"
					if c.aside != nil {
						mark += c.aside(s, p, c.link)
					}
				}
				parts = append(parts, fmt.Sprintf("%s %s "+c.format+"%s", s.name, p, shown, mark))
			}
		}
		if len(parts) == 0 {
			continue
		}
		fmt.Fprintf(b, "| %s | %s | %s |\n", c.name, strings.Join(parts, "; "), yes(met))
	}
	if c := r.Convert; c != nil {
		fmt.Fprintf(b, "| conversion overhead at most 10%% over upstream | %.0f%% (%d Dockerfiles) | %s |\n", (c.Ratio-1)*100, c.Files, yes(c.Ratio <= goalConverter))
	}
	b.WriteString("\n")
}

func yes(ok bool) string {
	if ok {
		return "yes"
	}
	return "**no**"
}

func (r *report) renderStep(b *bytes.Buffer) {
	st := r.Step
	if st == nil || len(st.Took["plain"]) == 0 {
		return
	}
	fmt.Fprintf(b, "## One package step\n\nWhat a variant puts around every package step, measured on a step that does almost nothing: `RUN %s` on the go scenario's base, after an ARG whose value changes every build so that the step always runs. Each variant built it %d times on one buildkitd, in a rotated order, after one build each that was not timed. The time is the step's, as BuildKit timed its exec: the container and its mounts included, the frontend not. The expert adds two cache mounts; cachefront adds its cache mounts, its settings' optional secrets, and the settings script the step sources.\n\n", stepCommand, st.Rounds)
	b.WriteString("| variant | step time | over plain |\n|---|---|---|\n")
	plain := median(st.Took["plain"])
	for _, v := range variants {
		took := st.Took[v.name]
		if len(took) == 0 {
			continue
		}
		m := median(took)
		fmt.Fprintf(b, "| %s | %d ms (%d–%d) | %+d ms |\n", v.name, m.Milliseconds(), slices.Min(took).Milliseconds(), slices.Max(took).Milliseconds(), (m - plain).Milliseconds())
	}
	b.WriteString("\n")
}

func (r *report) renderConvert(b *bytes.Buffer) {
	c := r.Convert
	if c == nil {
		return
	}
	fmt.Fprintf(b, "## Conversion overhead\n\nDockerfile to LLB, offline (as `cachefront plan` converts), over %d Dockerfiles (the examples, the scenarios and `-corpus`): upstream's conversion alone, and with cachefront's rewrite after it. %d rounds, each one pass of each in turn (alternating which goes first), each pass after a garbage collection: medians, and the median of the rounds' ratios, which the drift of a virtual machine's speed over a run leaves alone. The same benchmark runs as `go test ./hack/bench -run - -bench Convert -corpus DIR` (its ratio sub-benchmark measures the same way).\n\n", c.Files, c.Rounds)
	b.WriteString("| | time per pass | allocated per pass |\n|---|---|---|\n")
	fmt.Fprintf(b, "| upstream | %v | %.1f MB |\n", c.Upstream.Round(time.Microsecond), c.UpstreamMB)
	fmt.Fprintf(b, "| cachefront | %v | %.1f MB |\n", c.Cachefront.Round(time.Microsecond), c.CfMB)
	fmt.Fprintf(b, "| ratio | %.2f | %.2f |\n\n", c.Ratio, c.CfMB/c.UpstreamMB)
	fmt.Fprintf(b, "Where it goes, measured in the same rounds as a share of upstream's pass: llb/rewrite walking every definition with a Func that changes nothing (unmarshal, digest, rebuild) costs %.0f%%, and mvdan.cc/sh parsing the %d scripts of the steps that name a package manager (the ones the rewrite parses) %.0f%%. Those %.0f%% come with the design (rewrite upstream's definition rather than fork its conversion; read shell with a parser); the rest is cachefront's own work on those steps (reading commands through wrappers, the rules, mounts, settings, re-marshalling and re-digesting what changed and what depends on it).\n\n",
		c.NoopRatio*100, c.Parsed, c.ParseRatio*100, (c.NoopRatio+c.ParseRatio)*100)
}

// machine describes the machine the bench ran on.
func machine() string {
	model := "unknown CPU"
	if dt, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(dt), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	mem := ""
	if dt, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int64
		if _, err := fmt.Sscanf(string(dt), "MemTotal: %d kB", &kb); err == nil {
			mem = fmt.Sprintf(", %.0f GiB", float64(kb)/(1<<20))
		}
	}
	kernel, _ := os.ReadFile("/proc/sys/kernel/osrelease")
	return fmt.Sprintf("%s, %d cores%s, Linux %s", model, runtime.NumCPU(), mem, strings.TrimSpace(string(kernel)))
}

// versions names Go, BuildKit and the cachefront commit of the checkout
// at root.
func versions(root, buildkitd string) string {
	out := []string{runtime.Version()}
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, d := range info.Deps {
			if d.Path == "github.com/moby/buildkit" {
				out = append(out, "BuildKit "+d.Version+" (frontends)")
			}
		}
	}
	if buildkitd != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if c, err := client.New(ctx, buildkitd); err == nil {
			if info, err := c.Info(ctx); err == nil {
				v := info.BuildkitVersion.Version
				if strings.HasPrefix(v, "v0.0.0") {
					// Built from the module without version ldflags: the
					// bed pins it in hack/tools/go.mod.
					v = toolsVersion(root, "github.com/moby/buildkit")
				}
				out = append(out, "buildkitd "+v)
			}
			c.Close()
		}
	}
	if rev, err := exec.Command("git", "-C", root, "rev-parse", "--short", "HEAD").Output(); err == nil {
		v := "cachefront " + strings.TrimSpace(string(rev))
		if st, err := exec.Command("git", "-C", root, "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(st) > 0 {
			v += " with uncommitted changes"
		}
		out = append(out, v)
	}
	return strings.Join(out, ", ")
}

// toolsVersion is the version hack/tools/go.mod pins for module, or
// "unknown".
func toolsVersion(root, module string) string {
	out, err := exec.Command("go", "list", "-C", filepath.Join(root, "hack", "tools"), "-m", "-f", "{{.Version}}", module).Output()
	if err != nil || len(bytes.TrimSpace(out)) == 0 {
		return "unknown"
	}
	return string(bytes.TrimSpace(out))
}
