// Command bench measures cachefront against upstream's Dockerfile frontend
// and against hand-written cache mounts, side by side on the test bed, and
// writes BENCHMARKS.md.
//
// Each scenario (scenarios/<name>) is built by three variants: plain
// (upstream, the Dockerfile as people write it), expert (upstream, the same
// Dockerfile with hand-written cache mounts) and cachefront (the plain
// Dockerfile through cachefront). A sequence starts a buildkitd with empty
// state, builds the project cold, then rebuilds after each of the scenario's
// changes (warm phases). Builds download through a forward proxy on loopback
// that counts the bytes it receives from upstream, handed to them through the
// standard proxy build args; a second pass makes the proxy a slow link.
// Variants are interleaved, each repetition in a rotated order.
//
//	eval "$(hack/testbed env)"; go run ./hack/bench [-reps 3] [-json PATH]
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/cachefront/cachefront/hack/testenv"
	"github.com/pkg/errors"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run() error {
	var (
		reps      = flag.Int("reps", 3, "repetitions of every sequence")
		only      = flag.String("scenarios", "", "comma-separated scenarios to run (default: all)")
		mbit      = flag.Float64("link-mbit", 20, "the constrained link's speed, in Mbit/s")
		links     = flag.String("links", "full,slow", "links to measure: full (all the machine has) and slow (-link-mbit)")
		jsonPath  = flag.String("json", "", "also write one JSON record per build to this file")
		out       = flag.String("out", "", "the report to write (default: BENCHMARKS.md at the repository root)")
		corpusDir = flag.String("corpus", "", "a directory of Dockerfiles the conversion benchmark also converts")
		builds    = flag.Bool("builds", true, "run the builds (false: conversion benchmark only)")
		from      = flag.String("from", "", "report the records of an earlier run's -json file instead of building")
		steps     = flag.Int("steps", 0, "log each build's N slowest steps, as BuildKit timed them")
		slowCold  = flag.Bool("slow-cold", true, "build cold on every link (false: the other links' warm phases start from a copy of the first link's cold state, and their cold builds are not measured)")
	)
	flag.Parse()
	bed, err := testenv.Load()
	if err != nil {
		return errors.Wrap(err, "start it with `hack/testbed up`")
	}
	if *out == "" {
		*out = filepath.Join(bed.Root, "BENCHMARKS.md")
	}
	rep := &report{Started: time.Now().UTC(), Command: "go run ./hack/bench " + strings.Join(os.Args[1:], " "),
		Reps: *reps, Mbit: *mbit, Versions: versions(bed.Root, bed.BuildkitHost)}

	dirs := []string{filepath.Join(bed.Root, "examples"), filepath.Join(bed.Root, "hack", "bench", "scenarios")}
	if *corpusDir != "" {
		dirs = append(dirs, *corpusDir)
	}
	inputs, err := convertInputs(dirs...)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "conversion benchmark over %d Dockerfiles\n", len(inputs))
	c := measureConvert(inputs, convertRounds)
	rep.Convert = &c
	fmt.Fprintf(os.Stderr, "  upstream %v/op, cachefront %v/op: ratio %.2f\n",
		c.Upstream, c.Cachefront, c.Ratio)

	if *from != "" {
		recs, err := readJSON(*from)
		if err != nil {
			return err
		}
		if len(recs) == 0 {
			return errors.Errorf("%s holds no records", *from)
		}
		rep.Records, rep.Scenarios, rep.Links, rep.Reps = recs, scenariosOf(recs), linksOf(recs), runsOf(recs)
		rep.SlowCold = slices.ContainsFunc(recs, func(r record) bool { return r.Phase == "cold" && r.Link != rep.Links[0].name })
		rep.Command += " # records of an earlier run"
	} else if *builds {
		b, err := newBench(bed)
		if err != nil {
			return err
		}
		b.steps = *steps
		defer b.close()
		fmt.Fprintln(os.Stderr, "timing one package step")
		if rep.Step, err = b.measureStep(stepRounds); err != nil {
			return err
		}
		chosen, err := pick(*only)
		if err != nil {
			return err
		}
		ls, err := pickLinks(*links, *mbit)
		if err != nil {
			return err
		}
		rep.Scenarios, rep.Links, rep.SlowCold = chosen, ls, *slowCold
		for r := 1; r <= *reps; r++ {
			for _, s := range chosen {
				for i := range variants {
					// Rotate the order, so no variant always runs first.
					v := variants[(i+r-1)%len(variants)]
					recs, err := b.sequence(s, v, ls, r, *slowCold)
					if err != nil {
						return err
					}
					rep.Records = append(rep.Records, recs...)
				}
			}
			// Write as the run goes, so a long run leaves its results.
			if err := rep.write(*out, *jsonPath); err != nil {
				return err
			}
		}
	}
	rep.Finished = time.Now().UTC()
	return rep.write(*out, *jsonPath)
}

