package builder

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"sync"

	"github.com/containerd/platforms"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	"github.com/moby/buildkit/frontend/dockerfile/dockerfile2llb"
	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"
	"github.com/pkg/errors"
)

// PlanOpt is what an offline plan needs besides the Dockerfile.
type PlanOpt struct {
	// Filename names the Dockerfile in errors and source locations.
	Filename string
	// Target is the stage to build; "" for the last one.
	Target string
	// BuildArgs are the --build-arg values, CACHEFRONT* included.
	BuildArgs map[string]string
	// ContextDir is the build context on disk, whose tool settings rules
	// read (.yarnrc.yml); "" when unknown.
	ContextDir string
}

// Plan is what cachefront would do to a Dockerfile, found without a build.
type Plan struct {
	Steps []*StepReport `json:"steps"`
	// Notes apply to the whole plan, e.g. base images that were not
	// resolved.
	Notes []string `json:"notes,omitempty"`
}

// MakePlan converts dt to LLB as upstream's frontend does and runs the same
// rewrite as a build, without contacting a registry: base images count as
// root with an empty environment, and a note says so.
func MakePlan(ctx context.Context, dt []byte, opt PlanOpt) (*Plan, error) {
	attrs := map[string]string{}
	for k, v := range opt.BuildArgs {
		attrs["build-arg:"+k] = v
	}
	cfg, err := ParseConfig(attrs)
	if err != nil {
		return nil, err
	}
	if opt.ContextDir != "" {
		cfg.ContextFile = dirContext(opt.ContextDir)
	}
	def, notes, err := Convert(ctx, dt, opt)
	if err != nil {
		return nil, err
	}
	_, reports, err := Rewrite(def, cfg)
	if err != nil {
		return nil, err
	}
	return &Plan{Steps: reports, Notes: notes}, nil
}

// Convert is upstream's conversion of dt to LLB, run offline as MakePlan
// runs it: what cachefront rewrites. The notes say which base images were
// not resolved and which unset build args got a placeholder.
func Convert(ctx context.Context, dt []byte, opt PlanOpt) (*pb.Definition, []string, error) {
	name := opt.Filename
	if name == "" {
		name = "Dockerfile"
	}
	// Without a gateway client, upstream reads LLB capabilities from
	// LLBCaps and dereferences it for some mounts: give it every capability
	// of the BuildKit version it comes with, as a build against it would.
	caps := pb.Caps.CapSet(pb.Caps.All())
	convert := func(args map[string]string) (*dockerfile2llb.Result, *offlineResolver, error) {
		resolver := &offlineResolver{}
		res, err := dockerfile2llb.Dockerfile2LLB(ctx, dt, dockerfile2llb.ConvertOpt{
			Config:       dockerui.Config{Target: opt.Target, BuildArgs: args},
			SourceMap:    llb.NewSourceMap(nil, name, "Dockerfile", dt),
			MetaResolver: resolver,
			LLBCaps:      &caps,
		})
		return res, resolver, err
	}
	res, resolver, err := convert(opt.BuildArgs)
	var notes []string
	if err != nil {
		// A base image named by a build arg without a value fails as in a
		// build; the plan goes on with a placeholder image, and says so.
		if args, argNotes := placeholderArgs(dt, opt.BuildArgs); len(argNotes) > 0 {
			if r, rr, err2 := convert(args); err2 == nil {
				res, resolver, err, notes = r, rr, nil, argNotes
			}
		}
	}
	if err != nil {
		return nil, nil, err
	}
	def, err := res.State.Marshal(ctx)
	if err != nil {
		return nil, nil, errors.Wrap(err, "failed to marshal LLB definition")
	}
	for _, ref := range resolver.refs() {
		notes = append(notes, fmt.Sprintf("base image %s was not resolved: counted as root with an empty environment", ref))
	}
	return def.ToPB(), notes, nil
}

// offlineResolver answers every image config request with an empty image
// that has one layer (so it is not taken for scratch), and remembers the refs.
type offlineResolver struct {
	mu   sync.Mutex
	seen map[string]bool
}

func (r *offlineResolver) ResolveImageConfig(ctx context.Context, ref string, opt sourceresolver.Opt) (string, digest.Digest, []byte, error) {
	r.mu.Lock()
	if r.seen == nil {
		r.seen = map[string]bool{}
	}
	r.seen[ref] = true
	r.mu.Unlock()
	p := platforms.DefaultSpec()
	if opt.ImageOpt != nil && opt.ImageOpt.Platform != nil {
		p = *opt.ImageOpt.Platform
	}
	img := map[string]any{
		"os": p.OS, "architecture": p.Architecture, "variant": p.Variant,
		"rootfs": map[string]any{"type": "layers", "diff_ids": []string{string(digest.FromString(ref))}},
		"config": map[string]any{},
	}
	dt, err := json.Marshal(img)
	return ref, "", dt, err
}

func (r *offlineResolver) refs() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for ref := range r.seen {
		out = append(out, ref)
	}
	sort.Strings(out)
	return out
}
