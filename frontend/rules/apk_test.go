package rules

import (
	"strings"
	"testing"

	"github.com/cachefront/cachefront/frontend/shell"
	"github.com/stretchr/testify/require"
)

// sysCase is a table case for the system package managers' rules: the step
// runs script on base as user; the plan must edit it into edited and mount
// what mounts says (nil: nothing).
type sysCase struct {
	name        string
	script      string
	base, user  string
	edited      string
	mount       *Mount // Target, ID, Sharing, Owner and Dirs checked
	neutralized []string
	note        string // a substring of one note; "" for no note
}

func runSysCases(t *testing.T, rule Rule, cases []sysCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := step(t, tc.script, nil, tc.user)
			s.Base = tc.base
			p := checkedRun(t, s, []Rule{rule}, nil)
			got, err := shell.Splice(tc.script, p.Edits)
			require.NoError(t, err)
			require.Equal(t, tc.edited, got)
			_, err = shell.Parse(got)
			require.NoError(t, err, "the rewritten script must still parse")
			if tc.mount == nil {
				require.Empty(t, p.Mounts)
			} else {
				require.Len(t, p.Mounts, 1)
				require.Equal(t, *tc.mount, p.Mounts[0])
			}
			require.Equal(t, tc.neutralized, p.Neutralized)
			require.Empty(t, p.Env)
			if tc.note == "" {
				require.Empty(t, p.Notes)
			} else {
				require.Contains(t, strings.Join(p.Notes, "\n"), tc.note)
			}
		})
	}
}

func apkMount(base, owner string) *Mount {
	return &Mount{Target: "/run/cachefront/apk", ID: "cachefront/apk/" + base + "/linux-amd64", Sharing: Locked, Owner: owner}
}

func TestApk(t *testing.T) {
	t.Parallel()
	const a = "alpine:3.20"
	runSysCases(t, apk{}, []sysCase{
		{
			name: "--no-cache becomes a fresh index in the cache", base: a,
			script: "apk add --no-cache curl jq",
			edited: "apk --cache-dir /run/cachefront/apk add --update-cache curl jq",
			mount:  apkMount(a, "0"), neutralized: []string{"apk --no-cache"},
		},
		{
			name: "option before the verb, and del of a virtual package", base: a,
			script: "apk --no-cache add --virtual .build-deps gcc musl-dev && make && apk del .build-deps",
			edited: "apk --cache-dir /run/cachefront/apk --update-cache add --virtual .build-deps gcc musl-dev && make && apk --cache-dir /run/cachefront/apk del .build-deps",
			mount:  apkMount(a, "0"), neutralized: []string{"apk --no-cache"},
		},
		{
			name: "update, add and rm of the index cache", base: "python:3.12-alpine",
			script: "apk update && apk add -U git && rm -rf /var/cache/apk/*",
			edited: "apk --cache-dir /run/cachefront/apk --update-cache update && apk --cache-dir /run/cachefront/apk add -U git && rm -rf /var/cache/apk/*",
			mount:  apkMount("python:3.12-alpine", "0"),
		},
		{
			name: "plain add keeps no indexes in the image", base: a,
			script: "apk add curl",
			edited: "apk --cache-dir /run/cachefront/apk --update-cache add curl",
			mount:  apkMount(a, "0"), note: "no longer in the image's /var/cache/apk",
		},
		{
			name: "readers with --no-cache fetch their own indexes", base: a,
			script: "apk add --no-cache curl; apk --no-cache search -v curl; apk info -e curl",
			edited: "apk --cache-dir /run/cachefront/apk add --update-cache curl; apk --no-cache search -v curl; apk --cache-dir /run/cachefront/apk info -e curl",
			mount:  apkMount(a, "0"), neutralized: []string{"apk --no-cache"},
		},
		{
			name: "xx-apk through sudo as a user", base: "golang:1.22-alpine", user: "builder",
			script: "sudo xx-apk add --no-cache musl-dev zlib-dev",
			edited: "sudo xx-apk --cache-dir /run/cachefront/apk add --update-cache musl-dev zlib-dev",
			mount:  apkMount("golang:1.22-alpine", "0"), neutralized: []string{"apk --no-cache"},
		},
		{
			name: "non-root USER owns the cache", base: a, user: "1000",
			script: "/sbin/apk.static -X /srv/alpine-repo add --root /target foo",
			edited: "/sbin/apk.static --cache-dir /run/cachefront/apk --update-cache -X /srv/alpine-repo add --root /target foo",
			mount:  apkMount(a, "1000"), note: "no longer in the image's /var/cache/apk",
		},
		{
			name: "apk cache clean is the image's business", base: a,
			script: "apk add --no-cache curl && apk cache clean",
			edited: "apk --cache-dir /run/cachefront/apk add --update-cache curl && apk cache clean",
			mount:  apkMount(a, "0"), neutralized: []string{"apk --no-cache"},
		},
		{
			name: "nested shell can't be rewritten", base: a,
			script: "sh -c 'apk add --no-cache curl'",
			edited: "sh -c 'apk add --no-cache curl'",
			note:   "could not be rewritten",
		},
		{
			name: "own --cache-dir is left as written", base: a,
			script: "apk add --cache-dir /pkgs curl && rm -rf /pkgs",
			edited: "apk add --cache-dir /pkgs curl && rm -rf /pkgs",
			note:   "sets --cache-dir itself",
		},
		{
			name: "no download", base: a,
			script: "apk info -v && xx-apk setup && apk --version",
			edited: "apk info -v && xx-apk setup && apk --version",
		},
	})
}

