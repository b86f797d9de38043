package builder

import (
	"bytes"
	"path"
	"regexp"
	"strings"

	"github.com/cachefront/cachefront/frontend/rules"
	"github.com/cachefront/cachefront/frontend/shell"
	"github.com/cachefront/cachefront/llb/rewrite"
	"github.com/moby/buildkit/solver/pb"
)

// pipesDir is where upstream mounts the script of a heredoc with a shebang.
const pipesDir = "/dev/pipes/"

// newStep describes an exec to the rules. It returns nil, with a note, when
// the step's script can't be read, and nil without one when it names no
// program a rule reads (rules.Mentions; 40% of the shared corpus's steps),
// whose script is not parsed.
func newStep(e *rewrite.Exec, cfg Config) (*rules.Step, string) {
	exec := e.Op.GetExec()
	meta := exec.GetMeta()
	argv := meta.GetArgs()
	s := &rules.Step{
		User:      meta.GetUser(),
		Namespace: cfg.Namespace,
		// Rules read the context only when a step needs it.
		ContextFile: cfg.ContextFile,
	}
	text, execForm := "", false
	if script, ok := heredocScript(e, argv); ok {
		s.Script, text = script, script
	} else if i, ok := shell.ShellScript(argv); ok {
		s.Script, s.Spliceable, text = argv[i], true, argv[i]
	} else {
		execForm, text = true, strings.Join(argv, " ")
	}
	if !cfg.parseAll && !rules.Mentions(text) {
		return nil, ""
	}
	var err error
	if execForm {
		s.Commands, err = shell.ParseArgs(argv)
	} else {
		s.Commands, err = shell.Parse(s.Script)
	}
	if err != nil {
		return nil, "the shell script could not be parsed (" + err.Error() + "); step left as written"
	}
	s.Base = baseName(e)
	if p := e.Op.GetPlatform(); p != nil {
		s.Platform = path.Join(p.OS, p.Architecture, p.Variant)
	}
	s.Env = make(map[string]string, len(meta.GetEnv()))
	for _, kv := range meta.GetEnv() {
		k, v, _ := strings.Cut(kv, "=")
		s.Env[k] = v
	}
	for _, m := range exec.GetMounts() {
		s.Mounts = append(s.Mounts, m.Dest)
		if m.MountType == pb.MountType_CACHE {
			s.CacheMounts = append(s.CacheMounts, m.Dest)
		}
	}
	return s, ""
}

// heredocScript returns the script of a `RUN <<EOF` with a shebang, which
// upstream writes to a file op mounted under /dev/pipes/ and runs, directly
// or as `sh -c /dev/pipes/EOF`. Only sh-like shebangs are read. Its commands
// are detected but never edited: the script is not in the exec's args.
func heredocScript(e *rewrite.Exec, argv []string) (string, bool) {
	file := ""
	if len(argv) == 1 {
		file = argv[0]
	} else if i, ok := shell.ShellScript(argv); ok {
		file = argv[i]
	}
	if !strings.HasPrefix(file, pipesDir) || strings.ContainsAny(file, " \t\n;&|") {
		return "", false
	}
	argv = []string{file}
	for _, m := range e.Op.GetExec().GetMounts() {
		if m.Dest != pipesDir && m.Dest != strings.TrimSuffix(pipesDir, "/") {
			continue
		}
		op, err := e.InputOp(int(m.Input))
		if err != nil || op.GetFile() == nil {
			return "", false
		}
		name := "/" + path.Base(argv[0])
		for _, a := range op.GetFile().GetActions() {
			if mk := a.GetMkfile(); mk != nil && path.Clean(mk.Path) == name {
				script := string(mk.Data)
				first, _, _ := strings.Cut(script, "\n")
				if !shebangShell.MatchString(first) {
					return "", false
				}
				return script, true
			}
		}
	}
	return "", false
}

var shebangShell = regexp.MustCompile(`^#!\s*(/usr)?(/bin/|/usr/bin/env\s+)(sh|bash|dash|ash)(\s|$)`)

// baseName is the base image of the step's stage: "debian:bookworm" for
// docker-image://registry/library/debian:bookworm@sha256:...
func baseName(e *rewrite.Exec) string {
	id, _ := e.BaseSource(int(rootInput(e.Op.GetExec())))
	ref, ok := strings.CutPrefix(id, "docker-image://")
	if !ok {
		return ""
	}
	ref, _, _ = strings.Cut(ref, "@")
	return path.Base(ref)
}

func rootInput(exec *pb.ExecOp) pb.InputIndex {
	if m, _ := rewrite.FindMount(exec, pb.RootMount); m != nil {
		return pb.InputIndex(m.Input)
	}
	return pb.Empty
}

// optOuts tells, for the steps of one rewrite, whether the Dockerfile line
// right above a step's RUN is the comment `# cachefront: off`. A Dockerfile
// that never says "cachefront" has no such line, which spares looking for
// each step's line in it.
type optOuts map[*pb.SourceInfo]bool

// optedOut reports it for e.
func (o optOuts) optedOut(e *rewrite.Exec) bool {
	return o.at(e.Source, e.Locations)
}

// at reports it for a step at locs in source.
func (o optOuts) at(source *pb.Source, locs []*pb.Location) bool {
	if source == nil || len(locs) == 0 {
		return false
	}
	loc := locs[0]
	if int(loc.SourceIndex) >= len(source.Infos) || len(loc.Ranges) == 0 {
		return false
	}
	info := source.Infos[loc.SourceIndex]
	mentions, ok := o[info]
	if !ok {
		mentions = saysCachefront(info.Data)
		o[info] = mentions
	}
	if !mentions {
		return false
	}
	line, ok := lineOf(info.Data, int(loc.Ranges[0].Start.Line)-1)
	return ok && optOut.Match(line)
}

// lineOf returns line n (1-based) of dt, without splitting all of it: a
// rewrite asks once per RUN step.
func lineOf(dt []byte, n int) ([]byte, bool) {
	if n < 1 {
		return nil, false
	}
	for ; n > 1; n-- {
		i := bytes.IndexByte(dt, '\n')
		if i < 0 {
			return nil, false
		}
		dt = dt[i+1:]
	}
	if i := bytes.IndexByte(dt, '\n'); i >= 0 {
		dt = dt[:i]
	}
	return dt, true
}

var optOut = regexp.MustCompile(`(?i)^\s*#\s*cachefront\s*:\s*off\s*$`)

// saysCachefront reports whether dt holds the word in any case. It looks
// for the word's f with bytes.IndexByte, not a case-insensitive regexp:
// this runs over every Dockerfile, and the regexp took a sixth of the
// rewrite's time.
func saysCachefront(dt []byte) bool {
	const word, f = "cachefront", len("cache")
	for _, b := range []byte{'f', 'F'} {
		for from := 0; ; {
			i := bytes.IndexByte(dt[from:], b)
			if i < 0 {
				break
			}
			at := from + i - f
			if at >= 0 && at+len(word) <= len(dt) && bytes.EqualFold(dt[at:at+len(word)], []byte(word)) {
				return true
			}
			from += i + 1
		}
	}
	return false
}
