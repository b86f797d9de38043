package rules

import (
	"path"
	"slices"
	"strings"

	"github.com/cachefront/cachefront/frontend/shell"
	"mvdan.cc/sh/v3/expand"
	"mvdan.cc/sh/v3/syntax"
)

// rm cannot remove a mount point: an rm that reaches a cache mount would
// empty the cache and then fail the build. Run rewrites such rms after all
// rules (spareMounts); the helpers here also serve rules whose caches are
// mounted where the tool keeps them, inside a directory the image holds
// (cargo, gem, gradle).

// ownerKeys returns the id part that keeps a non-root user's cache apart:
// BuildKit gives a cache its owner only when it creates it, so a cache root
// created first would stay unwritable for the user.
func ownerKeys(owner string) []string {
	if owner == "0" {
		return nil
	}
	return []string{"user-" + strings.ReplaceAll(owner, "/", "_")}
}

// exportsVar reports whether the script sets one of names for the commands
// after it (export, declare...), which the step's environment does not show.
func exportsVar(s *Step, names ...string) (string, bool) {
	for _, c := range s.Commands {
		switch c.Name {
		case "export", "declare", "typeset", "readonly", "local":
		default:
			continue
		}
		for _, a := range c.Args {
			text := a.Value
			if !a.Literal && a.Start >= 0 && a.End <= len(s.Script) {
				text = s.Script[a.Start:a.End]
			}
			for _, n := range names {
				if strings.HasPrefix(text, n+"=") {
					return n, true
				}
			}
		}
	}
	return "", false
}

// expandArg returns the word a as the shell would see it before globbing:
// its value when literal, else its expansion with the step's environment.
// ok is false when that depends on more than the environment: unset
// variables, command output, another user's home (~user).
func expandArg(s *Step, c shell.Command, a shell.Arg) (string, bool) {
	if a.Literal {
		return a.Value, true
	}
	if c.Nested || a.Start < 0 || a.Start >= a.End || a.End > len(s.Script) {
		return "", false
	}
	raw := s.Script[a.Start:a.End]
	if strings.HasPrefix(raw, "~") && raw != "~" && !strings.HasPrefix(raw, "~/") {
		return "", false
	}
	f, err := syntax.NewParser().Parse(strings.NewReader(": "+raw), "")
	if err != nil || len(f.Stmts) != 1 {
		return "", false
	}
	call, ok := f.Stmts[0].Cmd.(*syntax.CallExpr)
	if !ok || len(call.Args) != 2 {
		return "", false
	}
	env := make([]string, 0, len(s.Env)+len(c.Env)+1)
	for k, v := range s.Env {
		env = append(env, k+"="+v)
	}
	if h, ok := s.home(c); ok {
		env = append(env, "HOME="+h)
	}
	env = append(env, c.Env...)
	v, err := expand.Literal(&expand.Config{Env: expand.ListEnviron(env...), NoUnset: true}, call.Args[1])
	return v, err == nil
}

// globCovers reports whether the glob pattern pat can name dir or a
// directory above it; globWithin whether it can name something below dir.
func globCovers(pat, dir string) bool {
	ps, ds := segments(pat), segments(dir)
	return len(ps) <= len(ds) && globMatch(ps, ds, len(ps))
}

func globWithin(pat, dir string) bool {
	ps, ds := segments(pat), segments(dir)
	return len(ps) > len(ds) && globMatch(ps, ds, len(ds))
}

// globMatch reports whether the first n names match their patterns.
func globMatch(pats, names []string, n int) bool {
	for i := 0; i < n; i++ {
		if ok, err := path.Match(pats[i], names[i]); err != nil || !ok {
			return false
		}
	}
	return true
}

