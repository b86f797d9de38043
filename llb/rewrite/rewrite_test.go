package rewrite_test

import (
	"bytes"
	"maps"
	"slices"
	"testing"

	"github.com/cachefront/cachefront/llb/rewrite"
	"github.com/cachefront/cachefront/llb/rewrite/rewritetest"
	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"
	"github.com/pkg/errors"
	"github.com/stretchr/testify/require"
)

func TestDefinitionAddsCacheMounts(t *testing.T) {
	t.Parallel()
	in := sampleDefinition(t)
	requireValid(t, in)
	before := rewritetest.Marshal(in)

	out, err := rewrite.Definition(in, addCache)
	require.NoError(t, err)
	require.Equal(t, before, rewritetest.Marshal(in), "input definition modified")
	requireValid(t, out)

	outOps, outOrder := opsOf(t, out)

	// Terminal op stays last and points at the (rewritten) merge.
	term := outOps[outOrder[len(outOrder)-1]]
	require.Nil(t, term.Op)
	require.Len(t, term.Inputs, 1)
	require.NotNil(t, outOps[digest.Digest(term.Inputs[0].Digest)].GetMerge())

	// Every op's digest is the digest of its bytes and every input resolves.
	for i, dt := range out.Def {
		require.Equal(t, outOrder[i], digest.FromBytes(dt))
		for _, inp := range outOps[outOrder[i]].Inputs {
			require.Contains(t, outOps, digest.Digest(inp.Digest))
		}
	}

	// Ops that neither are execs nor depend on one keep their digests; the rest change.
	oldNames, newNames := byName(t, in), byName(t, out)
	require.Equal(t, slices.Sorted(maps.Keys(oldNames)), slices.Sorted(maps.Keys(newNames)))
	for _, name := range []string{"python", "context", "alpine", "cache init"} {
		require.Equal(t, oldNames[name], newNames[name], name)
	}
	for _, name := range []string{"pip install", "make", "copy app", "diff", "merge"} {
		require.NotEqual(t, oldNames[name], newNames[name], name)
	}

	// Metadata and source locations follow the new digests.
	for name, oldD := range oldNames {
		newD := newNames[name]
		oldMD, newMD := in.Metadata[string(oldD)], out.Metadata[string(newD)]
		require.Equal(t, oldMD.Description, newMD.Description, name)
		if name != "pip install" && name != "make" {
			require.Equal(t, rewritetest.Marshal(oldMD), rewritetest.Marshal(newMD), name)
		}
		oldLoc, hasLoc := in.Source.Locations[string(oldD)]
		if name != "context" && name != "cache init" && name != "diff" && name != "merge" {
			require.True(t, hasLoc, name)
		}
		if hasLoc {
			require.Equal(t, rewritetest.Marshal(oldLoc), rewritetest.Marshal(out.Source.Locations[string(newD)]), name)
		}
		if oldD != newD {
			require.NotContains(t, out.Metadata, string(oldD), name)
			require.NotContains(t, out.Source.Locations, string(oldD), name)
		}
	}
	require.Len(t, out.Metadata, len(in.Metadata)+3, "metadata of the added ops: a dir op per rootfs, one config op")
	require.Len(t, out.Source.Locations, len(in.Source.Locations))
	require.Equal(t, rewritetest.Marshal(&pb.Source{Infos: in.Source.Infos}), rewritetest.Marshal(&pb.Source{Infos: out.Source.Infos}))

	// The two execs got the mounts, inputs and env.
	for _, args := range []string{"pip install -r /src/requirements.txt", "make"} {
		oldOp, newOp := execs(t, in)[args], execs(t, out)[args]
		require.NotNil(t, newOp, args)
		exec := newOp.GetExec()
		requireSortedMounts(t, exec)
		require.Len(t, exec.Mounts, len(oldOp.GetExec().Mounts)+2, args)
		require.Len(t, newOp.Inputs, len(oldOp.Inputs)+2, args)

		cache, _ := rewrite.FindMount(exec, cacheDest)
		require.NotNil(t, cache, args)
		require.Equal(t, pb.MountType_CACHE, cache.MountType)
		require.Equal(t, cacheID, cache.CacheOpt.ID)
		require.Equal(t, pb.CacheSharingOpt_LOCKED, cache.CacheOpt.Sharing)
		require.Equal(t, "/cache", cache.Selector)
		require.Equal(t, int64(pb.SkipOutput), cache.Output)
		require.Equal(t, int64(len(oldOp.Inputs)), cache.Input, "added inputs are appended")

		dirOp := outOps[digest.Digest(newOp.Inputs[cache.Input].Digest)]
		require.NotNil(t, dirOp.GetFile(), args)
		root, _ := rewrite.FindMount(exec, pb.RootMount)
		require.Equal(t, []*pb.Input{newOp.Inputs[root.Input]}, dirOp.Inputs, "dir op reads the exec's rootfs")
		mkdir := dirOp.GetFile().Actions[0].GetMkdir()
		require.Equal(t, "app", mkdir.Owner.User.GetByName().Name)
		require.Equal(t, int64(0), mkdir.Owner.User.GetByName().Input)

		cfg, _ := rewrite.FindMount(exec, configDest)
		require.NotNil(t, cfg, args)
		require.True(t, cfg.Readonly)
		require.Equal(t, "/pip.conf", cfg.Selector)
		cfgOp := outOps[digest.Digest(newOp.Inputs[cfg.Input].Digest)]
		require.Empty(t, cfgOp.Inputs, "root-owned config needs no rootfs")

		v, ok := rewrite.Getenv(exec.Meta, envKey)
		require.True(t, ok)
		require.Equal(t, cacheDest, v)

		md := out.Metadata[string(newNames[args2name(args)])]
		for _, c := range []string{"exec.mount.cache", "exec.mount.cache.sharing", "exec.mount.selector", "exec.mount.bind"} {
			require.True(t, md.Caps[c], "%s: cap %s", args, c)
		}
	}

	// Outputs of the multi-output exec are untouched: /out is still output 1.
	out1, _ := rewrite.FindMount(execs(t, out)["make"].GetExec(), "/out")
	require.Equal(t, int64(1), out1.Output)
}

