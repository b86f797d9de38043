package shell

import (
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

// context says which backslash escapes a literal part is subject to: the
// same characters mean different things bare, in double quotes, and in the
// body of a heredoc with an unquoted delimiter.
type context int

const (
	bare context = iota
	dquoted
	heredoc
)

// dynamic stands in for an expansion when a string is rendered as a
// script to parse. It is itself an expansion, so whatever word it lands in
// stays non-literal in the inner script, and it runs no command, so a
// $(...) already reported in the outer script is not reported twice.
const dynamic = "${cachefront_dynamic}"

// word is one word of a simple command, from a script or from an argv.
type word struct {
	w       *syntax.Word // nil when the word comes from an argv
	value   string       // after quote removal; "" unless literal
	literal bool
	raw     string // as written in the source
	start   int    // byte offsets in the source; -1 for an argv
	end     int
}

// scriptWord reads w, a word of src.
func scriptWord(src string, w *syntax.Word) word {
	start, end := int(w.Pos().Offset()), int(w.End().Offset())
	value, literal := wordValue(w)
	raw := ""
	if 0 <= start && start <= end && end <= len(src) {
		raw = src[start:end]
	}
	return word{w: w, value: value, literal: literal, raw: raw, start: start, end: end}
}

// argvWord wraps an exec-form argument, which no shell ever expands.
func argvWord(s string) word {
	return word{value: s, literal: true, raw: s, start: -1, end: -1}
}

// wordValue returns w after quote removal, and whether that value is known
// without running anything.
func wordValue(w *syntax.Word) (string, bool) {
	if lit, ok := w.Parts[0].(*syntax.Lit); ok && strings.HasPrefix(lit.Value, "~") {
		// Tilde expansion depends on $HOME or the passwd database.
		return "", false
	}
	if len(w.Parts) == 1 {
		// Most words are one plain literal: no copy needed.
		if lit, ok := w.Parts[0].(*syntax.Lit); ok && strings.IndexByte(lit.Value, '\\') < 0 {
			return lit.Value, true
		}
	}
	var b strings.Builder
	if !render(&b, w.Parts, bare, "") {
		return "", false
	}
	return b.String(), true
}

// scriptText renders w as the text another shell will parse, with each
// expansion replaced by the dynamic placeholder. ok is false when w is
// nothing but expansions, as then there is no script to look at.
func scriptText(w *syntax.Word) (text string, ok bool) {
	var b strings.Builder
	render(&b, w.Parts, bare, dynamic)
	text = b.String()
	return text, strings.Trim(strings.ReplaceAll(text, dynamic, ""), " \t\n") != ""
}

// heredocText returns the body of a heredoc as the shell reading it sees
// it. A quoted delimiter (<<'EOF') leaves the body untouched; otherwise
// backslashes escape and expansions happen, as in scriptText.
func heredocText(r *syntax.Redirect) string {
	if r.Op == syntax.WordHdoc {
		text, _ := scriptText(r.Word)
		return text + "\n"
	}
	if r.Hdoc == nil {
		return ""
	}
	var b strings.Builder
	if delimiterQuoted(r.Word) {
		for _, part := range r.Hdoc.Parts {
			if lit, ok := part.(*syntax.Lit); ok {
				b.WriteString(lit.Value)
			}
		}
		return b.String()
	}
	render(&b, r.Hdoc.Parts, heredoc, dynamic)
	return b.String()
}

// delimiterQuoted reports whether any part of a heredoc delimiter is
// quoted, which turns off expansion in the body.
func delimiterQuoted(w *syntax.Word) bool {
	for _, part := range w.Parts {
		lit, ok := part.(*syntax.Lit)
		if !ok || strings.Contains(lit.Value, `\`) {
			return true
		}
	}
	return false
}

// render writes the value of parts to b and reports whether they were all
// literal. Expansions are written as placeholder, or end rendering early
// when placeholder is "".
func render(b *strings.Builder, parts []syntax.WordPart, ctx context, placeholder string) bool {
	literal := true
	for _, part := range parts {
		switch part := part.(type) {
		case *syntax.Lit:
			unescape(b, part.Value, ctx)
		case *syntax.SglQuoted:
			if part.Dollar && strings.Contains(part.Value, `\`) {
				// $'...' escapes are not decoded; treat them as unknown.
				literal = false
				b.WriteString(placeholder)
				break
			}
			b.WriteString(part.Value)
		case *syntax.DblQuoted:
			if !render(b, part.Parts, dquoted, placeholder) {
				literal = false
			}
		case *syntax.ExtGlob:
			// A pattern is text to the caller, like * and ?.
			b.WriteString(part.Op.String())
			b.WriteString(part.Pattern.Value)
			b.WriteString(")")
		default:
			literal = false
			b.WriteString(placeholder)
		}
		if !literal && placeholder == "" {
			return false
		}
	}
	return literal
}

// unescape writes s with the backslashes ctx gives a meaning removed. The
// parser already dropped line continuations.
func unescape(b *strings.Builder, s string, ctx context) {
	if strings.IndexByte(s, '\\') < 0 {
		b.WriteString(s)
		return
	}
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		next := s[i+1]
		switch {
		case ctx == bare,
			ctx == dquoted && strings.IndexByte("$`\"\\\n", next) >= 0,
			ctx == heredoc && strings.IndexByte("$`\\\n", next) >= 0:
			i++
			if next != '\n' {
				b.WriteByte(next)
			}
		default:
			b.WriteByte('\\')
		}
	}
}

// assignment reports whether w has the form NAME=value, as env and sudo
// read it, and returns "NAME=value" when the value is literal.
func assignment(w word) (kv string, isAssign, literal bool) {
	prefix := w.value
	if w.w != nil {
		// The NAME= part must be written bare for a shell to see an
		// assignment; the value may be an expansion.
		lit, ok := w.w.Parts[0].(*syntax.Lit)
		if !ok {
			return "", false, false
		}
		prefix = lit.Value
	}
	eq := strings.IndexByte(prefix, '=')
	if eq <= 0 || !validName(prefix[:eq]) {
		return "", false, false
	}
	return w.value, true, w.literal
}

// validName reports whether s is a shell variable name.
func validName(s string) bool {
	for i, r := range s {
		if r != '_' && !('a' <= r && r <= 'z') && !('A' <= r && r <= 'Z') && (i == 0 || !('0' <= r && r <= '9')) {
			return false
		}
	}
	return s != ""
}
