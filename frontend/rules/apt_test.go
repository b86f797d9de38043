package rules

import (
	"strings"
	"testing"

	"github.com/cachefront/cachefront/frontend/shell"
	"github.com/stretchr/testify/require"
)

const (
	aptKeep  = "Dir::Cache::archives \"/run/cachefront/apt/archives/\";\nAPT::Keep-Downloaded-Packages \"true\";\nBinary::apt::APT::Keep-Downloaded-Packages \"true\";\n"
	aptLst   = "Dir::State::lists \"/run/cachefront/apt/lists/\";\n"
	aptHook  = "APT::Update::Pre-Invoke { \"mkdir -p /var/lib/apt/lists /var/cache/apt/archives\"; };\n"
	listsNot = "package lists stay in the image"
)

func TestAptWrappers(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		script string
		argv   []string // exec form instead of script
		conf   string   // the transient apt.conf.d file
		dirs   []string
		edited string
		neut   []string
		note   string
	}{
		{
			name: "install_packages fetches and deletes the lists itself", script: "install_packages curl ca-certificates",
			conf: aptKeep + aptLst + aptHook, dirs: []string{"archives/partial", "lists/partial"},
			edited: "install_packages curl ca-certificates",
		},
		{
			name: "install_packages in exec form, by path", argv: []string{"/usr/sbin/install_packages", "git"},
			conf: aptKeep + aptLst + aptHook, dirs: []string{"archives/partial", "lists/partial"},
		},
		{
			name: "install_packages followed by an update keeps the later lists", script: "install_packages curl && apt-get update",
			conf: aptKeep + aptHook, dirs: []string{"archives/partial"},
			edited: "install_packages curl && apt-get update", note: listsNot,
		},
		{
			name: "a script's own install_packages function is read as written", script: `install_packages() { apt-get update && apt-get install -y "$@"; }; install_packages curl`,
			conf: aptKeep, dirs: []string{"archives/partial"},
			edited: `install_packages() { apt-get update && apt-get install -y "$@"; }; install_packages curl`, note: listsNot,
		},
		{
			name: "xx-apt-get install reads the image's lists", script: "xx-apt-get install -y --no-install-recommends libc6-dev zlib1g-dev",
			conf: aptKeep, dirs: []string{"archives/partial"},
			edited: "xx-apt-get install -y --no-install-recommends libc6-dev zlib1g-dev",
		},
		{
			name: "xx-apt update, install, lists removed", script: "xx-apt update && xx-apt install -y libssl-dev && rm -rf /var/lib/apt/lists/*",
			conf: aptKeep + aptLst, dirs: []string{"archives/partial", "lists/partial"},
			edited: "xx-apt update && xx-apt install -y libssl-dev && rm -rf /var/lib/apt/lists/*",
		},
		{
			name: "xx-apt-get clean cleans the image's archives", script: "xx-apt-get install -y gcc && xx-apt-get clean",
			conf: aptKeep, dirs: []string{"archives/partial"},
			edited: "xx-apt-get install -y gcc && xx-apt-get -o Dir::Cache::archives=/var/cache/apt/archives/ clean",
			neut:   []string{"xx-apt-get clean"},
		},
		{
			name: "lists fetched again after the removal stay", script: "apt-get update && apt-get install -y a && rm -rf /var/lib/apt/lists/* && apt-get update",
			conf: aptKeep, dirs: []string{"archives/partial"},
			edited: "apt-get update && apt-get install -y a && rm -rf /var/lib/apt/lists/* && apt-get update", note: listsNot,
		},
		{
			name: "lists read before the update stay", script: "apt-get install -y ca-certificates && apt-get update && apt-get install -y b && rm -rf /var/lib/apt/lists/*",
			conf: aptKeep, dirs: []string{"archives/partial"},
			edited: "apt-get install -y ca-certificates && apt-get update && apt-get install -y b && rm -rf /var/lib/apt/lists/*", note: listsNot,
		},
		{
			name: "removing a directory above the lists counts", script: "apt-get update && apt-get install -y x && rm -rf /var/lib/apt",
			conf: aptKeep + aptLst, dirs: []string{"archives/partial", "lists/partial"},
			edited: "apt-get update && apt-get install -y x && rm -rf /var/lib/apt",
		},
		{
			name: "removing a sibling does not", script: "apt-get update && apt-get install -y x && rm -rf /var/lib/apt/listsold ./var/lib/apt/lists",
			conf: aptKeep, dirs: []string{"archives/partial"},
			edited: "apt-get update && apt-get install -y x && rm -rf /var/lib/apt/listsold ./var/lib/apt/lists", note: listsNot,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var s *Step
			if tc.argv != nil {
				cmds, err := shell.ParseArgs(tc.argv)
				require.NoError(t, err)
				s = &Step{Commands: cmds, Env: map[string]string{}, Platform: "linux/amd64", Base: "bitnami_minideb:bookworm"}
			} else {
				s = step(t, tc.script, nil, "")
				s.Base = "bitnami/minideb:bookworm"
			}
			p := checkedRun(t, s, []Rule{apt{}}, nil)
			require.Equal(t, []string{"apt"}, p.Managers)
			require.Equal(t, []Mount{{Target: "/run/cachefront/apt", ID: "cachefront/apt/bitnami_minideb:bookworm/linux-amd64", Sharing: Locked, Owner: "0", Dirs: tc.dirs}}, p.Mounts)
			require.Equal(t, []File{{Target: "/etc/apt/apt.conf.d/zz-cachefront", Content: tc.conf}}, p.Files)
			if tc.argv == nil {
				got, err := shell.Splice(tc.script, p.Edits)
				require.NoError(t, err)
				require.Equal(t, tc.edited, got)
			} else {
				require.Empty(t, p.Edits)
			}
			require.Equal(t, tc.neut, p.Neutralized)
			if tc.note == "" {
				require.Empty(t, p.Notes)
			} else {
				require.Contains(t, strings.Join(p.Notes, "\n"), tc.note)
			}
		})
	}
}
