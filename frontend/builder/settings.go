package builder

import (
	"path"
	"slices"
	"strings"

	"github.com/cachefront/cachefront/frontend/rules"
	"github.com/cachefront/cachefront/frontend/shell"
	"github.com/cachefront/cachefront/llb/rewrite"
	"github.com/moby/buildkit/solver/pb"
)

// settingsEntry is the command that runs the settings script, then the
// step's own argv ("$@").
const settingsEntry = `. ` + rules.SettingsScript + ` && exec "$@"`

// planSettings decides which settings a step that runs plan's managers
// reads, and adds the script that applies them to plan's files. Settings
// need the step's shell: an exec-form step gets none, and a note says so.
func planSettings(s *rules.Step, argv []string, plan *rules.Plan) []rules.Setting {
	settings := rules.SettingsFor(plan.Managers)
	if len(settings) == 0 {
		return nil
	}
	if _, ok := shell.ShellScript(argv); !ok || !slices.Contains(posixShells, path.Base(argv[0])) {
		plan.Notes = append(plan.Notes, "mirrors, proxies and CA settings need a shell; this exec-form step runs without them")
		return nil
	}
	plan.Files = append(plan.Files, rules.File{Target: rules.SettingsScript, Content: rules.Script(settings)})
	return settings
}

// posixShells are the shells the settings script can be sourced by.
var posixShells = []string{"sh", "bash", "dash", "ash", "zsh", "busybox"}

// applySettings mounts, for each setting, its secret (optional: a build
// without it runs the same definition) and its own tmpfs if it has one,
// plus a tmpfs for files made at run time; it sets the values given as
// build args in the step's env, and has the step's shell source the
// settings script before running the step.
func applySettings(e *rewrite.Exec, settings []rules.Setting, values map[string]string) {
	if len(settings) == 0 {
		return
	}
	exec := e.Op.GetExec()
	mounts := []*pb.Mount{rewrite.TmpfsMount(rules.SettingsTmp)}
	for _, s := range settings {
		// 0444: the step may run as any user; the secret is its own.
		mounts = append(mounts, rewrite.SecretMount(s.SecretPath(), s.SecretID(), true, 0o444))
		if s.Tmpfs != "" && !(s.Tmpfs == rules.CargoConfigDir && cargoConfigHides(exec.Meta)) {
			mounts = append(mounts, rewrite.TmpfsMount(s.Tmpfs))
		}
		if v, ok := values[s.Name]; ok {
			rewrite.SetEnv(exec.Meta, s.BuildArg(), v)
		}
	}
	for _, m := range mounts {
		if rewrite.AddMount(exec, m) {
			rewrite.RequireMountCaps(e.Metadata(), m)
		}
	}
	argv := exec.Meta.Args
	exec.Meta.Args = append([]string{argv[0], "-c", settingsEntry, "cachefront"}, argv...)
}

// cargoConfigHides reports whether a tmpfs at rules.CargoConfigDir could
// hide what the step reads there: its working directory's own .cargo (a
// step run in /), or CARGO_HOME when it is or may be /.cargo (a home of /,
// or a user whose home the definition does not tell). The settings script
// writes cargo's config only where the tmpfs is mounted.
func cargoConfigHides(meta *pb.Meta) bool {
	if meta.Cwd == "" || within(meta.Cwd, rules.CargoConfigDir) || path.Clean(meta.Cwd) == "/" {
		return true
	}
	if v, ok := rewrite.Getenv(meta, "CARGO_HOME"); ok && v != "" {
		return !path.IsAbs(v) || within(v, rules.CargoConfigDir)
	}
	home, ok := rewrite.Getenv(meta, "HOME")
	if !ok || home == "" {
		u, _, _ := strings.Cut(meta.User, ":")
		if u != "" && u != "root" && u != "0" {
			return true
		}
		home = "/root"
	}
	return path.Clean(home) == "/"
}

// within reports whether p is dir or below it.
func within(p, dir string) bool {
	p, dir = path.Clean(p), path.Clean(dir)
	return p == dir || strings.HasPrefix(p, dir+"/")
}
