package main

import (
	"bytes"
	"strings"
	"testing"
)

// A missed speed-up says what the hand-written mounts reach on the same
// link; a met one says nothing more.
func TestGoalsSpeedupAside(t *testing.T) {
	var recs []record
	add := func(scenario, variant, phase, link string, seconds float64) {
		recs = append(recs, record{Scenario: scenario, Variant: variant, Phase: phase, Link: link, Run: 1, Seconds: seconds})
	}
	for _, l := range []string{"full", "20mbit"} {
		add("apt", "plain", "warm", l, 90)
		add("apt", "expert", "warm", l, 36)
		add("apt", "cachefront", "warm", l, 34.6)
		add("pip", "plain", "warm", l, 9.9)
		add("pip", "expert", "warm", l, 1.8)
		add("pip", "cachefront", "warm", l, 1.8)
	}
	row := goalRow(t, recs, "3× faster than plain")
	if !strings.Contains(row, "apt warm 2.6× ✗ (expert 2.5×)") {
		t.Errorf("the apt miss does not say the expert's speed-up:\n%s", row)
	}
	if !strings.Contains(row, "pip warm 5.5× |") {
		t.Errorf("the pip cell is not plain:\n%s", row)
	}
	if strings.Count(row, "expert") != 1 {
		t.Errorf("want the aside on the miss only:\n%s", row)
	}
}

// A time miss says when the ranges of cachefront and the expert overlap,
// and only then.
func TestGoalsTimeAside(t *testing.T) {
	var recs []record
	add := func(scenario, variant string, seconds ...float64) {
		for i, s := range seconds {
			recs = append(recs, record{Scenario: scenario, Variant: variant, Phase: "warm", Link: "full", Run: i + 1, Seconds: s})
		}
	}
	add("npm", "expert", 5.7, 6.2, 6.7)
	add("npm", "cachefront", 5.7, 8.3, 8.5)
	add("apt", "expert", 30, 31, 32)
	add("apt", "cachefront", 33, 34, 35)
	add("pip", "expert", 2.7, 2.6, 3.1)
	add("pip", "cachefront", 2.8, 2.4, 3.0)
	row := goalRow(t, recs, "of expert: time")
	for _, want := range []string{"npm warm 1.34 ✗ (ranges overlap);", "apt warm 1.10 ✗;", "pip warm 1.04 |"} {
		if !strings.Contains(row, want) {
			t.Errorf("want %q in:\n%s", want, row)
		}
	}
}

// goalRow renders the goals of a report of recs and returns the row whose
// goal names name.
func goalRow(t *testing.T, recs []record, name string) string {
	t.Helper()
	r := &report{Records: recs, Scenarios: scenariosOf(recs), Links: linksOf(recs)}
	var b bytes.Buffer
	r.renderGoals(&b)
	for _, line := range strings.Split(b.String(), "\n") {
		if strings.Contains(line, name) {
			return line
		}
	}
	t.Fatalf("no goal %q in:\n%s", name, b.String())
	return ""
}
