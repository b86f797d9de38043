// Command cachefront-frontend is the BuildKit gateway frontend that the
// cachefront image runs: upstream's Dockerfile frontend with package caches.
package main

import (
	"github.com/cachefront/cachefront/frontend/builder"
	"github.com/moby/buildkit/frontend/gateway/grpcclient"
	"github.com/moby/buildkit/util/appcontext"
	"github.com/moby/buildkit/util/bklog"
)

func main() {
	if err := grpcclient.RunFromEnvironment(appcontext.Context(), builder.Build); err != nil {
		bklog.L.Errorf("fatal error: %+v", err)
		panic(err)
	}
}
