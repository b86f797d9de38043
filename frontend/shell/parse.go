package shell

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/pkg/errors"
	"mvdan.cc/sh/v3/syntax"
)

// maxDepth bounds how deep strings run by shells inside shells are
// followed; real scripts rarely nest more than twice.
const maxDepth = 8

// parsers are reused: a parser resets itself on each Parse, and making one
// showed in profiles of the rewrite.
var parsers = sync.Pool{New: func() any { return syntax.NewParser(syntax.Variant(syntax.LangBash)) }}

// ParseError reports where a script could not be parsed.
type ParseError struct {
	Offset    int // byte offset in the script
	Line, Col int // 1-based
	Msg       string
	err       error
}

// Error implements error.
func (e *ParseError) Error() string {
	return fmt.Sprintf("cannot parse shell script at %d:%d: %s", e.Line, e.Col, e.Msg)
}

// Unwrap returns the error from mvdan.cc/sh, for errors.As.
func (e *ParseError) Unwrap() error { return e.err }

// Parse returns every simple command in script, in source order.
//
// A script the parser can't read returns an error wrapping a *ParseError;
// callers then leave the step untouched. A string run by an inner shell
// that can't be read is no error: the inner shell itself is reported.
func Parse(script string) ([]Command, error) {
	p := &parser{src: script}
	if err := p.run(); err != nil {
		return nil, err
	}
	return p.commands(), nil
}

// found is a command with the offset that orders it in the outer script.
type found struct {
	cmd Command
	key int
}

// parser collects the commands of one script: the outer one, or a string
// run by a shell inside it.
type parser struct {
	src   string
	depth int
	found []found
}

func (p *parser) run() error {
	sp := parsers.Get().(*syntax.Parser)
	f, err := sp.Parse(strings.NewReader(p.src), "")
	parsers.Put(sp)
	if err != nil {
		return parseError(err)
	}
	syntax.Walk(f, p.visit)
	// The walk visits a statement's heredocs and redirections after its
	// command, which may be later in the source than what they hold.
	slices.SortStableFunc(p.found, func(a, b found) int { return cmp.Compare(a.key, b.key) })
	return nil
}

func (p *parser) commands() []Command {
	cmds := make([]Command, len(p.found))
	for i, f := range p.found {
		cmds[i] = f.cmd
	}
	return cmds
}

// visit handles commands at the statement, which holds the redirections a
// shell may read its script from. It returns true so that the walk goes on
// into $(...), `...` and <(...) inside the words.
func (p *parser) visit(node syntax.Node) bool {
	stmt, ok := node.(*syntax.Stmt)
	if !ok {
		return true
	}
	switch cmd := stmt.Cmd.(type) {
	case *syntax.CallExpr:
		p.call(stmt, cmd)
	case *syntax.DeclClause:
		p.decl(cmd)
	}
	return true
}

// call reports the command a simple command runs. Assignments with no
// command only set shell variables and are not reported.
func (p *parser) call(stmt *syntax.Stmt, ce *syntax.CallExpr) {
	if len(ce.Args) == 0 {
		return
	}
	c := call{
		start: int(ce.Pos().Offset()),
		end:   int(ce.End().Offset()),
		stdin: stdinHeredoc(stmt),
	}
	for _, a := range ce.Assigns {
		if kv, ok := assignValue(a); ok {
			c.env = append(c.env, kv)
		}
	}
	c.words = make([]word, len(ce.Args))
	for i, w := range ce.Args {
		c.words[i] = scriptWord(p.src, w)
	}
	p.resolve(c)
}

// assignValue returns "K=V" for a plain literal assignment.
func assignValue(a *syntax.Assign) (string, bool) {
	if a.Name == nil || a.Naked || a.Append || a.Index != nil || a.Array != nil {
		return "", false
	}
	value := ""
	if a.Value != nil {
		v, ok := wordValue(a.Value)
		if !ok {
			return "", false
		}
		value = v
	}
	return a.Name.Value + "=" + value, true
}

// decl reports export, local, declare, readonly and typeset, which bash
// parses apart from other commands. Each assignment is one argument.
func (p *parser) decl(d *syntax.DeclClause) {
	start, end := int(d.Pos().Offset()), int(d.End().Offset())
	cmd := Command{Name: d.Variant.Value, Start: start, End: end, NameEnd: int(d.Variant.End().Offset())}
	for _, a := range d.Args {
		arg := Arg{Start: int(a.Pos().Offset()), End: int(a.End().Offset())}
		switch {
		case a.Name == nil && a.Value != nil:
			arg.Value, arg.Literal = wordValue(a.Value)
		case a.Naked:
			arg.Value, arg.Literal = a.Name.Value, true
		default:
			arg.Value, arg.Literal = assignValue(a)
		}
		cmd.Args = append(cmd.Args, arg)
	}
	p.found = append(p.found, found{cmd: cmd, key: start})
}

// stdinHeredoc returns the heredoc or here-string a statement reads as
// its standard input, if the last redirection of fd 0 is one.
func stdinHeredoc(stmt *syntax.Stmt) *syntax.Redirect {
	var in *syntax.Redirect
	for _, r := range stmt.Redirs {
		if r.N != nil && r.N.Value != "0" {
			continue
		}
		switch r.Op {
		case syntax.Hdoc, syntax.DashHdoc, syntax.WordHdoc:
			in = r
		case syntax.RdrIn, syntax.RdrInOut, syntax.DplIn:
			in = nil
		}
	}
	return in
}

// nested parses text, a script run by another shell, and adds its
// commands as Nested, with the environment and user of the command that
// runs that shell. It reports false when text can't be parsed.
func (p *parser) nested(text string, c call) bool {
	if p.depth >= maxDepth {
		return false
	}
	inner := &parser{src: text, depth: p.depth + 1}
	if inner.run() != nil {
		return false
	}
	for _, f := range inner.found {
		cmd := f.cmd
		cmd.Nested = true
		cmd.Start, cmd.End, cmd.NameEnd = -1, -1, -1
		for i := range cmd.Args {
			cmd.Args[i].Start, cmd.Args[i].End = -1, -1
		}
		cmd.Env = append(append([]string(nil), c.env...), cmd.Env...)
		if cmd.User == "" {
			cmd.User = c.user
		}
		p.found = append(p.found, found{cmd: cmd, key: c.start})
	}
	return true
}

// parseError turns an error from mvdan.cc/sh into a *ParseError.
func parseError(err error) error {
	pe := &ParseError{Msg: err.Error(), err: err}
	var pos syntax.Pos
	switch e := err.(type) {
	case syntax.ParseError:
		pos, pe.Msg = e.Pos, e.Text
	case syntax.LangError:
		pos, pe.Msg = e.Pos, e.Feature+" is not supported"
	}
	pe.Offset, pe.Line, pe.Col = int(pos.Offset()), int(pos.Line()), int(pos.Col())
	return errors.WithStack(pe)
}
