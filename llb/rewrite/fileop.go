package rewrite

import (
	"os"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/moby/buildkit/solver/pb"
	"github.com/pkg/errors"
)

// Owner is the owner of paths created by DirOp. Each part is a numeric id, "root", a name, or ""
// (see DirOp for what "" means).
type Owner struct {
	User  string
	Group string
}

// ParseOwner parses "user", "user:group" or ":group" (as in --chown) into an Owner.
func ParseOwner(s string) Owner {
	u, g, _ := strings.Cut(s, ":")
	return Owner{User: u, Group: g}
}

// IsRoot reports whether o leaves paths owned by root (no chown).
func (o Owner) IsRoot() bool {
	return o.User == "" && o.Group == ""
}

// DirSpec is what DirOp creates.
type DirSpec struct {
	// Owner owns every created directory (including created parents) and file.
	Owner Owner
	// Dirs are created like mkdir -p. "/" cannot be created or chowned: create a subdirectory
	// and mount it with a selector instead.
	Dirs []string
	// Files maps a path to its content; parent directories are created like Dirs.
	Files map[string][]byte
	// DirMode is the permission of created directories; 0 means 0755.
	DirMode os.FileMode
	// FileMode is the permission of created files; 0 means 0644.
	FileMode os.FileMode
}

// DirOp returns a FileOp that creates, on scratch, spec's directories and files owned by
// spec.Owner, and the metadata it needs (cap file.base). It is meant as the initial content of a
// cache mount (an owned directory mounted with a selector, pre-created subdirectories) and for
// transient config files (FileMount). The actions are sorted by path, so the op is the same
// however spec was assembled.
//
// A numeric id or "root" is stored as is (pb.UserOpt_ByID). A name is stored as a
// pb.NamedUserOpt whose Input is 0, i.e. the op's input 0, which DirOp sets to rootfs: BuildKit's
// FileOp solver resolves a named owner by reading /etc/passwd (user) and /etc/group (group) of the
// op input the NamedUserOpt names, independently of the action's own input, which stays -1
// (scratch). Only those two files are part of the op's cache key, not all of rootfs. rootfs must
// be non-nil when a name is used and is ignored (the op gets no input) otherwise. For a name the
// image does not know BuildKit silently uses 0 (root).
//
// An empty Group means: the user's primary group from /etc/passwd for a named user, the same id
// as the user for a numeric one (BuildKit's readUser); an empty User with a Group means uid 0.
func DirOp(spec DirSpec, rootfs *pb.Input) (*pb.Op, *pb.OpMetadata, error) {
	chown, named, err := chownOpt(spec.Owner)
	if err != nil {
		return nil, nil, err
	}
	op := &pb.Op{}
	if named {
		if rootfs == nil {
			return nil, nil, errors.Errorf("failed to build dir op: owner %q needs a rootfs input to resolve names", ownerString(spec.Owner))
		}
		op.Inputs = []*pb.Input{rootfs.CloneVT()}
	}

	dirMode, fileMode := spec.DirMode, spec.FileMode
	if dirMode == 0 {
		dirMode = 0o755
	}
	if fileMode == 0 {
		fileMode = 0o644
	}

	files := make([]string, 0, len(spec.Files))
	data := make(map[string][]byte, len(spec.Files))
	for p, dt := range spec.Files {
		cp, err := cleanPath(p)
		if err != nil {
			return nil, nil, errors.Wrap(err, "failed to build dir op")
		}
		if _, dup := data[cp]; dup {
			return nil, nil, errors.Errorf("failed to build dir op: file %s given twice", cp)
		}
		data[cp] = dt
		files = append(files, cp)
	}
	slices.Sort(files)

	var dirs []string
	for _, p := range spec.Dirs {
		cp, err := cleanPath(p)
		if err != nil {
			return nil, nil, errors.Wrap(err, "failed to build dir op")
		}
		dirs = append(dirs, cp)
	}
	for _, f := range files {
		if d := path.Dir(f); d != "/" {
			dirs = append(dirs, d)
		}
	}
	for _, d := range dirs {
		for _, f := range files {
			if d == f || strings.HasPrefix(d, f+"/") {
				return nil, nil, errors.Errorf("failed to build dir op: %s is both a file and a directory", f)
			}
		}
	}
	dirs = leafDirs(dirs)
	if len(dirs)+len(files) == 0 {
		return nil, nil, errors.New("failed to build dir op: nothing to create")
	}

	fo := &pb.FileOp{}
	add := func(a pb.IsFileAction) {
		input := int64(pb.Empty) // the first action starts from scratch
		if n := len(fo.Actions); n > 0 {
			// Later ones build on the previous action, numbered after the op's inputs.
			input = int64(len(op.Inputs) + n - 1)
			fo.Actions[n-1].Output = int64(pb.SkipOutput)
		}
		fo.Actions = append(fo.Actions, &pb.FileAction{
			Input:          input,
			SecondaryInput: int64(pb.Empty),
			Output:         0,
			Action:         a,
		})
	}
	for _, d := range dirs {
		add(&pb.FileAction_Mkdir{Mkdir: &pb.FileActionMkDir{
			Path:        d,
			Mode:        int32(dirMode & 0o777),
			MakeParents: true,
			Owner:       chown.CloneVT(),
			Timestamp:   -1,
		}})
	}
	for _, f := range files {
		add(&pb.FileAction_Mkfile{Mkfile: &pb.FileActionMkFile{
			Path:      f,
			Mode:      int32(fileMode & 0o777),
			Data:      slices.Clone(data[f]),
			Owner:     chown.CloneVT(),
			Timestamp: -1,
		}})
	}
	op.Op = &pb.Op_File{File: fo}

	md := &pb.OpMetadata{}
	RequireCaps(md, pb.CapFileBase)
	return op, md, nil
}

