package builder

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/cachefront/cachefront/frontend/rules"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/moby/buildkit/frontend/gateway/client"
	"github.com/pkg/errors"
)

// maxContextFile bounds the files rules read from the build context; tool
// settings are a few hundred bytes.
const maxContextFile = 1 << 20

// contextFiles reads, for the rules, the files of rules.ContextFiles at the
// root of the main build context. They are fetched together, the first time
// a rule asks (a step runs a manager that keeps settings there), and at most
// once per build. Files the .dockerignore excludes are not there, as they
// are not in the image either.
type contextFiles struct {
	client client.Client

	once  sync.Once
	ref   client.Reference
	names map[string]bool // regular files present
	err   error

	mu   sync.Mutex
	read map[string]contextFile
}

type contextFile struct {
	data []byte
	err  error
}

// reader returns the rules' view of the context for one solve.
func (f *contextFiles) reader(ctx context.Context) func(string) ([]byte, error) {
	if f == nil {
		return nil
	}
	return func(name string) ([]byte, error) { return f.file(ctx, name) }
}

func (f *contextFiles) file(ctx context.Context, name string) ([]byte, error) {
	if !slices.Contains(rules.ContextFiles, name) {
		return nil, errors.Errorf("%s is not a build context file cachefront reads", name)
	}
	f.once.Do(func() { f.err = f.load(ctx) })
	if f.err != nil {
		return nil, f.err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if r, ok := f.read[name]; ok {
		return r.data, r.err
	}
	var r contextFile
	if !f.names[name] {
		r.err = errors.Wrapf(fs.ErrNotExist, "%s in the build context", name)
	} else {
		r.data, r.err = f.ref.ReadFile(ctx, client.ReadRequest{Filename: name, Range: &client.FileRange{Length: maxContextFile + 1}})
		if r.err == nil && len(r.data) > maxContextFile {
			r.data, r.err = nil, errors.Errorf("%s in the build context is larger than %d bytes", name, maxContextFile)
		}
	}
	f.read[name] = r
	return r.data, r.err
}

// load solves the main context, narrowed to the files rules read, as
// upstream reads the Dockerfile, and lists which of them are there.
func (f *contextFiles) load(ctx context.Context) error {
	bc, err := dockerui.NewClient(f.client)
	if err != nil {
		return err
	}
	opts := f.client.BuildOpts()
	key := dockerui.DefaultLocalNameContext
	if v, ok := opts.Opts["contextkey"]; ok {
		key = v
	}
	// A shared key of its own keeps this narrow transfer from pruning the
	// synced copy of the whole context that the build's own steps reuse.
	st, err := bc.MainContext(ctx,
		llb.FollowPaths(rules.ContextFiles),
		llb.SharedKeyHint(key+"-cachefront"),
		dockerui.WithInternalName("load build context files for cachefront"),
		llb.Differ(llb.DiffNone, false),
	)
	if err != nil {
		return err
	}
	def, err := st.Marshal(ctx, llb.WithCaps(opts.Caps))
	if err != nil {
		return errors.Wrap(err, "failed to marshal the build context")
	}
	res, err := f.client.Solve(ctx, client.SolveRequest{Definition: def.ToPB()})
	if err != nil {
		return errors.Wrap(err, "failed to load the build context")
	}
	ref, err := res.SingleRef()
	if err != nil {
		return err
	}
	f.ref, f.names, f.read = ref, map[string]bool{}, map[string]contextFile{}
	if ref == nil {
		return nil
	}
	entries, err := ref.ReadDir(ctx, client.ReadDirRequest{Path: "/"})
	if err != nil {
		return errors.Wrap(err, "failed to list the build context")
	}
	for _, e := range entries {
		if fs.FileMode(e.Mode).IsRegular() && slices.Contains(rules.ContextFiles, e.Path) {
			f.names[e.Path] = true
		}
	}
	return nil
}

// dirContext reads the files of rules.ContextFiles from a build context on
// disk, for `cachefront plan`.
func dirContext(dir string) func(string) ([]byte, error) {
	return func(name string) ([]byte, error) {
		if !slices.Contains(rules.ContextFiles, name) {
			return nil, errors.Errorf("%s is not a build context file cachefront reads", name)
		}
		p := filepath.Join(dir, name)
		st, err := os.Lstat(p)
		switch {
		case err != nil:
			return nil, err
		case !st.Mode().IsRegular():
			return nil, errors.Wrapf(fs.ErrNotExist, "%s is not a regular file", p)
		case st.Size() > maxContextFile:
			return nil, errors.Errorf("%s is larger than %d bytes", p, maxContextFile)
		}
		return os.ReadFile(p)
	}
}
