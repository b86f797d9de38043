package rules

import (
	"testing"

	"github.com/cachefront/cachefront/frontend/shell"
	"github.com/stretchr/testify/require"
)

func dnfMount(base, owner string) *Mount {
	return &Mount{Target: "/run/cachefront/dnf", ID: "cachefront/dnf/" + base + "/linux-amd64", Sharing: Locked, Owner: owner}
}

const (
	dnfSet  = "--setopt=cachedir=/run/cachefront/dnf --setopt=system_cachedir=/run/cachefront/dnf --setopt=keepcache=1 --refresh"
	yumSet  = "--setopt=cachedir=/run/cachefront/dnf --setopt=keepcache=1 '--setopt=*.metadata_expire=0'"
	microSt = "--setopt=cachedir=/run/cachefront/dnf --setopt=keepcache=1 --refresh"
)

func TestDnf(t *testing.T) {
	t.Parallel()
	const f, r = "fedora:41", "rockylinux:9"
	runSysCases(t, dnf{}, []sysCase{
		{
			name: "dnf -y install and clean all", base: f,
			script: "dnf -y install gcc make && dnf clean all",
			edited: "dnf " + dnfSet + " -y install gcc make && dnf clean all",
			mount:  dnfMount(f, "0"),
		},
		{
			name: "dnf5 with --installroot, rm of the default cache", base: f,
			script: "dnf5 install -y --installroot /sysroot --releasever 41 --use-host-config coreutils && rm -rf /var/cache/libdnf5 /sysroot/var/cache/*",
			edited: "dnf5 " + dnfSet + " install -y --installroot /sysroot --releasever 41 --use-host-config coreutils && rm -rf /var/cache/libdnf5 /sysroot/var/cache/*",
			mount:  dnfMount(f, "0"),
		},
		{
			name: "yum gets a repo glob instead of --refresh", base: "centos:7",
			script: "yum install -y epel-release && yum makecache fast && yum clean all && rm -rf /var/cache/yum",
			edited: "yum " + yumSet + " install -y epel-release && yum " + yumSet + " makecache fast && yum clean all && rm -rf /var/cache/yum",
			mount:  dnfMount("centos:7", "0"),
		},
		{
			name: "microdnf on ubi-minimal", base: "ubi9_ubi-minimal:9.4",
			script: "microdnf install -y --nodocs tar gzip && microdnf clean all",
			edited: "microdnf " + microSt + " install -y --nodocs tar gzip && microdnf clean all",
			mount:  dnfMount("ubi9_ubi-minimal:9.4", "0"),
		},
		{
			name: "keepcache=0 is removed, config commands are pointed at the cache too", base: r,
			script: "dnf config-manager --set-enabled crb && dnf install -y --setopt=keepcache=0 --setopt install_weak_deps=False --setopt keepcache=False git",
			edited: "dnf " + dnfSet + " config-manager --set-enabled crb && dnf " + dnfSet + " install -y  --setopt install_weak_deps=False  git",
			mount:  dnfMount(r, "0"), neutralized: []string{"dnf --setopt=keepcache=0"},
		},
		{
			name: "sudo as a user, -C keeps the metadata as cached", base: r, user: "dev",
			script: "sudo dnf -C install -y vim",
			edited: "sudo dnf --setopt=cachedir=/run/cachefront/dnf --setopt=system_cachedir=/run/cachefront/dnf --setopt=keepcache=1 -C install -y vim",
			mount:  dnfMount(r, "0"),
		},
		{
			name: "non-root USER owns the cache", base: f, user: "1000:1000",
			script: "dnf --refresh repoquery --requires bash",
			edited: "dnf --setopt=cachedir=/run/cachefront/dnf --setopt=system_cachedir=/run/cachefront/dnf --setopt=keepcache=1 --refresh repoquery --requires bash",
			mount:  dnfMount(f, "1000:1000"),
		},
		{
			name: "tdnf, with a note on older versions", base: "photon:5.0",
			script: "tdnf install -y shadow && tdnf clean all",
			edited: "tdnf " + microSt + " install -y shadow && tdnf clean all",
			mount:  dnfMount("photon:5.0", "0"), note: "tdnf uses the cache only in versions that read --setopt=cachedir",
		},
		{
			name: "--downloadonly without a directory keeps its packages", base: f,
			script: "dnf install -y --downloadonly kernel",
			edited: "dnf install -y --downloadonly kernel",
			note:   "--downloadonly keeps its packages in the image's cache",
		},
		{
			name: "--downloadonly with --destdir is cached", base: f,
			script: "dnf install -y --downloadonly --destdir /rpms kernel",
			edited: "dnf " + dnfSet + " install -y --downloadonly --destdir /rpms kernel",
			mount:  dnfMount(f, "0"),
		},
		{
			name: "own cachedir is left as written", base: f,
			script: "dnf --setopt cachedir=/tmp/dnf install -y jq && rm -rf /tmp/dnf",
			edited: "dnf --setopt cachedir=/tmp/dnf install -y jq && rm -rf /tmp/dnf",
			note:   "sets cachedir itself",
		},
		{
			name: "nested shell", base: f,
			script: "bash -c 'dnf install -y jq'",
			edited: "bash -c 'dnf install -y jq'",
			note:   "could not be rewritten",
		},
		{
			name: "no download", base: f,
			script: "dnf clean all && dnf --version && rpm -qa",
			edited: "dnf clean all && dnf --version && rpm -qa",
		},
	})
}

func TestDnfOwnMount(t *testing.T) {
	t.Parallel()
	s := step(t, "dnf install -y jq", nil, "")
	s.CacheMounts = []string{"/var/cache/libdnf5"}
	p := checkedRun(t, s, []Rule{dnf{}}, nil)
	require.Equal(t, []string{"dnf"}, p.Managers)
	require.Empty(t, p.Mounts)
	require.Empty(t, p.Edits)
	got, err := shell.Splice(s.Script, p.Edits)
	require.NoError(t, err)
	require.Equal(t, s.Script, got)
}