// chownOpt converts o; named reports whether a part has to be looked up in the rootfs.
func chownOpt(o Owner) (_ *pb.ChownOpt, named bool, _ error) {
	if o.IsRoot() {
		return nil, false, nil
	}
	co := &pb.ChownOpt{}
	for _, part := range []struct {
		name string
		dst  **pb.UserOpt
	}{{o.User, &co.User}, {o.Group, &co.Group}} {
		if part.name == "" {
			continue
		}
		if strings.ContainsAny(part.name, ":/ \t\n") {
			return nil, false, errors.Errorf("failed to build dir op: invalid owner %q", ownerString(o))
		}
		if id, ok := parseID(part.name); ok {
			*part.dst = &pb.UserOpt{User: &pb.UserOpt_ByID{ByID: id}}
			continue
		}
		*part.dst = &pb.UserOpt{User: &pb.UserOpt_ByName{ByName: &pb.NamedUserOpt{Name: part.name, Input: 0}}}
		named = true
	}
	return co, named, nil
}

// parseID accepts what client/llb's WithUser stores as an id: "root" and decimal numbers.
func parseID(s string) (uint32, bool) {
	if s == "root" {
		return 0, true
	}
	id, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return 0, false
	}
	return uint32(id), true
}

func ownerString(o Owner) string {
	if o.Group == "" {
		return o.User
	}
	return o.User + ":" + o.Group
}

func cleanPath(p string) (string, error) {
	if p == "" {
		return "", errors.New("empty path")
	}
	cp := path.Clean("/" + p)
	if cp == "/" {
		return "", errors.Errorf("cannot create %q: the root of a scratch snapshot cannot be created or chowned; create a subdirectory and mount it with a selector", p)
	}
	return cp, nil
}

// leafDirs sorts and dedupes dirs and drops those that a deeper one creates anyway (mkdir -p
// creates parents with the same mode and owner).
func leafDirs(dirs []string) []string {
	slices.Sort(dirs)
	dirs = slices.Compact(dirs)
	var out []string
	for i, d := range dirs {
		// Children sort after d, but not necessarily right after it ("/a-b" < "/a/c").
		if !slices.ContainsFunc(dirs[i+1:], func(c string) bool { return strings.HasPrefix(c, d+"/") }) {
			out = append(out, d)
		}
	}
	return out
}
