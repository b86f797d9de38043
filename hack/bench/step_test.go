package main

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	cachefront "github.com/cachefront/cachefront/frontend/builder"
)

// The step benchmark times a package step: cachefront gives it cache
// mounts and settings, and the expert's Dockerfile converts.
func TestStepIsAPackageStep(t *testing.T) {
	plan, err := cachefront.MakePlan(context.Background(), []byte(stepDockerfile), cachefront.PlanOpt{})
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Steps) != 1 {
		t.Fatalf("%d steps, want 1", len(plan.Steps))
	}
	st := plan.Steps[0]
	if !slices.Equal(st.Managers, []string{"go"}) || len(st.Mounts) < 2 || len(st.Settings) == 0 {
		t.Errorf("the step gets managers %v, mounts %v, settings %v: want go, two cache mounts or more, settings", st.Managers, st.Mounts, st.Settings)
	}
	if _, _, err := cachefront.Convert(context.Background(), []byte(stepExpert), cachefront.PlanOpt{}); err != nil {
		t.Errorf("the expert's step: %v", err)
	}
}

// The step section shows each variant's median and range, and the median
// over plain's.
func TestRenderStep(t *testing.T) {
	ms := func(xs ...int) []time.Duration {
		var out []time.Duration
		for _, x := range xs {
			out = append(out, time.Duration(x)*time.Millisecond)
		}
		return out
	}
	r := &report{Step: &stepResult{Rounds: 3, Took: map[string][]time.Duration{
		"plain": ms(180, 170, 190), "expert": ms(185, 200, 190), "cachefront": ms(210, 200, 205),
	}}}
	var b bytes.Buffer
	r.renderStep(&b)
	for _, want := range []string{"| plain | 180 ms (170–190) | +0 ms |", "| expert | 190 ms (185–200) | +10 ms |", "| cachefront | 205 ms (200–210) | +25 ms |", "built it 3 times"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("want %q in:\n%s", want, b.String())
		}
	}
}
