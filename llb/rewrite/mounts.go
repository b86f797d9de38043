package rewrite

import (
	"path"
	"slices"

	"github.com/moby/buildkit/solver/pb"
	"github.com/moby/buildkit/util/apicaps"
)

// AddMount inserts m into exec.Mounts keeping them sorted by Dest (stable; the root mount stays
// first), and returns false without change if a mount with the same Dest exists (compared after
// path.Clean, so "/a/" and "/a" are the same).
//
// client/llb sorts an exec's mounts by target (ExecOp.Marshal) but appends secret and ssh mounts
// after them, so the list may be sorted only up to a tail; m goes before the first mount whose
// Dest sorts after it, which keeps a parent directory's mount before its children's. Inserting
// never renumbers outputs: a mount's output index is its Output field, not its position.
func AddMount(exec *pb.ExecOp, m *pb.Mount) bool {
	if exec == nil || m == nil {
		return false
	}
	if old, _ := FindMount(exec, m.Dest); old != nil {
		return false
	}
	i := slices.IndexFunc(exec.Mounts, func(old *pb.Mount) bool {
		if m.Dest == pb.RootMount {
			return true
		}
		return old != nil && old.Dest != pb.RootMount && old.Dest > m.Dest
	})
	if i < 0 {
		i = len(exec.Mounts)
	}
	exec.Mounts = slices.Insert(exec.Mounts, i, m)
	return true
}

// FindMount returns the mount of exec at dest (compared after path.Clean) and its index, or nil
// and -1.
func FindMount(exec *pb.ExecOp, dest string) (*pb.Mount, int) {
	want := cleanDest(dest)
	for i, m := range exec.GetMounts() {
		if m != nil && (m.Dest == dest || cleanDest(m.Dest) == want) {
			return m, i
		}
	}
	return nil, -1
}

func cleanDest(p string) string {
	if p == "" {
		return ""
	}
	return path.Clean(p)
}

// CacheMount returns a cache mount at target with id and sharing, whose initial content is input
// (pb.Empty for none) at selector ("" for none); Output is pb.SkipOutput.
//
// BuildKit keys a cache mount by id plus, when it has an input, the cache record of that input
// (solver/llbsolver/mounts/mount.go getRefCacheDir: key = id + ":" + ref.ID()), so the same id
// with different initial content is a different cache.
func CacheMount(target, id string, sharing pb.CacheSharingOpt, input pb.InputIndex, selector string) *pb.Mount {
	return &pb.Mount{
		Input:     int64(input),
		Selector:  selector,
		Dest:      target,
		Output:    int64(pb.SkipOutput),
		MountType: pb.MountType_CACHE,
		CacheOpt: &pb.CacheOpt{
			ID:      id,
			Sharing: sharing,
		},
	}
}

// FileMount returns a read-only bind mount of one file from input (selector = its path in that
// input) at target; Output is pb.SkipOutput.
func FileMount(target string, input pb.InputIndex, selector string) *pb.Mount {
	return &pb.Mount{
		Input:     int64(input),
		Selector:  selector,
		Dest:      target,
		Output:    int64(pb.SkipOutput),
		Readonly:  true,
		MountType: pb.MountType_BIND,
	}
}

// MountCaps returns the caps a mount needs, in a fixed order, as client/llb's ExecOp.Marshal adds
// them for the mounts it builds.
func MountCaps(m *pb.Mount) []apicaps.CapID {
	return appendMountCaps(nil, m)
}

// appendMountCaps appends the caps MountCaps returns to caps.
func appendMountCaps(caps []apicaps.CapID, m *pb.Mount) []apicaps.CapID {
	if m == nil {
		return caps
	}
	if m.Selector != "" {
		caps = append(caps, pb.CapExecMountSelector)
	}
	switch m.MountType {
	case pb.MountType_CACHE:
		caps = append(caps, pb.CapExecMountCache, pb.CapExecMountCacheSharing)
	case pb.MountType_TMPFS:
		caps = append(caps, pb.CapExecMountTmpfs)
		if m.TmpfsOpt != nil && m.TmpfsOpt.Size > 0 {
			caps = append(caps, pb.CapExecMountTmpfsSize)
		}
	case pb.MountType_SECRET:
		caps = append(caps, pb.CapExecMountSecret)
	case pb.MountType_SSH:
		caps = append(caps, pb.CapExecMountSSH)
	case pb.MountType_BIND:
		if m.Input != int64(pb.Empty) {
			caps = append(caps, pb.CapExecMountBind)
		}
	}
	if m.ContentCache != pb.MountContentCache_DEFAULT {
		caps = append(caps, pb.CapExecMountContentCache)
	}
	return caps
}

// RequireMountCaps adds the caps m needs (MountCaps) to md.
func RequireMountCaps(md *pb.OpMetadata, m *pb.Mount) {
	// Every added mount asks: the caps go through a stack array, not a slice of their own.
	var caps [4]apicaps.CapID
	RequireCaps(md, appendMountCaps(caps[:0], m)...)
}

// SecretMount returns a mount of the BuildKit secret id as a file at target, readable with mode;
// an optional secret the client does not have is not mounted at all.
func SecretMount(target, id string, optional bool, mode uint32) *pb.Mount {
	return &pb.Mount{
		Input:     int64(pb.Empty),
		Dest:      target,
		Output:    int64(pb.SkipOutput),
		MountType: pb.MountType_SECRET,
		SecretOpt: &pb.SecretOpt{ID: id, Optional: optional, Mode: mode},
	}
}

// TmpfsMount returns a tmpfs at target (mode 1777, like /tmp, so any user of the step can write
// to it).
func TmpfsMount(target string) *pb.Mount {
	return &pb.Mount{
		Input:     int64(pb.Empty),
		Dest:      target,
		Output:    int64(pb.SkipOutput),
		MountType: pb.MountType_TMPFS,
		TmpfsOpt:  &pb.TmpfsOpt{},
	}
}
