package rewrite_test

import (
	"testing"

	"github.com/cachefront/cachefront/llb/rewrite"
	"github.com/moby/buildkit/solver/pb"
	"github.com/moby/buildkit/util/apicaps"
	"github.com/stretchr/testify/require"
)

func dests(e *pb.ExecOp) []string {
	var out []string
	for _, m := range e.Mounts {
		out = append(out, m.Dest)
	}
	return out
}

func TestAddMountSorted(t *testing.T) {
	t.Parallel()
	e := &pb.ExecOp{Mounts: []*pb.Mount{
		{Dest: "/"},
		{Dest: "/b", Output: 1},
		{Dest: "/d"},
		{Dest: "/run/secrets/x", MountType: pb.MountType_SECRET},
		{Dest: "/a-secret", MountType: pb.MountType_SECRET}, // client/llb appends these unsorted
	}}
	require.True(t, rewrite.AddMount(e, &pb.Mount{Dest: "/c"}))
	require.True(t, rewrite.AddMount(e, &pb.Mount{Dest: "/a"}))
	require.True(t, rewrite.AddMount(e, &pb.Mount{Dest: "/z"}))
	require.True(t, rewrite.AddMount(e, &pb.Mount{Dest: "/b/c"}))
	require.Equal(t, []string{"/", "/a", "/b", "/b/c", "/c", "/d", "/run/secrets/x", "/a-secret", "/z"}, dests(e))
	require.Equal(t, int64(1), e.Mounts[2].Output, "outputs are fields, not positions")

	require.False(t, rewrite.AddMount(e, &pb.Mount{Dest: "/c/"}), "same dest after clean")
	require.False(t, rewrite.AddMount(e, &pb.Mount{Dest: "/"}))
	require.False(t, rewrite.AddMount(nil, &pb.Mount{Dest: "/x"}))
	require.False(t, rewrite.AddMount(e, nil))
	require.Len(t, e.Mounts, 9)

	noRoot := &pb.ExecOp{Mounts: []*pb.Mount{{Dest: "/a"}}}
	require.True(t, rewrite.AddMount(noRoot, &pb.Mount{Dest: "/"}))
	require.Equal(t, []string{"/", "/a"}, dests(noRoot))
}

func TestFindMount(t *testing.T) {
	t.Parallel()
	e := &pb.ExecOp{Mounts: []*pb.Mount{{Dest: "/"}, {Dest: "/a/b"}}}
	m, i := rewrite.FindMount(e, "/a/b/")
	require.Equal(t, 1, i)
	require.Same(t, e.Mounts[1], m)
	m, i = rewrite.FindMount(e, "/a")
	require.Nil(t, m)
	require.Equal(t, -1, i)
	m, _ = rewrite.FindMount(nil, "/")
	require.Nil(t, m)
}

func TestCacheMount(t *testing.T) {
	t.Parallel()
	m := rewrite.CacheMount("/root/.cache", "pip", pb.CacheSharingOpt_SHARED, pb.Empty, "")
	require.Equal(t, &pb.Mount{
		Input:     -1,
		Dest:      "/root/.cache",
		Output:    -1,
		MountType: pb.MountType_CACHE,
		CacheOpt:  &pb.CacheOpt{ID: "pip", Sharing: pb.CacheSharingOpt_SHARED},
	}, m)
	require.Equal(t, []apicaps.CapID{pb.CapExecMountCache, pb.CapExecMountCacheSharing}, rewrite.MountCaps(m))

	m = rewrite.CacheMount("/c", "c", pb.CacheSharingOpt_LOCKED, 2, "/cache")
	require.Equal(t, int64(2), m.Input)
	require.Equal(t, "/cache", m.Selector)
	require.Equal(t, []apicaps.CapID{pb.CapExecMountSelector, pb.CapExecMountCache, pb.CapExecMountCacheSharing}, rewrite.MountCaps(m))
}

func TestFileMount(t *testing.T) {
	t.Parallel()
	m := rewrite.FileMount("/etc/pip.conf", 3, "/pip.conf")
	require.Equal(t, &pb.Mount{
		Input:     3,
		Selector:  "/pip.conf",
		Dest:      "/etc/pip.conf",
		Output:    -1,
		Readonly:  true,
		MountType: pb.MountType_BIND,
	}, m)
	require.Equal(t, []apicaps.CapID{pb.CapExecMountSelector, pb.CapExecMountBind}, rewrite.MountCaps(m))
}

func TestMountCaps(t *testing.T) {
	t.Parallel()
	require.Nil(t, rewrite.MountCaps(nil))
	require.Equal(t, []apicaps.CapID{pb.CapExecMountTmpfs, pb.CapExecMountTmpfsSize},
		rewrite.MountCaps(&pb.Mount{MountType: pb.MountType_TMPFS, TmpfsOpt: &pb.TmpfsOpt{Size: 1}}))
	require.Equal(t, []apicaps.CapID{pb.CapExecMountSecret}, rewrite.MountCaps(&pb.Mount{MountType: pb.MountType_SECRET}))
	require.Equal(t, []apicaps.CapID{pb.CapExecMountSSH}, rewrite.MountCaps(&pb.Mount{MountType: pb.MountType_SSH}))
	require.Empty(t, rewrite.MountCaps(&pb.Mount{Input: -1}), "scratch bind needs no cap")
	require.Equal(t, []apicaps.CapID{pb.CapExecMountBind, pb.CapExecMountContentCache},
		rewrite.MountCaps(&pb.Mount{ContentCache: pb.MountContentCache_ON}))

	md := &pb.OpMetadata{}
	rewrite.RequireMountCaps(md, rewrite.CacheMount("/c", "c", pb.CacheSharingOpt_SHARED, 1, "/x"))
	require.Equal(t, map[string]bool{"exec.mount.cache": true, "exec.mount.cache.sharing": true, "exec.mount.selector": true}, md.Caps)
	// Every cap used is one BuildKit knows.
	all := pb.Caps.CapSet(pb.Caps.All())
	for c := range md.Caps {
		require.NoError(t, all.Supports(apicaps.CapID(c)))
	}
}

func TestRequireCaps(t *testing.T) {
	t.Parallel()
	rewrite.RequireCaps(nil, pb.CapFileBase) // no panic
	md := &pb.OpMetadata{}
	rewrite.RequireCaps(md)
	require.Nil(t, md.Caps)
	rewrite.RequireCaps(md, pb.CapFileBase, pb.CapFileBase, pb.CapExecMountCache)
	require.Equal(t, map[string]bool{"file.base": true, "exec.mount.cache": true}, md.Caps)
}
