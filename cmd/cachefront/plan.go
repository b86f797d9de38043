package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/cachefront/cachefront/frontend/builder"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/solver/errdefs"
	"github.com/pkg/errors"
)

// buildArgFlag adds --build-arg K=V (K alone takes K from the environment,
// as docker buildx does) to fs; the map fills as fs parses.
func buildArgFlag(fs *flag.FlagSet, usage string) map[string]string {
	buildArgs := map[string]string{}
	fs.Func("build-arg", usage, func(s string) error {
		k, v, ok := strings.Cut(s, "=")
		if !ok {
			v, ok = os.LookupEnv(k)
		}
		if ok {
			buildArgs[k] = v
		}
		return nil
	})
	return buildArgs
}

// parseFlags parses args into fs and checks the format flag's value, whose
// pointer fs filled: text or json.
func parseFlags(fs *flag.FlagSet, args []string, format *string, stderr io.Writer) bool {
	if err := fs.Parse(args); err != nil {
		return false
	}
	if *format != "text" && *format != "json" {
		fmt.Fprintf(stderr, "cachefront %s: unknown format %q (text or json)\n", fs.Name(), *format)
		return false
	}
	return true
}

// runPlan is `cachefront plan`; it returns the exit code.
func runPlan(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("plan", flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("f", "", "path to the Dockerfile (default CONTEXT/Dockerfile)")
	target := fs.String("target", "", "stage to build")
	format := fs.String("format", "text", "output format: text or json")
	buildArgs := buildArgFlag(fs, "build-time variable K=V (repeatable)")
	if !parseFlags(fs, args, format, stderr) {
		return 2
	}
	dir := "."
	if fs.NArg() > 0 {
		dir = fs.Arg(0)
	}
	if *file == "" {
		*file = filepath.Join(dir, "Dockerfile")
	}
	dt, err := os.ReadFile(*file)
	if err != nil {
		fmt.Fprintf(stderr, "cachefront plan: %v\n", err)
		return 1
	}
	plan, err := builder.MakePlan(context.Background(), dt, builder.PlanOpt{Filename: *file, Target: *target, BuildArgs: buildArgs, ContextDir: dir})
	if err != nil {
		fmt.Fprintf(stderr, "cachefront plan: %s\n", describe(err, *file))
		return 1
	}
	if *format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(plan); err != nil {
			return 1
		}
		return 0
	}
	printText(stdout, plan)
	return 0
}

// describe puts the Dockerfile, and the line when the error carries one,
// in front of an error.
func describe(err error, file string) string {
	for _, src := range errdefs.Sources(err) {
		if len(src.Ranges) > 0 {
			return fmt.Sprintf("%s:%d: %v", file, src.Ranges[0].Start.Line, err)
		}
	}
	// Upstream's parse errors carry their place in the Dockerfile this way.
	var le *parser.LocationError
	if errors.As(err, &le) && len(le.Locations) > 0 && len(le.Locations[0]) > 0 {
		return fmt.Sprintf("%s:%d: %v", file, le.Locations[0][0].Start.Line, err)
	}
	return fmt.Sprintf("%s: %v", file, err)
}

func printText(w io.Writer, plan *builder.Plan) {
	for _, s := range plan.Steps {
		stage := s.Stage
		managers := "no package manager"
		if len(s.Managers) > 0 {
			managers = strings.Join(s.Managers, ", ")
		}
		fmt.Fprintf(w, "line %d [%s] %s\n", s.Line, stage, managers)
		for _, m := range s.Mounts {
			fmt.Fprintf(w, "  + cache %s (id=%s, sharing=%s, owner=%s)\n", m.Target, m.ID, m.Sharing, m.Owner)
		}
		if len(s.Env) > 0 {
			fmt.Fprintf(w, "  + env %s (this step only)\n", strings.Join(s.Env, " "))
		}
		if len(s.Settings) > 0 {
			fmt.Fprintf(w, "  + settings %s (CACHEFRONT_* build args or cachefront-* secrets)\n", strings.Join(s.Settings, " "))
		}
		for _, n := range s.Neutralized {
			fmt.Fprintf(w, "  ~ kept the cache from %s\n", n)
		}
		for _, n := range s.Notes {
			fmt.Fprintf(w, "  note: %s\n", n)
		}
	}
	for _, n := range plan.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
}
