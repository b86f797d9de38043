// Package builder is the cachefront frontend: upstream's Dockerfile frontend,
// run unchanged, with every LLB definition it solves rewritten so that RUN
// steps that download packages use cache mounts.
package builder

import (
	"context"
	"strings"
	"sync"

	"github.com/distribution/reference"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	"github.com/moby/buildkit/frontend/dockerfile/builder"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/moby/buildkit/frontend/gateway/client"
	digest "github.com/opencontainers/go-digest"
)

// Build runs upstream's Dockerfile frontend through a client that rewrites
// what it solves. Subrequests (outline, targets, check), multi-platform
// builds, named contexts and cache imports are upstream's code, unchanged.
func Build(ctx context.Context, c client.Client) (*client.Result, error) {
	cfg, err := ParseConfig(c.BuildOpts().Opts)
	if err != nil {
		return nil, err
	}
	if cfg.Off {
		return builder.Build(ctx, c)
	}
	rc := &rewritingClient{Client: c, cfg: cfg, context: &contextFiles{client: c}}
	if err := rc.keepFromForwardingToSelf(ctx); err != nil {
		return nil, err
	}
	res, err := builder.Build(ctx, rc)
	if err != nil {
		return nil, err
	}
	rc.warn(ctx)
	return res, nil
}

// rewritingClient is the gateway client upstream's frontend talks to. It
// rewrites each definition on its way to Solve and keeps the reports.
type rewritingClient struct {
	client.Client
	cfg     Config
	context *contextFiles

	mu      sync.Mutex
	reports []*StepReport
	vertex  digest.Digest
	opts    *client.BuildOpts
	configs map[string][]byte // image configs resolved, by manifest digest and ref
}

var _ client.Client = &rewritingClient{}

// Solve rewrites req.Definition, if any, then solves it.
func (c *rewritingClient) Solve(ctx context.Context, req client.SolveRequest) (*client.Result, error) {
	if req.Definition != nil && len(req.Definition.Def) > 0 {
		cfg := c.cfg
		cfg.ContextFile = c.context.reader(ctx)
		cfg.ImageConfig = c.imageConfig
		def, reports, err := Rewrite(req.Definition, cfg)
		if err != nil {
			return nil, err
		}
		c.mu.Lock()
		for _, r := range reports {
			if r.Changed() {
				c.reports = append(c.reports, r)
			}
		}
		if c.vertex == "" && len(def.Def) > 0 && len(c.reports) > 0 {
			c.vertex = digest.FromBytes(def.Def[len(def.Def)-1])
		}
		c.mu.Unlock()
		req.Definition = def
	}
	return c.Client.Solve(ctx, req)
}

// ResolveImageConfig resolves as the client does and keeps the config: the
// rules read what made a base image from its history.
func (c *rewritingClient) ResolveImageConfig(ctx context.Context, ref string, opt sourceresolver.Opt) (string, digest.Digest, []byte, error) {
	ref, dgst, dt, err := c.Client.ResolveImageConfig(ctx, ref, opt)
	if err == nil {
		// An image op names the image by digest, or (a named context) by
		// the ref as resolved, normalised.
		keys := []string{ref}
		if dgst != "" {
			keys = append(keys, dgst.String())
		}
		if named, err := reference.ParseNormalizedNamed(ref); err == nil {
			keys = append(keys, named.String())
		}
		c.mu.Lock()
		if c.configs == nil {
			c.configs = map[string][]byte{}
		}
		for _, k := range keys {
			c.configs[k] = dt
		}
		c.mu.Unlock()
	}
	return ref, dgst, dt, err
}

func (c *rewritingClient) imageConfig(ref string) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	dt, ok := c.configs[ref]
	return dt, ok
}

// BuildOpts returns the client's options, with any override set by
// keepFromForwardingToSelf.
func (c *rewritingClient) BuildOpts() client.BuildOpts {
	if c.opts != nil {
		return *c.opts
	}
	return c.Client.BuildOpts()
}

// keepFromForwardingToSelf stops upstream from forwarding the build to the
// frontend a `# syntax=` line names when that frontend is cachefront itself:
// it is already running. Any other frontend is forwarded to, as upstream
// does. BuildKit's own forwarding sets "cmdline", so only a direct
// invocation (gateway.v0 with source=cachefront) reads the Dockerfile here.
func (c *rewritingClient) keepFromForwardingToSelf(ctx context.Context) error {
	opts := c.Client.BuildOpts()
	if _, ok := opts.Opts["cmdline"]; ok {
		return nil
	}
	bc, err := dockerui.NewClient(c.Client)
	if err != nil {
		return err
	}
	src, err := bc.ReadEntrypoint(ctx, "Dockerfile")
	if err != nil {
		return err
	}
	ref, cmdline, _, ok := parser.DetectSyntax(src.Data)
	if !ok || !IsSelf(ref) {
		return nil
	}
	o := opts
	o.Opts = map[string]string{}
	for k, v := range opts.Opts {
		o.Opts[k] = v
	}
	o.Opts["cmdline"] = cmdline
	c.opts = &o
	return nil
}

// IsSelf reports whether an image reference names cachefront's frontend.
func IsSelf(ref string) bool {
	ref, _, _ = strings.Cut(ref, "@")
	name := ref[strings.LastIndex(ref, "/")+1:]
	name, _, _ = strings.Cut(name, ":")
	return name == "cachefront"
}

// warn sends one build warning that sums up what was rewritten.
func (c *rewritingClient) warn(ctx context.Context) {
	c.mu.Lock()
	defer c.mu.Unlock()
	msg, lines := Summary(c.reports)
	if msg == "" {
		return
	}
	opts := client.WarnOpts{Level: 1, SourceInfo: c.reports[0].source, Range: c.reports[0].ranges}
	for _, l := range lines {
		opts.Detail = append(opts.Detail, []byte(l))
	}
	_ = c.Client.Warn(ctx, c.vertex, msg, opts)
}
