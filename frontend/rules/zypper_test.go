package rules

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func zypperMount(base, owner string) *Mount {
	return &Mount{Target: "/run/cachefront/zypper", ID: "cachefront/zypper/" + base + "/linux-amd64", Sharing: Locked, Owner: owner, Dirs: []string{".keep_packages"}}
}

func TestZypper(t *testing.T) {
	t.Parallel()
	const tw, leap = "opensuse_tumbleweed:latest", "opensuse_leap:15.6"
	runSysCases(t, zypper{}, []sysCase{
		{
			name: "zypper -n in, then clean -a", base: tw,
			script: "zypper -n in --no-recommends curl && zypper clean -a",
			edited: "zypper --pkg-cache-dir /run/cachefront/zypper -n in --no-recommends curl && zypper clean -a",
			mount:  zypperMount(tw, "0"),
		},
		{
			name: "refresh is left alone, install and dup get the cache", base: leap,
			script: "zypper --non-interactive --gpg-auto-import-keys ref && zypper --non-interactive dup && zypper install -y -t pattern devel_basis && rm -rf /var/cache/zypp/*",
			edited: "zypper --non-interactive --gpg-auto-import-keys ref && zypper --pkg-cache-dir /run/cachefront/zypper --non-interactive dup && zypper --pkg-cache-dir /run/cachefront/zypper install -y -t pattern devel_basis && rm -rf /var/cache/zypp/*",
			mount:  zypperMount(leap, "0"),
		},
		{
			name: "--installroot and a user through sudo", base: "bci_bci-base:15.6", user: "app",
			script: "sudo zypper --installroot /target --releasever 15.6 in -y coreutils",
			edited: "sudo zypper --pkg-cache-dir /run/cachefront/zypper --installroot /target --releasever 15.6 in -y coreutils",
			mount:  zypperMount("bci_bci-base:15.6", "0"),
		},
		{
			name: "source-install's -d is not --download-only", base: tw,
			script: "zypper -n si -d rpm",
			edited: "zypper --pkg-cache-dir /run/cachefront/zypper -n si -d rpm",
			mount:  zypperMount(tw, "0"),
		},
		{
			name: "--download-only and download keep packages in the image", base: tw,
			script: "zypper -n in -d nftables && zypper download jq && zypper in --download only vim",
			edited: "zypper -n in -d nftables && zypper download jq && zypper in --download only vim",
			note:   "--download-only keeps its packages",
		},
		{
			name: "own package cache is left as written", base: tw,
			script: "zypper --pkg-cache-dir /tmp/rpms in -y foo && rm -rf /tmp/rpms",
			edited: "zypper --pkg-cache-dir /tmp/rpms in -y foo && rm -rf /tmp/rpms",
			note:   "sets its own cache directory",
		},
		{
			name: "nested shell", base: tw,
			script: "su -c 'zypper -n in curl'",
			edited: "su -c 'zypper -n in curl'",
			note:   "could not be rewritten",
		},
		{
			name: "no install", base: tw,
			script: "zypper lr -u && zypper se curl",
			edited: "zypper lr -u && zypper se curl",
		},
	})
}

func TestZypperOwnMount(t *testing.T) {
	t.Parallel()
	s := step(t, "zypper -n in curl", nil, "")
	s.CacheMounts = []string{"/var/cache/zypp/packages"}
	p := checkedRun(t, s, []Rule{zypper{}}, nil)
	require.Equal(t, []string{"zypper"}, p.Managers)
	require.Empty(t, p.Mounts)
	require.Empty(t, p.Edits)
	require.Contains(t, p.Notes[0], "mounts its own zypp cache")
}
