package shell

import (
	"path"
	"slices"
	"strings"
)

// shells are the programs whose -c string or stdin is parsed as a script.
var shells = []string{"sh", "bash", "dash", "ash", "zsh"}

// invocation is what a shell's command line says about its script.
type invocation struct {
	script int  // index of the -c script among the arguments, or -1
	c      bool // -c was given
	stdin  bool // the script is read from stdin
}

// readInvocation reads a shell's options, which may be clustered (-ec,
// -euxo pipefail) and may also follow -c: the script is the first operand.
func readInvocation(args []word) invocation {
	inv := invocation{script: -1}
	operand := -1
loop:
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case !a.literal:
			operand = i
			break loop
		case a.value == "--" || a.value == "-":
			if i+1 < len(args) {
				operand = i + 1
			}
			break loop
		case strings.HasPrefix(a.value, "--"):
			if a.value == "--rcfile" || a.value == "--init-file" {
				i++
			}
		case len(a.value) > 1 && (a.value[0] == '-' || a.value[0] == '+'):
			for _, f := range a.value[1:] {
				switch f {
				case 'c':
					inv.c = inv.c || a.value[0] == '-'
				case 's':
					inv.stdin = true
				case 'o', 'O':
					i++ // -o pipefail
				}
			}
		default:
			operand = i
			break loop
		}
	}
	switch {
	case inv.c:
		inv.script, inv.stdin = operand, false
	case operand < 0:
		inv.stdin = true
	}
	return inv
}

// shell parses the script a shell runs, from -c or from a heredoc on its
// stdin. A script file, a pipe, or a script that can't be read leaves the
// shell itself as the command.
func shell(p *parser, c *call, args []word) ([]word, verdict) {
	inv := readInvocation(args)
	switch {
	case inv.script >= 0:
		return p.runScript(c, args[inv.script])
	case inv.stdin && c.stdin != nil && p.nested(heredocText(c.stdin), *c):
		return nil, handled
	}
	return nil, itself
}

// eval runs its arguments, joined by spaces, as a script.
func eval(p *parser, c *call, args []word) ([]word, verdict) {
	texts := make([]string, 0, len(args))
	literal := false
	for _, a := range args {
		text, ok := a.value, true
		if a.w != nil {
			text, ok = scriptText(a.w)
		}
		texts = append(texts, text)
		literal = literal || ok
	}
	if !literal || !p.nested(strings.Join(texts, " "), *c) {
		return nil, itself
	}
	return nil, handled
}

// runScript parses w, a string a shell runs, as a nested script.
func (p *parser) runScript(c *call, w word) ([]word, verdict) {
	text, ok := w.value, w.literal
	if w.w != nil {
		text, ok = scriptText(w.w)
	}
	if !ok || !p.nested(text, *c) {
		return nil, itself
	}
	return nil, handled
}

// ParseArgs handles an exec-form argv, RUN ["apt-get", "install", "curl"].
//
// When argv[0] is a shell (sh, bash, dash, ash, zsh, or a path to one)
// given a script with -c, that script is parsed with Parse and its
// commands keep offsets into argv[ShellScript(argv)], with Nested false,
// since the caller can rewrite that element. Otherwise argv is one command,
// seen through wrappers like any other, with offsets -1 and Nested true.
func ParseArgs(argv []string) ([]Command, error) {
	if i, ok := ShellScript(argv); ok {
		return Parse(argv[i])
	}
	if len(argv) == 0 {
		return nil, nil
	}
	c := call{start: -1, end: -1}
	for _, a := range argv {
		c.words = append(c.words, argvWord(a))
	}
	p := &parser{}
	p.resolve(c)
	return p.commands(), nil
}

// ShellScript returns the index of the script in an exec-form argv that
// runs a shell with -c, such as ["/bin/sh", "-ec", "apt-get update"].
func ShellScript(argv []string) (int, bool) {
	if len(argv) == 2 && slices.Contains(scriptShells, path.Base(argv[0])) {
		return 1, true
	}
	if len(argv) == 0 || !isShell(argv[0]) {
		return 0, false
	}
	args := make([]word, len(argv)-1)
	for i, a := range argv[1:] {
		args[i] = argvWord(a)
	}
	inv := readInvocation(args)
	if inv.script < 0 {
		return 0, false
	}
	return inv.script + 1, true
}

// scriptShells are programs images set as their SHELL that run their one
// argument as a bash script: mambaorg/micromamba's _dockerfile_shell.sh
// activates the environment, then runs `bash -o pipefail -c "$@"`.
var scriptShells = []string{"_dockerfile_shell.sh"}

// isShell reports whether program is one of shells, by base name.
func isShell(program string) bool {
	base := path.Base(program)
	for _, sh := range shells {
		if base == sh {
			return true
		}
	}
	return false
}
