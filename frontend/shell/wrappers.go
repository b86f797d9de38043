package shell

import (
	"path"

	"mvdan.cc/sh/v3/syntax"
)

// call is a simple command on its way through its wrappers.
type call struct {
	words      []word           // the program, then its arguments
	env        []string         // K=V set for it so far
	user       string           // user switched to so far
	stdin      *syntax.Redirect // heredoc or here-string on its stdin
	start, end int              // offsets of the whole command; -1 for an argv
}

// verdict is what a wrapper turned out to do.
type verdict int

const (
	wraps   verdict = iota // it runs the command in the words it returned
	itself                 // it runs no other command: report the wrapper
	nothing                // it runs nothing, like "command -v x"
	handled                // it ran a script whose commands were reported
)

// wrapper reads a wrapper's arguments, updating c's env and user, and
// returns the words of the command it runs.
type wrapper func(p *parser, c *call, args []word) ([]word, verdict)

// wrappers maps the base name of a program to how it wraps another. Not
// here on purpose: chroot (the command runs in another root, so it is a
// command of its own), and xx-apt-get and friends (tools the rules match).
var wrappers map[string]wrapper

func init() {
	// The table refers to functions that use it, so it is filled here.
	wrappers = map[string]wrapper{
		"sudo":    sudo,
		"env":     env,
		"nice":    nice,
		"ionice":  ionice,
		"timeout": timeout,
		"time":    simple(optSpec{short: "fo", long: map[string]bool{"format": true, "output": true}}),
		"exec":    simple(optSpec{short: "a"}),
		"nohup":   simple(optSpec{}),
		"command": command,
		"stdbuf":  simple(optSpec{short: "ioe", long: map[string]bool{"input": true, "output": true, "error": true}}),
		"xargs":   xargs,
		"gosu":    switchUser,
		"su-exec": switchUser,
		"runuser": runuser,
		"su":      su,
		"eval":    eval,

		// Package managers in the version a project pins.
		"corepack": corepack,
	}
	for _, sh := range shells {
		wrappers[sh] = shell
	}
}

// resolve strips the wrappers off c and reports what finally runs.
func (p *parser) resolve(c call) {
	for len(c.words) > 0 {
		name := c.words[0]
		if !name.literal || name.value == "" {
			// A program chosen at run time can't be matched.
			return
		}
		wrap, ok := wrappers[path.Base(name.value)]
		if !ok {
			break
		}
		rest, v := wrap(p, &c, c.words[1:])
		switch v {
		case itself:
			p.emit(c)
			return
		case nothing, handled:
			return
		}
		c.words = rest
	}
	if len(c.words) > 0 {
		p.emit(c)
	}
}

// emit reports c.words as a command.
func (p *parser) emit(c call) {
	name := c.words[0]
	cmd := Command{
		Name:    name.value,
		Env:     c.env,
		User:    c.user,
		Start:   c.start,
		End:     c.end,
		NameEnd: name.end,
		Nested:  c.start < 0,
	}
	if len(c.words) > 1 {
		cmd.Args = make([]Arg, len(c.words)-1)
		for i, w := range c.words[1:] {
			cmd.Args[i] = Arg{Value: w.value, Literal: w.literal, Start: w.start, End: w.end}
		}
	}
	p.found = append(p.found, found{cmd: cmd, key: c.start})
}

// simple builds a wrapper that takes options and then a command.
func simple(spec optSpec) wrapper {
	return func(_ *parser, _ *call, args []word) ([]word, verdict) {
		_, rest := scan(args, spec)
		return runs(rest)
	}
}

// runs returns rest as the wrapped command, or itself when it is empty.
func runs(rest []word) ([]word, verdict) {
	if len(rest) == 0 {
		return nil, itself
	}
	return rest, wraps
}
