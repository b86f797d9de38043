package testenv

import (
	"archive/tar"
	"os"
	"path/filepath"
	"testing"
)

func TestIgnored(t *testing.T) {
	cases := map[string]bool{
		"/root/.npm/_cacache/x":             true,
		"/opt/venv/lib/a/__pycache__/b.pyc": true,
		"/var/log/apt/history.log":          true,
		"/var/cache/apt/archives/curl.deb":  true,
		"/var/cache/apt/archives/lock":      false,
		"/usr/bin/curl":                     false,
	}
	ignore := []string{"/root/.npm", "__pycache__", "/var/log", "/var/cache/apt/archives/*.deb"}
	for p, want := range cases {
		if got := ignored(p, ignore); got != want {
			t.Errorf("ignored(%q) = %v, want %v", p, got, want)
		}
	}
}

// A hard link reads as the file it links to: the same image whether a tool
// linked or copied a file.
func TestTreeDiffHardLinks(t *testing.T) {
	write := func(entries func(tw *tar.Writer)) string {
		p := filepath.Join(t.TempDir(), "x.tar")
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		tw := tar.NewWriter(f)
		entries(tw)
		if err := tw.Close(); err != nil {
			t.Fatal(err)
		}
		f.Close()
		return p
	}
	file := func(tw *tar.Writer, name, content string) {
		if err := tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(content))}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(content)); err != nil {
			t.Fatal(err)
		}
	}
	link := func(tw *tar.Writer, name, target string) {
		if err := tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeLink, Linkname: target, Mode: 0o644}); err != nil {
			t.Fatal(err)
		}
	}
	linked := write(func(tw *tar.Writer) { file(tw, "a/x", "same"); link(tw, "b/x", "a/x") })
	copied := write(func(tw *tar.Writer) { file(tw, "a/x", "same"); file(tw, "b/x", "same") })
	other := write(func(tw *tar.Writer) { file(tw, "a/x", "same"); file(tw, "b/x", "else") })
	if diffs, err := TreeDiff(linked, copied, nil); err != nil || len(diffs) > 0 {
		t.Fatalf("a hard link and a copy differ: %v %v", diffs, err)
	}
	if diffs, err := TreeDiff(linked, other, nil); err != nil || len(diffs) != 1 {
		t.Fatalf("a hard link to other content does not differ: %v %v", diffs, err)
	}
}
