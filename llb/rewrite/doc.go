// Package rewrite edits the ExecOps of a BuildKit LLB definition (pb.Definition) and keeps the
// result valid and deterministic.
//
// A definition is a list of marshalled pb.Op whose identity is the digest of their bytes; an op
// names its inputs by those digests. Changing one op therefore changes its digest and the digest
// of every op that depends on it, and the per-op Metadata and Source.Locations keyed by digest
// must follow. Definition does that bookkeeping: it walks the ops in dependency order, hands every
// ExecOp to a Func, re-marshals only what changed and re-keys everything else, the same way
// BuildKit's solver does it when it loads a definition (solver/llbsolver/vertex.go:
// recomputeDigests), except that the bytes are marshalled deterministically (sorted map keys, as
// client/llb does) so the same input always gives the same output.
//
// The helpers in mounts.go, fileop.go, env.go and caps.go build the usual edits: a cache mount
// (optionally with initial content), a read-only file bind mount, a FileOp that creates owned
// directories and config files on scratch, environment changes and the caps the edits need.
//
// A typical Func that gives a package manager a cache owned by a non-root user:
//
//	func(e *rewrite.Exec) error {
//		rootfs := e.Rootfs() // the user is resolved against this input's /etc/passwd
//		op, md, err := rewrite.DirOp(rewrite.DirSpec{
//			Owner: rewrite.ParseOwner("app"),
//			Dirs:  []string{"/cache"},
//		}, rootfs)
//		if err != nil {
//			return err
//		}
//		in, err := e.AddInput(op, md)
//		if err != nil {
//			return err
//		}
//		// mount the owned subdirectory, not the root of the scratch snapshot, which a FileOp
//		// cannot chown (same trick as dockerfile2llb's setCacheUIDGID)
//		m := rewrite.CacheMount("/home/app/.cache/pip", "pip", pb.CacheSharingOpt_LOCKED, in, "/cache")
//		if rewrite.AddMount(e.Op.GetExec(), m) {
//			rewrite.RequireMountCaps(e.Metadata(), m)
//		}
//		return nil
//	}
//
// This package must not depend on the frontend packages of cachefront; depcheck_test.go
// enforces it.
package rewrite
