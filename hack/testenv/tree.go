package testenv

import (
	"archive/tar"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strings"

	"github.com/pkg/errors"
)

// TreeDiff compares two root filesystems exported as tar files (see
// SolveOpt.Output) and returns the paths
// that differ (missing on one side, or of another type, mode, size, content
// or link target), with the reason. Paths at or below one matching ignore
// are skipped (see ignored).
func TreeDiff(a, b string, ignore []string) ([]string, error) {
	ea, err := walkTree(a)
	if err != nil {
		return nil, err
	}
	eb, err := walkTree(b)
	if err != nil {
		return nil, err
	}
	var diffs []string
	seen := map[string]bool{}
	for p := range ea {
		seen[p] = true
	}
	for p := range eb {
		seen[p] = true
	}
	var all []string
	for p := range seen {
		all = append(all, p)
	}
	sort.Strings(all)
	for _, p := range all {
		if ignored(p, ignore) {
			continue
		}
		x, okA := ea[p]
		y, okB := eb[p]
		switch {
		case !okA:
			diffs = append(diffs, "only in second: "+p)
		case !okB:
			diffs = append(diffs, "only in first: "+p)
		case x != y:
			diffs = append(diffs, fmt.Sprintf("differs: %s (%s vs %s)", p, x, y))
		}
	}
	return diffs, nil
}

// ignored reports whether p or a directory above it matches one of
// patterns: a pattern with a slash matches the whole path, one without
// matches a base name ("__pycache__", "*.pyc").
func ignored(p string, patterns []string) bool {
	for _, pat := range patterns {
		for q := p; q != "/" && q != "."; q = path.Dir(q) {
			name := q
			if !strings.Contains(pat, "/") {
				name = path.Base(q)
			}
			if ok, _ := path.Match(pat, name); ok {
				return true
			}
		}
	}
	return false
}

func walkTree(file string) (map[string]string, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]string{}
	tr := tar.NewReader(f)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, errors.Wrapf(err, "failed to read %s", file)
		}
		desc := fmt.Sprintf("%c %o", hdr.Typeflag, hdr.Mode&0o7777)
		switch hdr.Typeflag {
		case tar.TypeLink:
			// A hard link is the file it links to, which the tar holds
			// earlier: whether a file shares its inode with another (pnpm
			// links from its store, a copy does not) is no difference in
			// what the image holds.
			if d, ok := out["/"+strings.Trim(path.Clean(hdr.Linkname), "/")]; ok {
				desc = d
			} else {
				desc += " -> " + hdr.Linkname
			}
		case tar.TypeSymlink:
			desc += " -> " + hdr.Linkname
		case tar.TypeReg:
			h := sha256.New()
			if _, err := io.Copy(h, tr); err != nil {
				return nil, err
			}
			desc += fmt.Sprintf(" %d %x", hdr.Size, h.Sum(nil)[:8])
		}
		out["/"+strings.Trim(path.Clean(hdr.Name), "/")] = desc
	}
}

// TarFile returns the content of the file at name (e.g. "/etc/os-release")
// in a tar file written by a build's Output.
func TarFile(file, name string) (string, error) {
	f, err := os.Open(file)
	if err != nil {
		return "", err
	}
	defer f.Close()
	tr := tar.NewReader(f)
	want := strings.Trim(path.Clean(name), "/")
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return "", errors.Errorf("%s has no %s", file, name)
		}
		if err != nil {
			return "", err
		}
		if strings.Trim(path.Clean(hdr.Name), "/") == want {
			dt, err := io.ReadAll(tr)
			return string(dt), err
		}
	}
}
