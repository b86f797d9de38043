package rewrite

import (
	"github.com/moby/buildkit/solver/pb"
	"github.com/moby/buildkit/util/apicaps"
)

// RequireCaps adds caps to md.Caps (e.g. pb.CapExecMountCache, pb.CapExecMountCacheSharing,
// pb.CapExecMountSelector, pb.CapFileBase), so that a BuildKit that lacks one of them refuses the
// definition instead of mis-running it.
func RequireCaps(md *pb.OpMetadata, caps ...apicaps.CapID) {
	if md == nil || len(caps) == 0 {
		return
	}
	if md.Caps == nil {
		md.Caps = make(map[string]bool, len(caps))
	}
	for _, c := range caps {
		md.Caps[string(c)] = true
	}
}
