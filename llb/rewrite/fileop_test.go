package rewrite_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/cachefront/cachefront/llb/rewrite"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/session"
	"github.com/moby/buildkit/solver"
	"github.com/moby/buildkit/solver/llbsolver/ops"
	"github.com/moby/buildkit/solver/llbsolver/ops/fileoptypes"
	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"
	"github.com/stretchr/testify/require"
)

var testRootfs = &pb.Input{Digest: string(digest.FromString("rootfs")), Index: 0}

func TestDirOpNamedOwner(t *testing.T) {
	t.Parallel()
	op, md, err := rewrite.DirOp(rewrite.DirSpec{
		Owner: rewrite.ParseOwner("app:staff"),
		Dirs:  []string{"/cache/b", "cache/a/", "/cache", "/cache/a"},
		Files: map[string][]byte{"/etc/tool/config": []byte("x=1\n"), "/top": nil},
	}, testRootfs)
	require.NoError(t, err)
	require.True(t, md.Caps[string(pb.CapFileBase)])
	require.Nil(t, op.Platform, "file ops are not platform specific")
	require.Equal(t, []*pb.Input{testRootfs}, op.Inputs)

	actions := op.GetFile().Actions
	var got []string
	for i, a := range actions {
		// A chain on scratch: each action builds on the previous one, only the last is an output.
		if i == 0 {
			require.Equal(t, int64(-1), a.Input)
		} else {
			require.Equal(t, int64(len(op.Inputs)+i-1), a.Input)
		}
		require.Equal(t, int64(-1), a.SecondaryInput)
		if i == len(actions)-1 {
			require.Equal(t, int64(0), a.Output)
		} else {
			require.Equal(t, int64(-1), a.Output)
		}
		var owner *pb.ChownOpt
		switch a := a.Action.(type) {
		case *pb.FileAction_Mkdir:
			got = append(got, "mkdir "+a.Mkdir.Path)
			require.True(t, a.Mkdir.MakeParents)
			require.Equal(t, int32(0o755), a.Mkdir.Mode)
			require.Equal(t, int64(-1), a.Mkdir.Timestamp)
			owner = a.Mkdir.Owner
		case *pb.FileAction_Mkfile:
			got = append(got, "mkfile "+a.Mkfile.Path)
			require.Equal(t, int32(0o644), a.Mkfile.Mode)
			owner = a.Mkfile.Owner
		}
		require.Equal(t, "app", owner.User.GetByName().GetName())
		require.Equal(t, "staff", owner.Group.GetByName().GetName())
		require.Equal(t, int64(0), owner.User.GetByName().Input, "names are read from op input 0")
		require.Equal(t, int64(0), owner.Group.GetByName().Input)
	}
	// "/cache" and "/cache/a" are created by mkdir -p of their children.
	require.Equal(t, []string{"mkdir /cache/a", "mkdir /cache/b", "mkdir /etc/tool", "mkfile /etc/tool/config", "mkfile /top"}, got)
	require.Equal(t, []byte("x=1\n"), actions[3].GetMkfile().Data)
}

func TestDirOpNumericOwner(t *testing.T) {
	t.Parallel()
	op, _, err := rewrite.DirOp(rewrite.DirSpec{Owner: rewrite.ParseOwner("1000:root"), Dirs: []string{"/cache"}, DirMode: 0o700}, testRootfs)
	require.NoError(t, err)
	require.Empty(t, op.Inputs, "numeric owners need no rootfs")
	mkdir := op.GetFile().Actions[0].GetMkdir()
	require.Equal(t, uint32(1000), mkdir.Owner.User.GetByID())
	require.Equal(t, uint32(0), mkdir.Owner.Group.GetByID())
	require.NotNil(t, mkdir.Owner.Group.GetUser())
	require.Equal(t, int32(0o700), mkdir.Mode)

	op, _, err = rewrite.DirOp(rewrite.DirSpec{Owner: rewrite.ParseOwner("1000"), Dirs: []string{"/cache"}}, nil)
	require.NoError(t, err)
	require.Nil(t, op.GetFile().Actions[0].GetMkdir().Owner.Group, "group defaults to the uid in BuildKit")

	op, _, err = rewrite.DirOp(rewrite.DirSpec{Dirs: []string{"/cache"}}, testRootfs)
	require.NoError(t, err)
	require.Empty(t, op.Inputs)
	require.Nil(t, op.GetFile().Actions[0].GetMkdir().Owner)
}

