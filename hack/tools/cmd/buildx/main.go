// Command buildx is docker-buildx (github.com/docker/buildx, the version
// pinned in go.mod) with only the remote driver, the one the test bed uses.
// Upstream's cmd/buildx also links the kubernetes, docker, docker-container
// and cloud drivers; client-go alone is a large share of its cold compile.
// Commands, flags and output are buildx's own: this file is upstream's
// cmd/buildx/main.go (Apache-2.0) less profiling and those driver imports.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/docker/buildx/commands"
	"github.com/docker/buildx/util/cobrautil"
	"github.com/docker/buildx/version"
	"github.com/docker/cli/cli"
	"github.com/docker/cli/cli-plugins/metadata"
	"github.com/docker/cli/cli-plugins/plugin"
	"github.com/docker/cli/cli/command"
	"github.com/docker/cli/cli/debug"
	solvererrdefs "github.com/moby/buildkit/solver/errdefs"
	"github.com/moby/buildkit/util/grpcerrors"
	"github.com/moby/buildkit/util/stack"
	"google.golang.org/grpc/codes"

	_ "github.com/docker/buildx/driver/remote"
	// buildx's grpc codec, as upstream's main registers it.
	_ "github.com/moby/buildkit/util/grpcutil/encoding/proto"
)

func init() {
	stack.SetVersionInfo(version.Version, version.Revision)
}

func run(cmd *command.DockerCli) error {
	if plugin.RunningStandalone() {
		return commands.NewRootCmd(filepath.Base(os.Args[0]), false, cmd).Execute()
	}
	return plugin.RunPlugin(cmd, commands.NewRootCmd("buildx", true, cmd), metadata.Metadata{
		SchemaVersion: "0.1.0",
		Vendor:        "Docker Inc.",
		Version:       version.Version,
	})
}

func main() {
	cmd, err := command.NewDockerCli()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err = run(cmd); err == nil {
		return
	}
	var sterr cli.StatusError
	if errors.As(err, &sterr) {
		if sterr.Status != "" {
			fmt.Fprintln(cmd.Err(), sterr.Status)
		}
		os.Exit(max(sterr.StatusCode, 1))
	}
	var exitCodeErr cobrautil.ExitCodeError
	if errors.As(err, &exitCodeErr) {
		os.Exit(int(exitCodeErr))
	}
	for _, s := range solvererrdefs.Sources(err) {
		s.Print(cmd.Err())
	}
	if debug.IsEnabled() {
		fmt.Fprintf(cmd.Err(), "ERROR: %+v", stack.Formatter(err))
	} else {
		fmt.Fprintf(cmd.Err(), "ERROR: %v\n", err)
	}
	switch grpcerrors.Code(err) {
	case codes.Internal:
		os.Exit(100)
	case codes.ResourceExhausted:
		os.Exit(102)
	case codes.Canceled:
		os.Exit(130)
	}
	if errors.Is(err, context.Canceled) {
		os.Exit(130)
	}
	os.Exit(1)
}