func newBench(bed *testenv.Bed) (*bench, error) {
	b := &bench{bed: bed, root: filepath.Join(bed.Root, "hack", "bench", "scenarios"), log: os.Stderr}
	var err error
	if b.registry, err = npmRegistry(); err != nil {
		return nil, err
	}
	if b.proxy, err = testenv.NewProxy(); err != nil {
		return nil, err
	}
	var wheels []testenv.Wheel
	for _, s := range scenarios {
		wheels = append(wheels, s.wheels...)
	}
	if b.index, err = testenv.NewIndex(wheels...); err != nil {
		b.close()
		return nil, err
	}
	fmt.Fprintln(os.Stderr, "building the bench's base images")
	if err := b.makeBases(); err != nil {
		b.close()
		return nil, err
	}
	return b, nil
}

func (b *bench) close() {
	if b.proxy != nil {
		b.proxy.Close()
	}
	if b.index != nil {
		b.index.Close()
	}
}

func pick(only string) ([]scenario, error) {
	if only == "" {
		return scenarios, nil
	}
	var out []scenario
	for _, name := range strings.Split(only, ",") {
		i := slices.IndexFunc(scenarios, func(s scenario) bool { return s.name == name })
		if i < 0 {
			return nil, errors.Errorf("no scenario %q", name)
		}
		out = append(out, scenarios[i])
	}
	return out, nil
}

func pickLinks(names string, mbit float64) ([]link, error) {
	var out []link
	for _, name := range strings.Split(names, ",") {
		switch name {
		case "full":
			out = append(out, link{name: "full"})
		case "slow":
			out = append(out, link{name: fmt.Sprintf("%gmbit", mbit), bits: int64(mbit * 1e6)})
		default:
			return nil, errors.Errorf("no link %q (full, slow)", name)
		}
	}
	return out, nil
}

// writeJSON writes recs as a JSON array, one record per line.
func writeJSON(path string, recs []record) error {
	var lines []string
	for _, r := range recs {
		dt, err := json.Marshal(r)
		if err != nil {
			return err
		}
		lines = append(lines, "  "+string(dt))
	}
	return os.WriteFile(path, []byte("[\n"+strings.Join(lines, ",\n")+"\n]\n"), 0o644)
}

func readJSON(path string) ([]record, error) {
	dt, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var recs []record
	return recs, json.Unmarshal(dt, &recs)
}

// scenariosOf, linksOf and runsOf say what recs cover, in the bench's order.
func scenariosOf(recs []record) []scenario {
	var out []scenario
	for _, s := range scenarios {
		if slices.ContainsFunc(recs, func(r record) bool { return r.Scenario == s.name }) {
			out = append(out, s)
		}
	}
	return out
}

func linksOf(recs []record) []link {
	var out []link
	for _, r := range recs {
		if slices.ContainsFunc(out, func(l link) bool { return l.name == r.Link }) {
			continue
		}
		l := link{name: r.Link}
		var mbit float64
		if _, err := fmt.Sscanf(r.Link, "%gmbit", &mbit); err == nil {
			l.bits = int64(mbit * 1e6)
		}
		out = append(out, l)
	}
	slices.SortFunc(out, func(a, b link) int { return cmpBits(a.bits, b.bits) })
	return out
}

// cmpBits orders the full link (0) first, then faster links before slower.
func cmpBits(a, b int64) int {
	switch {
	case a == b:
		return 0
	case a == 0:
		return -1
	case b == 0:
		return 1
	case a > b:
		return -1
	}
	return 1
}

func runsOf(recs []record) int {
	n := 0
	for _, r := range recs {
		n = max(n, r.Run)
	}
	return n
}
