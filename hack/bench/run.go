package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	cachefront "github.com/cachefront/cachefront/frontend/builder"
	"github.com/cachefront/cachefront/hack/testenv"
	"github.com/moby/buildkit/client"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	"github.com/pkg/errors"
)

// A variant is one way to build a scenario: a Dockerfile of the scenario and
// a frontend, both run in-process so that neither pays for an image pull.
type variant struct {
	name       string
	dockerfile string
	frontend   gateway.BuildFunc
}

var variants = []variant{
	{"plain", "Dockerfile", testenv.Upstream},
	{"expert", "Dockerfile.expert", testenv.Upstream},
	{"cachefront", "Dockerfile", cachefront.Build},
}

// A link is what the proxy lets through: bits per second, 0 for all the
// machine has.
type link struct {
	name string
	bits int64
}

// A record is one measured build, as --json writes it.
type record struct {
	Scenario      string  `json:"scenario"`
	Variant       string  `json:"variant"`
	Phase         string  `json:"phase"`
	Link          string  `json:"link"`
	Run           int     `json:"run"`
	Seconds       float64 `json:"seconds"`
	UpstreamBytes int64   `json:"upstream_bytes"`
}

// bench holds what every build shares.
type bench struct {
	bed      *testenv.Bed
	root     string // hack/bench/scenarios
	proxy    *testenv.Proxy
	index    *testenv.Index
	registry string            // the npm registry the host uses
	bases    map[string]string // base image name → named context
	log      io.Writer
	steps    int // how many of each build's slowest steps to log (-steps)
}

