package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/cachefront/cachefront/hack/testenv"
	"github.com/moby/buildkit/client"
	"github.com/pkg/errors"
)

// stepRounds is how many times the step benchmark times each variant.
const stepRounds = 15

// The step benchmark's Dockerfiles: one RUN step that names go and does
// almost nothing (a module without requirements, no download), after an ARG
// whose value changes every build, so that the step runs every time. What
// the step takes beyond plain's is what a variant puts around every
// package step: the expert's two cache mounts; cachefront's cache mounts,
// its settings' optional secrets, and the settings script it sources.
const (
	stepCommand    = "go mod init step && go mod download"
	stepHead       = "FROM golang:1.26-bookworm\nWORKDIR /src\nARG CF_BENCH_STEP\nRUN "
	stepDockerfile = stepHead + stepCommand + "\n"
	stepExpert     = stepHead + "--mount=type=cache,target=/root/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build " + stepCommand + "\n"
)

// stepResult is the step benchmark's outcome: the step's run time, as
// BuildKit timed its exec, by variant.
type stepResult struct {
	Rounds int
	Took   map[string][]time.Duration
}

// measureStep builds the step benchmark's Dockerfile with every variant,
// rounds times each in a rotated order after one build each that is not
// timed (it creates the cache mounts), on a buildkitd of its own.
func (b *bench) measureStep(rounds int) (*stepResult, error) {
	// The step reads nothing from its context: an empty one.
	dir, err := os.MkdirTemp("", "bench-step-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	dockerfiles := map[string]string{"Dockerfile": stepDockerfile, "Dockerfile.expert": stepExpert}
	d, err := b.bed.StartBuildkitd()
	if err != nil {
		return nil, err
	}
	defer d.Stop()
	c, err := client.New(context.Background(), d.Addr)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	res := &stepResult{Rounds: rounds, Took: map[string][]time.Duration{}}
	for r := 0; r <= rounds; r++ {
		for i := range variants {
			v := variants[(i+r)%len(variants)]
			attrs := b.attrs()
			attrs["build-arg:CF_BENCH_STEP"] = fmt.Sprintf("%s-%d", v.name, r)
			build, err := testenv.TrySolve(c, testenv.SolveOpt{
				Dir: dir, Dockerfile: dockerfiles[v.dockerfile], Frontend: v.frontend, Attrs: attrs,
				Secrets: map[string][]byte{testenv.CASecret: nil},
			})
			if err != nil {
				return nil, errors.Errorf("step %s: %v\n%s", v.name, err, tail(build.Logs.String(), 20))
			}
			took, err := execTime(build, stepCommand)
			if err != nil {
				return nil, errors.Wrapf(err, "step %s", v.name)
			}
			if r > 0 {
				res.Took[v.name] = append(res.Took[v.name], took)
			}
		}
	}
	return res, nil
}

// execTime is how long the one vertex of build whose name holds command
// ran; it must have run, not come from the cache.
func execTime(build *testenv.Build, command string) (time.Duration, error) {
	for name, v := range build.Vertices {
		if !strings.Contains(name, command) {
			continue
		}
		if v.Cached || v.Started == nil || v.Completed == nil {
			return 0, errors.Errorf("%q did not run", name)
		}
		return v.Completed.Sub(*v.Started), nil
	}
	return 0, errors.Errorf("no step runs %q", command)
}
