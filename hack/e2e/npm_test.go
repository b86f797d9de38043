package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// withResolved rewrites the lockfile in dir the way most projects' lockfiles
// are: with the resolved tarball URL of every package. The committed
// lockfiles leave them out (no registry host is written into this project),
// and without them `npm ci` must fetch every package's metadata, cached or
// not, which would hide what the cache saves. The lockfile is made anew from
// package.json, so versions it does not pin may move.
func withResolved(t *testing.T, dir string) {
	t.Helper()
	if err := os.Remove(filepath.Join(dir, "package-lock.json")); err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	cmd := exec.Command("npm", "install", "--package-lock-only", "--no-audit", "--no-fund",
		"--omit-lockfile-registry-resolved=false", "--ignore-scripts")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("npm install --package-lock-only: %v\n%s", err, out)
	}
	dt, err := os.ReadFile(filepath.Join(dir, "package-lock.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(dt), `"resolved"`) {
		t.Fatal("the regenerated lockfile has no resolved URLs")
	}
}
