package main

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"

	cachefront "github.com/cachefront/cachefront/frontend/builder"
)

var corpus = flag.String("corpus", "", "a directory of Dockerfiles the conversion benchmark also converts (e.g. ../../../shared/corpus)")

// BenchmarkConvert measures the conversion of the examples', the
// scenarios' and -corpus's Dockerfiles to LLB, as upstream does it and with
// cachefront's rewrite after it.
func BenchmarkConvert(b *testing.B) {
	inputs := benchInputs(b)
	b.Run("upstream", func(b *testing.B) { benchConvert(b, inputs, false) })
	b.Run("cachefront", func(b *testing.B) { benchConvert(b, inputs, true) })
	b.Run("ratio", func(b *testing.B) {
		c := measureConvert(inputs, max(b.N, 3))
		b.ReportMetric(c.Ratio, "ratio")
		b.ReportMetric(c.NoopRatio, "noop-rewrite-ratio")
		b.ReportMetric(c.ParseRatio, "parse-ratio")
	})
}

// Every scenario's two Dockerfiles convert, and cachefront gives every
// package step of the plain one a cache mount: the bench compares what it
// means to compare.
func TestScenarios(t *testing.T) {
	inputs, err := convertInputs("scenarios")
	if err != nil {
		t.Fatal(err)
	}
	if len(inputs) != 2*len(scenarios) {
		t.Fatalf("%d Dockerfiles convert, want %d", len(inputs), 2*len(scenarios))
	}
	for _, s := range scenarios {
		dir := filepath.Join("scenarios", s.name)
		dt, err := os.ReadFile(filepath.Join(dir, "Dockerfile"))
		if err != nil {
			t.Fatal(err)
		}
		plan, err := cachefront.MakePlan(context.Background(), dt, cachefront.PlanOpt{ContextDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		managed := 0
		for _, st := range plan.Steps {
			if len(st.Managers) == 0 {
				continue
			}
			managed++
			if len(st.Mounts) == 0 {
				t.Errorf("%s: line %d runs %v but gets no cache mount: %v", s.name, st.Line, st.Managers, st.Notes)
			}
		}
		if managed == 0 {
			t.Errorf("%s: no step runs a package manager", s.name)
		}
	}
}

// Each change applies to the scenario's first version.
func TestChangesApply(t *testing.T) {
	for _, s := range scenarios {
		dir := t.TempDir()
		if err := s.prepare("scenarios", dir); err != nil {
			t.Fatal(err)
		}
		for _, c := range s.changes {
			if err := c.apply("scenarios", dir); err != nil {
				t.Errorf("%s: %v", s.name, err)
			}
		}
	}
}

// BenchmarkRewrite measures cachefront's rewrite alone, on the definitions
// upstream's conversion gives for the same Dockerfiles as BenchmarkConvert.
func BenchmarkRewrite(b *testing.B) {
	defs, _ := floorInputs(benchInputs(b))
	cfg, err := cachefront.ParseConfig(nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, def := range defs {
			if _, _, err := cachefront.Rewrite(def, cfg); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// benchInputs are the Dockerfiles the conversion benchmarks convert: the
// examples', the scenarios' and -corpus's.
func benchInputs(b *testing.B) []dockerfile {
	dirs := []string{filepath.Join("..", "..", "examples"), "scenarios"}
	if *corpus != "" {
		dirs = append(dirs, *corpus)
	}
	inputs, err := convertInputs(dirs...)
	if err != nil {
		b.Fatal(err)
	}
	if len(inputs) == 0 {
		b.Fatal("no Dockerfiles to convert")
	}
	return inputs
}
