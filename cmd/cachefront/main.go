// Command cachefront is the command-line side of the cachefront frontend.
//
//	cachefront plan [-f Dockerfile] [--target T] [--build-arg K=V]... [--format text|json] [CONTEXT]
//	cachefront survey [--build-arg K=V]... [--format text|json] DIR
//
// plan shows, without building, what the frontend would change in each RUN
// step of a Dockerfile. survey runs the plan over every stage of every
// Dockerfile under DIR (Dockerfile, Dockerfile.*, *.Dockerfile,
// *.dockerfile) and counts, per package manager, the steps and files it was
// found in; it fails when a file fails, not for templates.
package main

import (
	"fmt"
	"os"
)

const usage = `usage: cachefront plan [-f Dockerfile] [--target T] [--build-arg K=V]... [--format text|json] [CONTEXT]
       cachefront survey [--build-arg K=V]... [--format text|json] DIR`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, usage)
		os.Exit(2)
	}
	switch os.Args[1] {
	case "plan":
		os.Exit(runPlan(os.Args[2:], os.Stdout, os.Stderr))
	case "survey":
		os.Exit(runSurvey(os.Args[2:], os.Stdout, os.Stderr))
	case "-h", "--help", "help":
		fmt.Println(usage)
	default:
		fmt.Fprintf(os.Stderr, "cachefront: unknown command %q\n%s\n", os.Args[1], usage)
		os.Exit(2)
	}
}
