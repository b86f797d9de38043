package builder

import (
	"path"

	"github.com/cachefront/cachefront/frontend/rules"
	"github.com/cachefront/cachefront/frontend/shell"
	"github.com/cachefront/cachefront/llb/rewrite"
	"github.com/moby/buildkit/solver/pb"
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
func apply(e *rewrite.Exec, s *rules.Step, plan *rules.Plan) error {
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
			op, md, err := rewrite.DirOp(spec, e.Rootfs())
			if err != nil {
				return err
			}
			if input, err = e.AddInput(op, md); err != nil {
				return err
			}
			selector = "/cache"
		}
		mnt := rewrite.CacheMount(m.Target, m.ID, sharingModes[m.Sharing], input, selector)
		if !rewrite.AddMount(exec, mnt) {
			continue
		}
		rewrite.RequireMountCaps(e.Metadata, mnt)
	}
	if len(plan.Files) > 0 {
		spec := rewrite.DirSpec{Files: map[string][]byte{}}
		for _, f := range plan.Files {
			spec.Files["/"+path.Base(f.Target)] = []byte(f.Content)
		}
		op, md, err := rewrite.DirOp(spec, nil)
		if err != nil {
			return err
		}
		input, err := e.AddInput(op, md)
		if err != nil {
			return err
		}
		for _, f := range plan.Files {
			mnt := rewrite.FileMount(f.Target, input, "/"+path.Base(f.Target))
			if rewrite.AddMount(exec, mnt) {
				rewrite.RequireMountCaps(e.Metadata, mnt)
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
