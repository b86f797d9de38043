package rewrite_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// forbiddenPrefix is the part of cachefront that llb/ must not depend on: the frontend uses llb,
// never the other way round.
const forbiddenPrefix = "github.com/cachefront/cachefront/frontend"

// TestImportDirection checks, with go list -deps as crane's depcheck does, that no package under
// llb/ (nor its tests) depends on the frontend packages.
func TestImportDirection(t *testing.T) {
	t.Parallel()
	gobin, err := exec.LookPath("go")
	if err != nil {
		gobin = filepath.Join(os.Getenv("GOROOT"), "bin", "go")
	}
	for _, args := range [][]string{
		{"list", "-deps", "github.com/cachefront/cachefront/llb/..."},
		{"list", "-deps", "-test", "github.com/cachefront/cachefront/llb/..."},
	} {
		out, err := exec.Command(gobin, args...).CombinedOutput()
		require.NoError(t, err, "go %s: %s", strings.Join(args, " "), out)
		deps := strings.Fields(string(out))
		require.Contains(t, deps, "github.com/cachefront/cachefront/llb/rewrite", "go list saw the package")
		for _, dep := range deps {
			if dep == forbiddenPrefix || strings.HasPrefix(dep, forbiddenPrefix+"/") {
				t.Errorf("go %s: llb depends on %s", strings.Join(args, " "), dep)
			}
		}
	}
}
