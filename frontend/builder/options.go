package builder

import (
	"slices"
	"strings"

	"github.com/cachefront/cachefront/frontend/rules"
	"github.com/pkg/errors"
)

// Build args cachefront reads. Keep README.md in sync when adding one.
const (
	keyCachefront = "build-arg:CACHEFRONT"      // "off" disables every rewrite
	keySkip       = "build-arg:CACHEFRONT_SKIP" // managers to leave alone: "apt,npm"
	keyCacheNS    = "build-arg:BUILDKIT_CACHE_MOUNT_NS"
)

// Config is what the build args ask of cachefront.
type Config struct {
	// Off disables all rewriting.
	Off bool
	// Skip holds the managers not to touch.
	Skip map[string]bool
	// Namespace prefixes cache ids, as upstream does for the Dockerfile's
	// own cache mounts.
	Namespace string
	// Settings holds the transient settings given as build args
	// (CACHEFRONT_<NAME>), by name.
	Settings map[string]string
	// ContextFile reads files of the build context for the rules (see
	// rules.Step.ContextFile); nil when the context is unknown. No build
	// arg sets it: the frontend or `cachefront plan` does.
	ContextFile func(name string) ([]byte, error)
	// ImageConfig returns the config of an image the build resolved, by
	// its manifest digest or its normalised ref; nil when no build resolves
	// images (`cachefront plan`). No build arg sets it.
	ImageConfig func(ref string) ([]byte, bool)
	// parseAll has every step parsed and read by the rules, as if
	// rules.Mentions found a program in each: tests check that skipping
	// the others changes nothing.
	parseAll bool
}

// ParseConfig reads cachefront's options from frontend opts.
func ParseConfig(opts map[string]string) (Config, error) {
	var c Config
	switch v := strings.ToLower(strings.TrimSpace(opts[keyCachefront])); v {
	case "", "on", "1", "true":
	case "off", "0", "false":
		c.Off = true
	default:
		return c, errors.Errorf("failed to parse CACHEFRONT=%q: want on or off", v)
	}
	skip, err := parseSkip(opts[keySkip])
	if err != nil {
		return c, err
	}
	c.Skip = skip
	if ns := opts[keyCacheNS]; ns != "" {
		c.Namespace = ns + "/"
	}
	if c.Settings, err = parseSettings(opts); err != nil {
		return c, err
	}
	return c, nil
}

// parseSettings reads the CACHEFRONT_<NAME> build args of settings. An
// empty value is no setting, as an absent secret is. A name that is not a
// setting is an error: a typo would otherwise go unnoticed.
func parseSettings(opts map[string]string) (map[string]string, error) {
	values := map[string]string{}
	for k, v := range opts {
		name, ok := strings.CutPrefix(k, "build-arg:CACHEFRONT_")
		if !ok || k == keySkip {
			continue
		}
		i := slices.IndexFunc(rules.Settings, func(s rules.Setting) bool { return s.Name == name })
		if i < 0 {
			var known []string
			for _, s := range rules.Settings {
				known = append(known, s.BuildArg())
			}
			return nil, errors.Errorf("failed to parse build arg CACHEFRONT_%s: not a cachefront setting (known: CACHEFRONT, CACHEFRONT_SKIP, %s)", name, strings.Join(known, ", "))
		}
		if v != "" {
			values[name] = v
		}
	}
	return values, nil
}

func parseSkip(v string) (map[string]bool, error) {
	skip := map[string]bool{}
	known := rules.Names()
	for _, name := range strings.Split(v, ",") {
		name = strings.ToLower(strings.TrimSpace(name))
		if name == "" {
			continue
		}
		if !slices.Contains(known, name) {
			return nil, errors.Errorf("failed to parse CACHEFRONT_SKIP: unknown manager %q (known: %s)", name, strings.Join(known, ", "))
		}
		skip[name] = true
	}
	return skip, nil
}