func args2name(args string) string {
	if args == "make" {
		return "make"
	}
	return "pip install"
}

func TestDefinitionAddedOpsOrder(t *testing.T) {
	t.Parallel()
	in := sampleDefinition(t)
	out, err := rewrite.Definition(in, addCache)
	require.NoError(t, err)
	ops, order := opsOf(t, out)
	pos := map[digest.Digest]int{}
	for i, d := range order {
		pos[d] = i
	}
	inOps, _ := opsOf(t, in)
	firstUser := map[digest.Digest]int{}
	for i, d := range order {
		for _, inp := range ops[d].Inputs {
			if _, ok := firstUser[digest.Digest(inp.Digest)]; !ok {
				firstUser[digest.Digest(inp.Digest)] = i
			}
		}
	}
	added := 0
	for _, d := range order {
		if !isAdded(out, inOps, ops, d) {
			continue
		}
		added++
		// Only other added ops may sit between an added op and its first user.
		for _, between := range order[pos[d]+1 : firstUser[d]] {
			require.True(t, isAdded(out, inOps, ops, between), "added op %s right before its first user", d)
		}
	}
	// A dir op per distinct rootfs (two execs, two rootfs) plus one shared config op.
	require.Equal(t, 3, added)
}

// isAdded reports whether op d of out was added by addCache: a new file op without a custom name
// (every op of sampleDefinition has one).
func isAdded(out *pb.Definition, inOps, outOps map[digest.Digest]*pb.Op, d digest.Digest) bool {
	if _, orig := inOps[d]; orig || outOps[d].GetFile() == nil {
		return false
	}
	return out.Metadata[string(d)].GetDescription()["llb.customname"] == ""
}

