package main

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	cachefront "github.com/cachefront/cachefront/frontend/builder"
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
	Files                int
	Upstream, Cachefront testing.BenchmarkResult
	Ratio                float64 // cachefront ns/op ÷ upstream ns/op
	UpstreamMB, CfMB     float64 // allocated per op
}

// measureConvert runs the conversion benchmark over inputs.
func measureConvert(inputs []dockerfile) convertResult {
	up := testing.Benchmark(func(b *testing.B) { benchConvert(b, inputs, false) })
	cf := testing.Benchmark(func(b *testing.B) { benchConvert(b, inputs, true) })
	return convertResult{
		Files: len(inputs), Upstream: up, Cachefront: cf,
		Ratio:      float64(cf.NsPerOp()) / float64(up.NsPerOp()),
		UpstreamMB: float64(up.AllocedBytesPerOp()) / 1e6, CfMB: float64(cf.AllocedBytesPerOp()) / 1e6,
	}
}
