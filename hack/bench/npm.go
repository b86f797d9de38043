package main

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"

	"github.com/pkg/errors"
)

// npmRegistry is the registry the host's npm is configured with, read at
// run time so that no registry host is written into the project.
func npmRegistry() (string, error) {
	out, err := exec.Command("npm", "config", "get", "registry").Output()
	if err != nil {
		return "", errors.Wrap(err, "npm config get registry")
	}
	reg := strings.TrimSpace(string(out))
	if !strings.HasSuffix(reg, "/") {
		reg += "/"
	}
	return reg, nil
}

// withResolved gives every package in the lockfiles under dir its tarball
// URL on registry, as most projects' lockfiles have. The committed lockfiles
// leave the URLs out (no registry host is written into the project), and
// without them `npm ci` fetches every package's metadata, cached or not,
// which no real project would show. Versions and integrity stay as
// committed.
func withResolved(dir, registry string) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() != "package-lock.json" {
			return err
		}
		dt, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		dec := json.NewDecoder(bytes.NewReader(dt))
		dec.UseNumber()
		var lock map[string]any
		if err := dec.Decode(&lock); err != nil {
			return errors.Wrap(err, p)
		}
		pkgs, _ := lock["packages"].(map[string]any)
		for key, v := range pkgs {
			pkg, _ := v.(map[string]any)
			i := strings.LastIndex(key, "node_modules/")
			version, _ := pkg["version"].(string)
			if i < 0 || version == "" || pkg["link"] == true {
				continue
			}
			name := key[i+len("node_modules/"):]
			pkg["resolved"] = registry + name + "/-/" + path.Base(name) + "-" + version + ".tgz"
		}
		out, err := json.MarshalIndent(lock, "", "  ")
		if err != nil {
			return err
		}
		return os.WriteFile(p, append(out, '\n'), 0o644)
	})
}