func TestDirOpErrors(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		spec   rewrite.DirSpec
		rootfs *pb.Input
		msg    string
	}{
		"name without rootfs":  {rewrite.DirSpec{Owner: rewrite.Owner{User: "app"}, Dirs: []string{"/c"}}, nil, "needs a rootfs"},
		"group without rootfs": {rewrite.DirSpec{Owner: rewrite.Owner{Group: "staff"}, Dirs: []string{"/c"}}, nil, "needs a rootfs"},
		"root dir":             {rewrite.DirSpec{Dirs: []string{"/"}}, nil, "selector"},
		"root file":            {rewrite.DirSpec{Files: map[string][]byte{"/.": nil}}, nil, "selector"},
		"empty path":           {rewrite.DirSpec{Dirs: []string{""}}, nil, "empty path"},
		"nothing":              {rewrite.DirSpec{}, nil, "nothing to create"},
		"file is a dir":        {rewrite.DirSpec{Dirs: []string{"/a/b"}, Files: map[string][]byte{"/a": nil}}, nil, "both a file and a directory"},
		"file under file":      {rewrite.DirSpec{Files: map[string][]byte{"/a": nil, "/a/b": nil}}, nil, "both a file and a directory"},
		"same file twice":      {rewrite.DirSpec{Files: map[string][]byte{"/a": nil, "a": nil}}, nil, "given twice"},
		"bad owner":            {rewrite.DirSpec{Owner: rewrite.Owner{User: "a b"}, Dirs: []string{"/c"}}, testRootfs, "invalid owner"},
	} {
		_, _, err := rewrite.DirOp(tc.spec, tc.rootfs)
		require.ErrorContains(t, err, tc.msg, name)
	}
}

func TestParseOwner(t *testing.T) {
	t.Parallel()
	require.Equal(t, rewrite.Owner{User: "app"}, rewrite.ParseOwner("app"))
	require.Equal(t, rewrite.Owner{User: "app", Group: "staff"}, rewrite.ParseOwner("app:staff"))
	require.Equal(t, rewrite.Owner{Group: "staff"}, rewrite.ParseOwner(":staff"))
	require.True(t, rewrite.ParseOwner("").IsRoot())
	require.False(t, rewrite.ParseOwner("0").IsRoot(), "explicit ids still chown")
}

// The tests below run BuildKit's own FileOp code on a DirOp, with fakes for the snapshots, to show
// that a named owner is looked up in op input 0 while the action itself starts on scratch.

func TestDirOpSolverReadsOwnerFromInput0(t *testing.T) {
	t.Parallel()
	op, _, err := rewrite.DirOp(rewrite.DirSpec{
		Owner: rewrite.ParseOwner("app:staff"),
		Dirs:  []string{"/cache"},
		Files: map[string][]byte{"/cfg/pip.conf": []byte("[global]\n")},
	}, testRootfs)
	require.NoError(t, err)

	b := &fakeBackend{}
	s := ops.NewFileOpSolver(nil, b, fakeRefs{})
	outs, err := s.Solve(context.Background(), []fileoptypes.Ref{&fakeRef{name: "rootfs"}}, op.GetFile().Actions, nil)
	require.NoError(t, err)
	require.Len(t, outs, 1)
	// Every action works on the one scratch mount the chain started with, and gets input 0,
	// mounted read-only, to read /etc/passwd and /etc/group from.
	require.Equal(t, []string{
		"mkdir /cache on scratch as rootfs(ro):rootfs(ro)",
		"mkdir /cfg on scratch as rootfs(ro):rootfs(ro)",
		"mkfile /cfg/pip.conf on scratch as rootfs(ro):rootfs(ro)",
	}, b.calls)
}

func TestClientLLBNamedOwnerOnScratchIsRejected(t *testing.T) {
	t.Parallel()
	// client/llb's UserOpt.marshal names the action's base as the user input, which is -1 on
	// scratch: BuildKit refuses it. That is why DirOp builds the pb itself.
	def, err := llb.Scratch().File(llb.Mkdir("/cache", 0o755, llb.WithUser("app"))).Marshal(context.Background())
	require.NoError(t, err)
	var fop *pb.FileOp
	for _, dt := range def.Def {
		var op pb.Op
		require.NoError(t, op.UnmarshalVT(dt))
		if f := op.GetFile(); f != nil {
			fop = f
		}
	}
	require.Equal(t, int64(-1), fop.Actions[0].GetMkdir().Owner.User.GetByName().Input)
	s := ops.NewFileOpSolver(nil, &fakeBackend{}, fakeRefs{})
	_, err = s.Solve(context.Background(), nil, fop.Actions, nil)
	require.ErrorContains(t, err, "invalid user index: -1")
}

