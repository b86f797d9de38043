package main

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	cachefront "github.com/cachefront/cachefront/frontend/builder"
	"github.com/cachefront/cachefront/frontend/rules"
	"github.com/cachefront/cachefront/frontend/shell"
	"github.com/cachefront/cachefront/llb/rewrite"
	"github.com/moby/buildkit/solver/pb"
	"mvdan.cc/sh/v3/syntax"
)

// A dockerfile is one input of the conversion benchmark.
type dockerfile struct {
	path string
	dt   []byte
}

// convertInputs are the Dockerfiles under dirs (files named Dockerfile*, or
// *.Dockerfile) that upstream's conversion accepts offline; the corpus holds
// templates it rejects, which measure nothing.
func convertInputs(dirs ...string) ([]dockerfile, error) {
	var out []dockerfile
	for _, dir := range dirs {
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			if n := d.Name(); !strings.HasPrefix(n, "Dockerfile") && !strings.HasSuffix(n, ".Dockerfile") {
				return nil
			}
			dt, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			df := dockerfile{path: p, dt: dt}
			if df.upstream() == nil {
				out = append(out, df)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// upstream converts as upstream's frontend does (offline, as `cachefront
// plan` converts).
func (d dockerfile) upstream() error {
	_, _, err := cachefront.Convert(context.Background(), d.dt, cachefront.PlanOpt{Filename: d.path})
	return err
}

// cachefront converts and rewrites, reading the context's tool settings as a
// build does.
func (d dockerfile) cachefront() error {
	_, err := cachefront.MakePlan(context.Background(), d.dt, cachefront.PlanOpt{Filename: d.path, ContextDir: filepath.Dir(d.path)})
	return err
}

// benchConvert converts every input b.N times, with or without the rewrite.
func benchConvert(b *testing.B, inputs []dockerfile, rewrite bool) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		for _, d := range inputs {
			convert := d.upstream
			if rewrite {
				convert = d.cachefront
			}
			if err := convert(); err != nil {
				b.Fatalf("%s: %v", d.path, err)
			}
		}
	}
}

// convertResult is the conversion benchmark's outcome.
type convertResult struct {
	Files, Rounds        int
	Upstream, Cachefront time.Duration // median time of a pass over every input
	Ratio                float64       // median over rounds of cachefront ÷ upstream
	UpstreamMB, CfMB     float64       // allocated per pass
	// The floor under the design: a pass of the rewrite with a Func that
	// changes nothing (unmarshal, digest, walk, rebuild), and mvdan.cc/sh's
	// parse of the scripts the rewrite parses (steps naming a package
	// manager), each over upstream's pass, median over rounds.
	NoopRatio, ParseRatio float64
	Parsed                int // scripts parsed per pass
}

// convertRounds is how many rounds the command's conversion benchmark runs.
const convertRounds = 15

// measureConvert times passes over inputs, upstream's and cachefront's in
// turn, each round in the other order than the one before and each pass
// after a collection: the ratio of the two in one round is free of what
// drifts over a run (a virtual machine's CPU does), and each pass pays for
// the garbage it makes. One pass of each warms up first. Each round also
// times the two floor passes.
func measureConvert(inputs []dockerfile, rounds int) convertResult {
	defs, scripts := floorInputs(inputs)
	timed := func(f func()) (time.Duration, uint64) {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		start := time.Now()
		f()
		took := time.Since(start)
		runtime.ReadMemStats(&after)
		return took, after.TotalAlloc - before.TotalAlloc
	}
	pass := func(rewrite bool) func() {
		return func() {
			for _, d := range inputs {
				convert := d.upstream
				if rewrite {
					convert = d.cachefront
				}
				if err := convert(); err != nil {
					panic(fmt.Sprintf("%s: %v", d.path, err)) // convertInputs kept only Dockerfiles that convert
				}
			}
		}
	}
	noop := func() {
		for _, def := range defs {
			if _, err := rewrite.Definition(def, func(*rewrite.Exec) error { return nil }); err != nil {
				panic(err)
			}
		}
	}
	parse := func() {
		p := syntax.NewParser(syntax.Variant(syntax.LangBash))
		for _, s := range scripts {
			_, _ = p.Parse(strings.NewReader(s), "")
		}
	}
	timed(pass(false))
	timed(pass(true))
	var up, cf []time.Duration
	var ratios, noops, parses []float64
	var upBytes, cfBytes uint64
	for i := 0; i < rounds; i++ {
		var u, c time.Duration
		var ub, cb uint64
		if i%2 == 0 {
			u, ub = timed(pass(false))
			c, cb = timed(pass(true))
		} else {
			c, cb = timed(pass(true))
			u, ub = timed(pass(false))
		}
		n, _ := timed(noop)
		p, _ := timed(parse)
		up, cf = append(up, u), append(cf, c)
		ratios = append(ratios, float64(c)/float64(u))
		noops, parses = append(noops, float64(n)/float64(u)), append(parses, float64(p)/float64(u))
		upBytes, cfBytes = upBytes+ub, cfBytes+cb
	}
	return convertResult{
		Files: len(inputs), Rounds: rounds,
		Upstream: median(up), Cachefront: median(cf), Ratio: median(ratios),
		UpstreamMB: float64(upBytes) / float64(rounds) / 1e6, CfMB: float64(cfBytes) / float64(rounds) / 1e6,
		NoopRatio: median(noops), ParseRatio: median(parses), Parsed: len(scripts),
	}
}

// floorInputs converts inputs, and finds the shell scripts of the steps
// the rewrite parses: those that name a program some rule reads.
func floorInputs(inputs []dockerfile) (defs []*pb.Definition, scripts []string) {
	for _, d := range inputs {
		def, _, err := cachefront.Convert(context.Background(), d.dt, cachefront.PlanOpt{Filename: d.path})
		if err != nil {
			panic(fmt.Sprintf("%s: %v", d.path, err))
		}
		defs = append(defs, def)
		for _, dt := range def.Def {
			var op pb.Op
			if err := op.UnmarshalVT(dt); err != nil {
				panic(err)
			}
			args := op.GetExec().GetMeta().GetArgs()
			if i, ok := shell.ShellScript(args); ok && rules.Mentions(args[i]) {
				scripts = append(scripts, args[i])
			}
		}
	}
	return defs, scripts
}
