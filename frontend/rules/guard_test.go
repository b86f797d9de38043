package rules

import (
	"strings"
	"testing"

	"github.com/cachefront/cachefront/frontend/shell"
	"github.com/stretchr/testify/require"
)

// An rm that reaches a cache mount, of any rule, is rewritten to spare it
// (rm would fail on the mount point), or costs the mount when it can't be.
func TestRmNeverFailsOnAMount(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		script  string
		env     map[string]string
		targets []string // the mounts left
		spared  bool     // the rm was rewritten
		note    string
	}{
		{name: "rm of the image's pip cache", script: "pip install flask && rm -rf $PIP_CACHE_DIR",
			env: map[string]string{"PIP_CACHE_DIR": "/tmp/pip"}, targets: []string{"/tmp/pip"}, spared: true},
		{name: "rm of a parent, quoted and braced", script: `pip install flask && rm -rf "${CACHE}"`,
			env: map[string]string{"PIP_CACHE_DIR": "/tmp/pip", "CACHE": "/tmp"}, targets: []string{"/tmp/pip"}, spared: true},
		{name: "go module tree removed by hand", script: "go build ./... && rm -rf /go/pkg/mod",
			env: map[string]string{"GOPATH": "/go"}, targets: []string{CacheRoot + "/go-build", "/go/pkg/mod/cache/download"}, spared: true},
		{name: "rm of the content keeps the mount point", script: "pip install flask && rm -rf /tmp/pip/*",
			env: map[string]string{"PIP_CACHE_DIR": "/tmp/pip"}, targets: []string{"/tmp/pip"}, spared: true},
		{name: "an rm in a nested shell costs the mount", script: "pip install flask && sh -c 'rm -rf /tmp/pip'",
			env: map[string]string{"PIP_CACHE_DIR": "/tmp/pip"}, targets: []string{}, note: "can't be rewritten here; not cached"},
		{name: "relocated caches are never named by the script", script: "pip install flask && rm -rf /root/.cache",
			targets: []string{CacheRoot + "/pip"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := step(t, tc.script, tc.env, "")
			p := checkedRun(t, s, All(), nil)
			got := []string{}
			for _, m := range p.Mounts {
				got = append(got, m.Target)
			}
			require.ElementsMatch(t, tc.targets, got)
			edited, err := shell.Splice(s.Script, p.Edits)
			require.NoError(t, err)
			require.Equal(t, tc.spared, strings.Contains(edited, spareMarker), edited)
			_, err = shell.Parse(edited)
			require.NoError(t, err)
			if tc.note != "" {
				require.Contains(t, strings.Join(p.Notes, "\n"), tc.note)
			}
		})
	}
}
