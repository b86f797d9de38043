package testenv

import "testing"

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