func TestDefinitionNoopIsIdentity(t *testing.T) {
	t.Parallel()
	in := sampleDefinition(t)
	calls := 0
	out, err := rewrite.Definition(in, func(e *rewrite.Exec) error {
		calls++
		e.Metadata().GetCaps() // reading is fine
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, 2, calls)
	require.Equal(t, in.Def, out.Def)
	require.Equal(t, rewritetest.Marshal(in), rewritetest.Marshal(out))
}

func TestDefinitionNilAndEmpty(t *testing.T) {
	t.Parallel()
	out, err := rewrite.Definition(nil, addCache)
	require.NoError(t, err)
	require.Nil(t, out)
	empty := &pb.Definition{}
	out, err = rewrite.Definition(empty, addCache)
	require.NoError(t, err)
	require.Same(t, empty, out)
}

func TestDefinitionDeterministic(t *testing.T) {
	t.Parallel()
	first, err := rewrite.Definition(sampleDefinition(t), addCache)
	require.NoError(t, err)
	want := rewritetest.Marshal(first)
	for range 100 {
		// A fresh input each time: client/llb's own output is deterministic too.
		out, err := rewrite.Definition(sampleDefinition(t), addCache)
		require.NoError(t, err)
		require.Equal(t, first.Def, out.Def)
		for k, md := range first.Metadata {
			require.Equal(t, rewritetest.Marshal(md), rewritetest.Marshal(out.Metadata[k]))
		}
		require.Equal(t, rewritetest.Marshal(first.Source), rewritetest.Marshal(out.Source))
		require.Equal(t, want, rewritetest.Marshal(out))
	}
}

func TestDefinitionIdempotent(t *testing.T) {
	t.Parallel()
	once, err := rewrite.Definition(sampleDefinition(t), addCache)
	require.NoError(t, err)
	twice, err := rewrite.Definition(once, addCache)
	require.NoError(t, err)
	require.Equal(t, once.Def, twice.Def)
	require.Equal(t, rewritetest.Marshal(once), rewritetest.Marshal(twice))
}

func TestDefinitionDependencyOrder(t *testing.T) {
	t.Parallel()
	var seen []string
	var rootBases []string
	out, err := rewrite.Definition(sampleDefinition(t), func(e *rewrite.Exec) error {
		seen = append(seen, e.Op.GetExec().Meta.Args[0])
		root, _ := rewrite.FindMount(e.Op.GetExec(), pb.RootMount)
		id, attrs := e.BaseSource(int(root.Input))
		rootBases = append(rootBases, id)
		if attrs != nil {
			attrs["mutated"] = "yes" // a copy: must not leak into the definition
		}
		return addCache(e)
	})
	require.NoError(t, err)
	require.Equal(t, []string{"pip", "make"}, seen)
	requireValid(t, out)
	require.Equal(t, []string{"docker-image://docker.io/library/python:3.12", "docker-image://docker.io/library/python:3.12"}, rootBases)
}

func TestExecInputOpSeesRewrittenInputs(t *testing.T) {
	t.Parallel()
	var pipDigest digest.Digest
	_, err := rewrite.Definition(sampleDefinition(t), func(e *rewrite.Exec) error {
		exec := e.Op.GetExec()
		if exec.Meta.Args[0] == "pip" {
			return addCache(e)
		}
		// make runs on pip's output: input 0 must already carry the cache mount.
		root, _ := rewrite.FindMount(exec, pb.RootMount)
		op, err := e.InputOp(int(root.Input))
		require.NoError(t, err)
		m, _ := rewrite.FindMount(op.GetExec(), cacheDest)
		require.NotNil(t, m)
		pipDigest = digest.Digest(e.Op.Inputs[root.Input].Digest)

		scratch, err := e.InputOp(int(pb.Empty))
		require.NoError(t, err)
		require.Nil(t, scratch)
		_, err = e.InputOp(len(e.Op.Inputs))
		require.Error(t, err)

		// InputOp hands out copies.
		op.GetExec().Meta.Args = []string{"mutated"}
		again, err := e.InputOp(int(root.Input))
		require.NoError(t, err)
		require.NotEqual(t, "mutated", again.GetExec().Meta.Args[0])
		return nil
	})
	require.NoError(t, err)
	require.NotEmpty(t, pipDigest)
}

func TestExecDigestAndLocations(t *testing.T) {
	t.Parallel()
	in := sampleDefinition(t)
	names := byName(t, in)
	_, err := rewrite.Definition(in, func(e *rewrite.Exec) error {
		name := args2name(e.Op.GetExec().Meta.Args[0])
		require.Equal(t, names[name], e.Digest())
		require.Len(t, e.Locations, 1)
		require.Len(t, e.Source.Infos, 1)
		require.Equal(t, "Dockerfile", e.Source.Infos[0].Filename)
		return nil
	})
	require.NoError(t, err)
}

func TestDefinitionFuncError(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	_, err := rewrite.Definition(sampleDefinition(t), func(*rewrite.Exec) error { return boom })
	require.ErrorIs(t, err, boom)
}

func TestDefinitionRejectsBadEdits(t *testing.T) {
	t.Parallel()
	for name, fn := range map[string]rewrite.Func{
		"not an exec": func(e *rewrite.Exec) error {
			e.Op.Op = &pb.Op_Source{Source: &pb.SourceOp{Identifier: "x"}}
			return nil
		},
		"mount out of range": func(e *rewrite.Exec) error {
			rewrite.AddMount(e.Op.GetExec(), rewrite.CacheMount("/c", "c", pb.CacheSharingOpt_SHARED, 99, ""))
			return nil
		},
		"unknown input": func(e *rewrite.Exec) error {
			e.Op.Inputs = append(e.Op.Inputs, &pb.Input{Digest: string(digest.FromString("nope"))})
			return nil
		},
		"added op with unknown input": func(e *rewrite.Exec) error {
			_, err := e.AddInput(&pb.Op{Inputs: []*pb.Input{{Digest: string(digest.FromString("nope"))}}}, nil)
			return err
		},
	} {
		_, err := rewrite.Definition(sampleDefinition(t), fn)
		require.Error(t, err, name)
	}
}

func TestDefinitionMetadataOnlyEdit(t *testing.T) {
	t.Parallel()
	in := sampleDefinition(t)
	out, err := rewrite.Definition(in, func(e *rewrite.Exec) error {
		rewrite.RequireCaps(e.Metadata(), pb.CapExecMountCache)
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, in.Def, out.Def, "metadata does not change digests")
	for name, d := range byName(t, in) {
		if name == "make" || name == "pip install" {
			require.True(t, out.Metadata[string(d)].Caps["exec.mount.cache"], name)
		}
	}
	requireValid(t, out)
}

func TestDefinitionMissingInput(t *testing.T) {
	t.Parallel()
	in := sampleDefinition(t)
	_, order := opsOf(t, in)
	// Drop the python image: ops that use it name a missing digest.
	for i, d := range order {
		if d == byName(t, in)["python"] {
			in.Def = slices.Delete(slices.Clone(in.Def), i, i+1)
			break
		}
	}
	_, err := rewrite.Definition(in, noop)
	require.ErrorContains(t, err, "missing input digest")
}

func TestDefinitionDuplicateEntries(t *testing.T) {
	t.Parallel()
	in := sampleDefinition(t)
	dup := in.CloneVT()
	dup.Def = append([][]byte{dup.Def[0]}, dup.Def...)
	out, err := rewrite.Definition(dup, noop)
	require.NoError(t, err)
	require.Equal(t, in.Def, out.Def)
}

func TestDefinitionSharedAddedOp(t *testing.T) {
	t.Parallel()
	out, err := rewrite.Definition(sampleDefinition(t), addCache)
	require.NoError(t, err)
	count := 0
	for _, dt := range out.Def {
		if bytes.Contains(dt, []byte("no-cache-dir")) {
			count++
		}
	}
	require.Equal(t, 1, count, "config op added by both execs is stored once")
}

// A Func edits a copy of an exec's metadata, made when it asks for it: the
// output has the edit, the input definition keeps what it had, and
// Description reads the edited copy once there is one.
func TestExecMetadata(t *testing.T) {
	t.Parallel()
	in := sampleDefinition(t)
	before := rewritetest.Marshal(in)
	var names []string
	out, err := rewrite.Definition(in, func(e *rewrite.Exec) error {
		if e.Description("llb.customname") != "make" {
			return nil
		}
		e.Metadata().Description["llb.customname"] = "make, edited"
		names = append(names, e.Description("llb.customname"))
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, []string{"make, edited"}, names)
	require.Equal(t, before, rewritetest.Marshal(in))
	var edited int
	for _, md := range out.Metadata {
		if md.GetDescription()["llb.customname"] == "make, edited" {
			edited++
		}
		require.NotEqual(t, "make", md.GetDescription()["llb.customname"])
	}
	require.Equal(t, 1, edited)
}