// sequence builds s with v: cold on a buildkitd started empty, as a
// throw-away CI builder is, behind the proxy playing the first link; then
// the warm phases on each link, one after the other. The other links start
// from a copy of the state that cold build left, unless slowCold gives each
// link a cold build of its own.
func (b *bench) sequence(s scenario, v variant, links []link, run int, slowCold bool) ([]record, error) {
	var out []record
	builders := make([]*testenv.Buildkitd, len(links))
	defer func() {
		for _, d := range builders {
			if d != nil {
				d.Stop()
			}
		}
	}()
	for i, l := range links {
		if i > 0 && !slowCold {
			d, err := builders[0].Fork()
			if err != nil {
				return nil, err
			}
			builders[i] = d
			continue
		}
		d, err := b.bed.StartBuildkitd()
		if err != nil {
			return nil, err
		}
		builders[i] = d
		r, err := b.build(d, s, v, l, run, 0)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	for i, l := range links {
		for p := 1; p < len(s.phases()); p++ {
			r, err := b.build(builders[i], s, v, l, run, p)
			if err != nil {
				return nil, err
			}
			out = append(out, r)
		}
	}
	return out, nil
}

// build builds phase p of s (its first version with the first p changes
// made) with v on d, behind the proxy playing l, and measures it.
func (b *bench) build(d *testenv.Buildkitd, s scenario, v variant, l link, run, p int) (record, error) {
	r := record{Scenario: s.name, Variant: v.name, Phase: s.phases()[p], Link: l.name, Run: run}
	dir, err := os.MkdirTemp("", "bench-"+s.name+"-")
	if err != nil {
		return r, err
	}
	defer os.RemoveAll(dir)
	if err := s.prepare(b.root, dir); err != nil {
		return r, err
	}
	for _, c := range s.changes[:p] {
		if err := c.apply(b.root, dir); err != nil {
			return r, err
		}
	}
	if err := withResolved(dir, b.registry); err != nil {
		return r, err
	}
	df, err := os.ReadFile(filepath.Join(dir, v.dockerfile))
	if err != nil {
		return r, err
	}
	c, err := client.New(context.Background(), d.Addr)
	if err != nil {
		return r, err
	}
	defer c.Close()
	b.proxy.SetRate(l.bits)
	defer b.proxy.SetRate(0)

	// Start on a flushed disk: what an earlier build, or the copy of a
	// builder's state (Fork, hundreds of MB after an apt build), left to
	// write back is not this build's to pay for. In a run without it, a
	// warm build right after a copy took up to 10 s longer than the same
	// build on the copy.
	syscall.Sync()
	before, start := b.proxy.Bytes(), time.Now()
	build, err := testenv.TrySolve(c, testenv.SolveOpt{
		Dir: dir, Dockerfile: string(df), Frontend: v.frontend, Attrs: b.attrs(),
		// The bases trust the proxy's CA, for every variant alike;
		// cachefront's own CA setting stays unused.
		Secrets: map[string][]byte{testenv.CASecret: nil},
	})
	r.Seconds, r.UpstreamBytes = time.Since(start).Seconds(), b.proxy.Bytes()-before
	if err != nil {
		return r, errors.Errorf("%s %s %s (%s link): %v\n%s", s.name, v.name, r.Phase, l.name, err, tail(build.Logs.String(), 40))
	}
	fmt.Fprintf(b.log, "  %-6s %-10s %-9s %-7s %7.1f s %10s\n", s.name, v.name, r.Phase, l.name, r.Seconds, size(r.UpstreamBytes))
	b.logSteps(build)
	return r, nil
}

// logSteps logs the b.steps slowest steps of a build as BuildKit timed
// them, to find out where a variant's time goes.
func (b *bench) logSteps(build *testenv.Build) {
	type step struct {
		name string
		took time.Duration
	}
	var steps []step
	for name, v := range build.Vertices {
		if v.Started != nil && v.Completed != nil && !v.Cached {
			steps = append(steps, step{name, v.Completed.Sub(*v.Started)})
		}
	}
	slices.SortFunc(steps, func(a, b step) int { return cmp.Compare(b.took, a.took) })
	for _, st := range steps[:min(b.steps, len(steps))] {
		name := strings.ReplaceAll(st.name, "\n", " ")
		fmt.Fprintf(b.log, "      %6.2f s  %s\n", st.took.Seconds(), name[:min(len(name), 100)])
	}
}

// attrs are every build's frontend options: the bases as named contexts,
// the proxy through the standard proxy args, and the package index.
func (b *bench) attrs() map[string]string {
	a := b.proxy.BuildArgs()
	for name, ref := range b.bases {
		a["context:"+name] = ref
	}
	// pip caches what it downloads over http only from trusted hosts.
	a["build-arg:PIP_INDEX_URL"], a["build-arg:PIP_TRUSTED_HOST"] = b.index.URL, b.index.Host
	return a
}

// makeBases builds the bench's base images: the bed's, with the host's CA
// bundle in the system store, as a corporate base image behind a
// TLS-intercepting proxy has it. Every variant builds on them, so none
// needs a CA setting of its own.
func (b *bench) makeBases() error {
	dir, err := os.MkdirTemp("", "bench-base-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	ca, err := os.ReadFile(testenv.CABundle)
	if err != nil {
		return err
	}
	df := "FROM " + b.bed.Image("cachefront-dev:bookworm") + "\nCOPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt\n"
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(df), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "ca-certificates.crt"), ca, 0o644); err != nil {
		return err
	}
	ref := b.bed.Image("cachefront-bench:bookworm")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := b.bed.Command(ctx, dir, "buildctl", "--addr", b.bed.BuildkitHost, "build", "--progress=plain",
		"--frontend", "dockerfile.v0", "--local", "context="+dir, "--local", "dockerfile="+dir,
		"--output", "type=image,name="+ref+",push=true,registry.insecure=true")
	if out, err := cmd.CombinedOutput(); err != nil {
		return errors.Errorf("building %s: %v\n%s", ref, err, tail(string(out), 30))
	}
	dev := "docker-image://" + ref
	b.bases = map[string]string{
		"debian:bookworm":           "docker-image://" + b.bed.Image("debian:bookworm"),
		"node:20-bookworm-slim":     dev,
		"python:3.11-slim-bookworm": dev,
		"golang:1.26-bookworm":      dev,
	}
	return nil
}

func size(n int64) string {
	switch {
	case n >= 1e6:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.0f kB", float64(n)/1e3)
	}
	return fmt.Sprintf("%d B", n)
}

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
