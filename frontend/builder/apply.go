package builder

import (
	"fmt"
	"path"

	"github.com/cachefront/cachefront/frontend/rules"
	"github.com/cachefront/cachefront/frontend/shell"
	"github.com/cachefront/cachefront/llb/rewrite"
	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"
	"github.com/pkg/errors"
)

var sharingModes = map[rules.Sharing]pb.CacheSharingOpt{
	rules.Shared:  pb.CacheSharingOpt_SHARED,
	rules.Locked:  pb.CacheSharingOpt_LOCKED,
	rules.Private: pb.CacheSharingOpt_PRIVATE,
}

// apply carries out plan on the exec: cache mounts, transient files and env,
// and script edits. Nothing of it reaches the image config: env lives in
// this ExecOp only, and BuildKit removes the mount points it created.
func apply(e *rewrite.Exec, s *rules.Step, plan *rules.Plan, added *addedOps) error {
	exec := e.Op.GetExec()
	for _, m := range plan.Mounts {
		input, selector := pb.Empty, ""
		if m.Owner != "0" || len(m.Dirs) > 0 {
			// A new cache starts as this directory: owned by the step's
			// user, with the subdirectories the tool expects.
			spec := rewrite.DirSpec{Dirs: []string{"/cache"}}
			if m.Owner != "0" {
				spec.Owner = rewrite.ParseOwner(m.Owner)
			}
			for _, d := range m.Dirs {
				spec.Dirs = append(spec.Dirs, path.Join("/cache", d))
			}
			rootfs := e.Rootfs()
			key := fmt.Appendf(added.key(), "dirs %q %q %q", spec.Owner.User, spec.Owner.Group, spec.Dirs)
			if rootfs != nil {
				key = fmt.Appendf(key, " on %s %d", rootfs.Digest, rootfs.Index)
			}
			var err error
			input, err = added.add(e, key, func() (*pb.Op, *pb.OpMetadata, error) { return rewrite.DirOp(spec, rootfs) })
			if err != nil {
				return err
			}
			selector = "/cache"
		}
		mnt := rewrite.CacheMount(m.Target, m.ID, sharingModes[m.Sharing], input, selector)
		if !rewrite.AddMount(exec, mnt) {
			continue
		}
		rewrite.RequireMountCaps(e.Metadata(), mnt)
	}
	if len(plan.Files) > 0 {
		key := added.key()
		for _, f := range plan.Files {
			key = append(append(key, f.Target...), 0)
			key = append(append(key, f.Content...), 0)
		}
		input, err := added.add(e, key, func() (*pb.Op, *pb.OpMetadata, error) {
			spec := rewrite.DirSpec{Files: map[string][]byte{}}
			for _, f := range plan.Files {
				spec.Files["/"+path.Base(f.Target)] = []byte(f.Content)
			}
			return rewrite.DirOp(spec, nil)
		})
		if err != nil {
			return err
		}
		for _, f := range plan.Files {
			mnt := rewrite.FileMount(f.Target, input, "/"+path.Base(f.Target))
			if rewrite.AddMount(exec, mnt) {
				rewrite.RequireMountCaps(e.Metadata(), mnt)
			}
		}
	}
	for _, k := range sortedKeys(plan.Env) {
		rewrite.SetEnv(exec.Meta, k, plan.Env[k])
	}
	for _, k := range plan.Unset {
		rewrite.UnsetEnv(exec.Meta, k)
	}
	if len(plan.Edits) > 0 {
		i, ok := shell.ShellScript(exec.Meta.Args)
		if !ok || exec.Meta.Args[i] != s.Script {
			return errors.New("failed to edit the step's script: it is not a shell -c argument")
		}
		script, err := shell.Splice(s.Script, plan.Edits)
		if err != nil {
			return errors.Wrap(err, "failed to edit the step's script")
		}
		exec.Meta.Args[i] = script
	}
	return nil
}

// addedOps are the ops apply added in one rewrite, by a key of what they
// hold: a step like an earlier one reuses the op instead of building,
// marshalling and digesting it again (the settings script is in most).
type addedOps struct {
	ops map[string]digest.Digest
	// buf holds the key being made: looking it up as string(buf) copies
	// nothing (the settings script alone is kilobytes); only a new key is.
	buf []byte
}

// key returns an empty key to append to, reusing the last one's memory.
func (a *addedOps) key() []byte {
	return a.buf[:0]
}

// add adds the op build makes, or the one added before under key, as an
// input of e.
func (a *addedOps) add(e *rewrite.Exec, key []byte, build func() (*pb.Op, *pb.OpMetadata, error)) (pb.InputIndex, error) {
	a.buf = key
	if dgst, ok := a.ops[string(key)]; ok {
		return e.ReuseInput(dgst)
	}
	op, md, err := build()
	if err != nil {
		return 0, err
	}
	i, err := e.AddInput(op, md)
	if err != nil {
		return 0, err
	}
	if a.ops == nil {
		a.ops = map[string]digest.Digest{}
	}
	a.ops[string(key)] = digest.Digest(e.Op.Inputs[i].Digest)
	return i, nil
}
