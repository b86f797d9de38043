package rules

import (
	"encoding/json"
	"errors"
	"io/fs"
	"slices"
	"strconv"
	"strings"

	"github.com/cachefront/cachefront/frontend/shell"
	"go.yaml.in/yaml/v3"
)

// This file holds what the JavaScript rules share: reading tool settings
// from the build context, and seeing a tool run through npx.

// ContextFiles are the files at the root of the build context that rules
// read through Step.ContextFile; a frontend fetches them together, once.
// .npmrc is not among them: it often holds registry tokens, which the
// build may never have asked for.
var ContextFiles = []string{"package.json", ".yarnrc.yml", "pnpm-workspace.yaml", "bunfig.toml"}

// ctxState says what reading a setting from the build context gave.
type ctxState int

const (
	ctxUnknown ctxState = iota // the context or the file could not be read
	ctxAbsent                  // the context has no such file or setting
	ctxPresent
)

// contextFile reads name from the root of the build context.
func (s *Step) contextFile(name string) ([]byte, ctxState) {
	if s.ContextFile == nil {
		return nil, ctxUnknown
	}
	dt, err := s.ContextFile(name)
	switch {
	case err == nil:
		return dt, ctxPresent
	case errors.Is(err, fs.ErrNotExist):
		return nil, ctxAbsent
	}
	return nil, ctxUnknown
}

// contextYAML reads a YAML file of the build context as a map.
func (s *Step) contextYAML(name string) (map[string]any, ctxState) {
	dt, f := s.contextFile(name)
	if f != ctxPresent {
		return nil, f
	}
	m := map[string]any{}
	if err := yaml.Unmarshal(dt, &m); err != nil {
		return nil, ctxUnknown
	}
	return m, ctxPresent
}

// pkgJSON is what rules read of the build context's package.json.
type pkgJSON struct {
	PackageManager string `json:"packageManager"`
	InstallConfig  struct {
		PnP bool `json:"pnp"`
	} `json:"installConfig"`
}

func (s *Step) packageJSON() (pkgJSON, ctxState) {
	var pj pkgJSON
	dt, f := s.contextFile("package.json")
	if f != ctxPresent {
		return pj, f
	}
	if err := json.Unmarshal(dt, &pj); err != nil {
		return pj, ctxUnknown
	}
	return pj, ctxPresent
}

// pinnedMajor reads the major version of tool from a packageManager field
// or a corepack-style spec ("yarn@4.5.0+sha512.abc"); ok is false when the
// spec names another tool or no numeric version.
func pinnedMajor(spec, tool string) (major int, ok bool) {
	name, version, found := strings.Cut(spec, "@")
	if !found || name != tool {
		return 0, false
	}
	digits, _, _ := strings.Cut(version, ".")
	n, err := strconv.Atoi(digits)
	return n, err == nil
}

// yamlString returns the string value of key in m; ok is false when it is
// absent. A value with ${...} substitutions is known only at run time and
// reads as "?".
func yamlString(m map[string]any, key string) (string, bool) {
	v, ok := m[key]
	if !ok {
		return "", false
	}
	s, isString := v.(string)
	if !isString || strings.Contains(s, "${") {
		if b, isBool := v.(bool); isBool {
			return strconv.FormatBool(b), true
		}
		return "?", true
	}
	return s, true
}

// jsTrue reads a boolean setting the way Node.js tools do: "true" and "1"
// (any case) are true.
func jsTrue(v string) bool {
	v = strings.ToLower(strings.TrimSpace(v))
	return v == "true" || v == "1"
}

// jsTools maps program names to the tools they run ("yarnpkg" is yarn).
var jsTools = map[string]string{
	"yarn": "yarn", "yarnpkg": "yarn",
	"pnpm": "pnpm", "pn": "pnpm", "pnpx": "pnpx", "pnx": "pnpx",
	"bun": "bun", "bunx": "bunx",
}

// npxFlags are the options of npx that take no value.
var npxFlags = []string{"-y", "--yes", "--no", "--no-install", "-q", "--quiet", "--ignore-existing"}

// jsTool reports which tool c runs, directly ("/usr/local/bin/pnpm") or
// as a package run by npx ("npx -y pnpm@9 install"), with the tool's
// arguments.
func jsTool(c shell.Command) (tool string, args []shell.Arg, ok bool) {
	if t, ok := jsTools[c.Base()]; ok {
		return t, c.Args, true
	}
	if c.Base() != "npx" {
		return "", nil, false
	}
	for i, a := range c.Args {
		if a.Literal && slices.Contains(npxFlags, a.Value) {
			continue
		}
		if !a.Literal || strings.HasPrefix(a.Value, "-") {
			// -p PKG, -c CMD and expansions: not followed.
			return "", nil, false
		}
		name := a.Value
		if at := strings.LastIndex(name, "@"); at > 0 {
			name = name[:at]
		}
		t, ok := jsTools[name]
		return t, c.Args[i+1:], ok
	}
	return "", nil, false
}

// jsOperand returns the index of the first argument that is not an option,
// skipping the values of the options in valued; -1 when there is none, and
// ok false when an expansion stands where it could be an option or the
// operand.
func jsOperand(args []shell.Arg, valued []string) (i int, ok bool) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case !a.Literal:
			return i, false
		case a.Value == "--":
			if i+1 < len(args) {
				return i + 1, args[i+1].Literal
			}
			return -1, true
		case strings.HasPrefix(a.Value, "-"):
			if slices.Contains(valued, a.Value) {
				i++
			}
		default:
			return i, true
		}
	}
	return -1, true
}

// jsHasFlag reports whether args hold one of flags, alone or as --flag=value.
func jsHasFlag(args []shell.Arg, flags ...string) bool {
	return slices.ContainsFunc(args, func(a shell.Arg) bool {
		name, _, _ := strings.Cut(a.Value, "=")
		return a.Literal && slices.Contains(flags, name)
	})
}

// jsFlagValue returns the literal value of the last of flags in args, given
// as "--flag value" or "--flag=value"; ok is false when none is given or
// its value is an expansion.
func jsFlagValue(args []shell.Arg, flags ...string) (value string, ok bool) {
	for i, a := range args {
		if !a.Literal {
			continue
		}
		name, v, attached := strings.Cut(a.Value, "=")
		if !slices.Contains(flags, name) {
			continue
		}
		switch {
		case attached:
			value, ok = v, true
		case i+1 < len(args) && args[i+1].Literal:
			value, ok = args[i+1].Value, true
		default:
			value, ok = "", false
		}
	}
	return value, ok
}

// jsEnv returns the first of keys set (not empty) for command c.
func (s *Step) jsEnv(c shell.Command, keys ...string) (string, bool) {
	for _, k := range keys {
		if v, ok := s.env(c, k); ok && v != "" {
			return v, true
		}
	}
	return "", false
}

// toolEnd is the offset right after the tool's name in c, where options
// for the tool can be inserted: after "npx pnpm@9" when npx runs it.
func toolEnd(c shell.Command, args []shell.Arg) int {
	if i := len(c.Args) - len(args) - 1; c.Base() == "npx" && i >= 0 && i < len(c.Args) {
		return c.Args[i].End
	}
	return c.NameEnd
}