func TestApkOwnMountAndExecForm(t *testing.T) {
	t.Parallel()
	s := step(t, "apk add curl", nil, "")
	s.CacheMounts = []string{"/etc/apk/cache"}
	p := checkedRun(t, s, []Rule{apk{}}, nil)
	require.Equal(t, []string{"apk"}, p.Managers)
	require.Empty(t, p.Mounts)
	require.Contains(t, p.Notes[0], "mounts its own apk cache")

	cmds, err := shell.ParseArgs([]string{"apk", "add", "--no-cache", "curl"})
	require.NoError(t, err)
	s = &Step{Commands: cmds, Env: map[string]string{}, Platform: "linux/arm64", Base: "alpine:3.20"}
	p = checkedRun(t, s, []Rule{apk{}}, nil)
	require.Empty(t, p.Mounts, "exec form can't take the flag, so nothing would use the mount")
	require.Empty(t, p.Edits)
	require.Contains(t, p.Notes[0], "could not be rewritten")
}

// The system managers' rules never panic, and their edits always apply and
// leave a script that still parses.
func FuzzSystemRules(f *testing.F) {
	for _, s := range []string{
		"apk add --no-cache curl", "apk --no-cache add --virtual .d gcc && apk del .d", "xx-apk add -U x",
		"dnf -y install --setopt keepcache=0 git && dnf clean all", "yum install -y x", "microdnf install x",
		"tdnf install -y x", "zypper -n in -d x", "zypper --root /r in x", "install_packages curl",
		"xx-apt-get install -y x && xx-apt-get clean", "apt-get update && rm -rf /var/lib/apt",
		"dnf --setopt", "apk --cache-dir", "zypper -C", "sudo -u x dnf install", "bash -c 'apk add x'",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, script string) {
		cmds, err := shell.Parse(script)
		if err != nil {
			return
		}
		s := &Step{Script: script, Spliceable: true, Commands: cmds, Env: map[string]string{}, Platform: "linux/amd64", Base: "alpine:3.20"}
		p := checkedRun(t, s, []Rule{apt{}, apk{}, dnf{}, zypper{}}, nil)
		got, err := shell.Splice(script, p.Edits)
		if err != nil {
			t.Fatalf("edits of %q do not apply: %v", script, err)
		}
		if _, err := shell.Parse(got); err != nil {
			t.Fatalf("%q became %q, which does not parse: %v", script, got, err)
		}
	})
}