func TestDirOpCacheKeyUsesPasswdOnly(t *testing.T) {
	t.Parallel()
	cacheMap := func(owner string) *solver.CacheMap {
		op, _, err := rewrite.DirOp(rewrite.DirSpec{Owner: rewrite.ParseOwner(owner), Dirs: []string{"/cache"}}, testRootfs)
		require.NoError(t, err)
		fop, err := ops.NewFileOp(fakeVertex{inputs: len(op.Inputs)}, op.Op.(*pb.Op_File), nil, nil, nil)
		require.NoError(t, err)
		cm, done, err := fop.CacheMap(context.Background(), nil, 0)
		require.NoError(t, err)
		require.True(t, done)
		return cm
	}
	user, userGroup := cacheMap("app"), cacheMap("app:staff")
	for _, cm := range []*solver.CacheMap{user, userGroup} {
		require.Len(t, cm.Deps, 1)
		// A selector and a content hash: the key depends on /etc/passwd (and /etc/group) of the
		// rootfs, not on the whole rootfs.
		require.NotEmpty(t, cm.Deps[0].Selector)
		require.NotNil(t, cm.Deps[0].ComputeDigestFunc)
	}
	require.NotEqual(t, user.Deps[0].Selector, userGroup.Deps[0].Selector, "groups add /etc/group")
}

type fakeVertex struct{ inputs int }

func (v fakeVertex) Digest() digest.Digest { return digest.FromString("dirop") }
func (v fakeVertex) Sys() any              { return nil }
func (v fakeVertex) Options() solver.VertexOptions {
	return solver.VertexOptions{}
}
func (v fakeVertex) Inputs() []solver.Edge { return make([]solver.Edge, v.inputs) }
func (v fakeVertex) Name() string          { return "dirop" }

type fakeRef struct{ name string }

func (r *fakeRef) Release(context.Context) error { return nil }

type fakeMount struct {
	name     string
	readonly bool
}

func (m *fakeMount) IsFileOpMount()                {}
func (m *fakeMount) Release(context.Context) error { return nil }
func (m *fakeMount) Readonly() bool                { return m.readonly }

func (m *fakeMount) String() string {
	if m == nil {
		return "-"
	}
	if m.readonly {
		return m.name + "(ro)"
	}
	return m.name
}

type fakeRefs struct{}

func (fakeRefs) Prepare(_ context.Context, ref fileoptypes.Ref, readonly bool, _ session.Group) (fileoptypes.Mount, error) {
	name := "scratch"
	if ref != nil {
		name = ref.(*fakeRef).name
	}
	return &fakeMount{name: name, readonly: readonly}, nil
}

func (fakeRefs) Commit(_ context.Context, m fileoptypes.Mount) (fileoptypes.Ref, error) {
	return &fakeRef{name: m.(*fakeMount).name + "+"}, nil
}

type fakeBackend struct {
	mu    sync.Mutex
	calls []string
}

func (b *fakeBackend) record(verb, path string, m, user, group fileoptypes.Mount) {
	b.mu.Lock()
	defer b.mu.Unlock()
	u, _ := user.(*fakeMount)
	g, _ := group.(*fakeMount)
	b.calls = append(b.calls, strings.Join([]string{verb, path, "on", m.(*fakeMount).String(), "as", u.String() + ":" + g.String()}, " "))
}

func (b *fakeBackend) Mkdir(_ context.Context, m, user, group fileoptypes.Mount, a *pb.FileActionMkDir) error {
	b.record("mkdir", a.Path, m, user, group)
	return nil
}

func (b *fakeBackend) Mkfile(_ context.Context, m, user, group fileoptypes.Mount, a *pb.FileActionMkFile) error {
	b.record("mkfile", a.Path, m, user, group)
	return nil
}

func (b *fakeBackend) Symlink(_ context.Context, m, user, group fileoptypes.Mount, a *pb.FileActionSymlink) error {
	b.record("symlink", a.Newpath, m, user, group)
	return nil
}

func (b *fakeBackend) Rm(_ context.Context, m fileoptypes.Mount, a *pb.FileActionRm) error {
	b.record("rm", a.Path, m, nil, nil)
	return nil
}

func (b *fakeBackend) Copy(_ context.Context, _, m, user, group fileoptypes.Mount, a *pb.FileActionCopy) error {
	b.record("copy", a.Dest, m, user, group)
	return nil
}
