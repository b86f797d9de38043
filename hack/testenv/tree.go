package testenv

import (
	"crypto/sha256"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// TreeDiff compares two exported root filesystems and returns the paths
// that differ (missing on one side, or of another type, mode, size, content
// or link target), with the reason. Paths at or below one of ignore are
// skipped: glob patterns matched against each path component prefix.
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

func ignored(p string, patterns []string) bool {
	for _, pat := range patterns {
		for q := p; q != "/" && q != "."; q = path.Dir(q) {
			if ok, _ := path.Match(pat, q); ok {
				return true
			}
		}
	}
	return false
}

func walkTree(root string) (map[string]string, error) {
	out := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = "/" + filepath.ToSlash(rel)
		if rel == "/." {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		desc := info.Mode().String()
		switch {
		case info.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			desc += " -> " + target
		case info.Mode().IsRegular():
			f, err := os.Open(p)
			if err != nil {
				return err
			}
			h := sha256.New()
			_, err = io.Copy(h, f)
			f.Close()
			if err != nil {
				return err
			}
			desc += fmt.Sprintf(" %d %x", info.Size(), h.Sum(nil)[:8])
		}
		out[strings.TrimSuffix(rel, "/")] = desc
		return nil
	})
	return out, err
}