func segments(p string) []string {
	p = strings.Trim(path.Clean(p), "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

// spareMarker starts the text that replaces an rm reaching into mounts.
const spareMarker = "{ cachefront_s=0; "

// spareMounts rewrites each rm of the step that reaches into a mount of p
// (an operand naming a mount, a directory above one, or a path inside one):
// rm would empty the cache and then fail on the mount point, failing the
// build. The rewritten rm takes its operands as written, so the shell
// expands and globs them as before, and removes each path as rm would,
// except paths inside a mount, which the image never had, and the mounts
// themselves under an operand above them, which stays as an emptied
// directory. An rm that can't be rewritten (in a nested shell, an exec-form
// or heredoc step, fed by xargs) costs the mounts it reaches instead. Called
// again by a later rule, it rewrites the same rm for all mounts so far.
func spareMounts(s *Step, p *Plan) {
	var targets []string
	for _, m := range p.Mounts {
		targets = append(targets, path.Clean(m.Target))
	}
	for _, c := range s.Commands {
		if c.Base() != "rm" {
			continue
		}
		opts, operands, recursive := rmArgs(c)
		reached, unread := rmReaches(s, c, operands, targets, recursive)
		what := "rm " + strings.Join(argTexts(s, operands), " ")
		if len(reached) == 0 {
			if recursive && len(unread) > 0 && slices.ContainsFunc(targets, func(t string) bool { return !within(t, CacheRoot) }) {
				p.note(what + ": cachefront can't tell what " + strings.Join(unread, " ") + " names; if it holds a cache mount, the step fails")
			}
			continue
		}
		text, ok := sparingRm(s, c, opts, operands, targets, recursive)
		if !ok {
			unmount(p, reached)
			p.note(what + " reaches " + strings.Join(reached, ", ") + " and can't be rewritten here; not cached")
			continue
		}
		p.Edits = slices.DeleteFunc(p.Edits, func(e shell.Edit) bool {
			return e.Start == c.Start && e.End == c.End && strings.HasPrefix(e.Text, spareMarker)
		})
		p.neutralize(s, c, what, shell.Edit{Start: c.Start, End: c.End, Text: text})
	}
}

// unmount drops the mounts at targets, and the variables that point tools
// at them.
func unmount(p *Plan, targets []string) {
	p.Mounts = slices.DeleteFunc(p.Mounts, func(m Mount) bool { return slices.Contains(targets, path.Clean(m.Target)) })
	for k, v := range p.Env {
		if slices.Contains(targets, path.Clean(v)) {
			delete(p.Env, k)
		}
	}
}

// rmArgs splits rm's arguments into options and operands.
func rmArgs(c shell.Command) (opts, operands []shell.Arg, recursive bool) {
	ended := false
	for _, a := range c.Args {
		switch {
		case ended || !a.Literal || len(a.Value) < 2 || a.Value[0] != '-':
			operands = append(operands, a)
		case a.Value == "--":
			ended = true
		default:
			opts = append(opts, a)
			if a.Value == "--recursive" || a.Value[1] != '-' && strings.ContainsAny(a.Value, "rR") {
				recursive = true
			}
		}
	}
	return opts, operands, recursive
}

// rmReaches returns the targets an operand can name a path inside of or,
// for a recursive rm, that an operand can name or name a directory above;
// and the operands whose path is unknown.
func rmReaches(s *Step, c shell.Command, operands []shell.Arg, targets []string, recursive bool) (reached, unread []string) {
	for i, a := range operands {
		pat, ok := expandArg(s, c, a)
		if !ok {
			unread = append(unread, argTexts(s, operands[i:i+1])...)
			continue
		}
		if !path.IsAbs(pat) {
			continue
		}
		for _, t := range targets {
			if (globWithin(pat, t) || recursive && globCovers(pat, t)) && !slices.Contains(reached, t) {
				reached = append(reached, t)
			}
		}
	}
	return reached, unread
}

// argTexts returns the words as written, or their values for a nested
// command, whose offsets point nowhere.
func argTexts(s *Step, args []shell.Arg) []string {
	out := make([]string, len(args))
	for i, a := range args {
		switch {
		case a.Start >= 0 && a.Start <= a.End && a.End <= len(s.Script):
			out[i] = s.Script[a.Start:a.End]
		case a.Literal:
			out[i] = a.Value
		default:
			out[i] = "(an expansion)"
		}
	}
	return out
}

// sparingRm writes the replacement of rm command c. Wrappers and
// assignments before the program (sudo, VAR=x) are kept on each command it
// runs; rm fed by xargs is not rewritten, as its operands come from stdin.
func sparingRm(s *Step, c shell.Command, opts, operands []shell.Arg, targets []string, recursive bool) (string, bool) {
	if !s.Spliceable || c.Nested || c.Start < 0 || c.NameEnd < c.Start || c.NameEnd > len(s.Script) {
		return "", false
	}
	head := s.Script[c.Start:c.NameEnd]
	if !strings.HasSuffix(head, c.Name) {
		return "", false
	}
	pfx := strings.TrimSuffix(head, c.Name)
	if strings.Contains(pfx, "xargs") {
		return "", false
	}
	var inside, paths []string
	for _, t := range targets {
		q := shell.Quote(t)
		inside = append(inside, q, q+"/*")
		paths = append(paths, "-path "+q)
	}
	rm := pfx + "rm " + strings.Join(append(argTexts(s, opts), "--"), " ") + ` "$cachefront_p" || cachefront_s=$?;;`
	var b strings.Builder
	b.WriteString(spareMarker)
	b.WriteString("for cachefront_p in " + strings.Join(argTexts(s, operands), " ") + "; do ")
	b.WriteString(`cachefront_q=${cachefront_p%/}; [ -n "$cachefront_q" ] || cachefront_q=/; `)
	b.WriteString("case $cachefront_q in " + strings.Join(inside, "|") + ") ;; *) ")
	if recursive {
		prune := `\( ` + strings.Join(paths, " -o ") + ` \) -prune -o`
		b.WriteString("case " + shell.Quote(strings.Join(targets, "/:")+"/") + ` in "$cachefront_q"/*|*:"$cachefront_q"/*) `)
		b.WriteString(pfx + `find "$cachefront_q" ` + prune + ` ! -type d -exec rm -f {} + || cachefront_s=$?; `)
		b.WriteString(pfx + `find "$cachefront_q" ` + prune + ` -type d -print | sort -r | while read -r cachefront_d; do ` + pfx + `rmdir "$cachefront_d" 2>/dev/null; done || true;; `)
		b.WriteString("*) " + rm + " esac;; ")
	} else {
		b.WriteString(rm + " ")
	}
	b.WriteString(`esac; done; [ "$cachefront_s" = 0 ]; }`)
	return b.String(), true
}
