package rules

import (
	"bytes"
	"slices"
	"strings"
	"sync"

	"github.com/cachefront/cachefront/frontend/shell"
)

// About half the RUN steps of real Dockerfiles run no package manager, and
// parsing scripts is the largest part of the rewrite's cost. Mentions lets
// a caller skip those steps: a program's name is one word of the script
// once quotes, backslashes, line continuations and NUL bytes are gone,
// even inside a string another shell runs. It is a test for "maybe", never
// a parser: a step it lets through is parsed and read by the rules as any
// other.

// programs is the set of every rule's Programs.
var programs = sync.OnceValue(func() map[string]bool {
	set := map[string]bool{}
	for _, r := range All() {
		for _, p := range r.Programs() {
			set[p] = true
		}
	}
	return set
})

// Mentions reports whether text, a step's script or its exec-form words
// joined by spaces, names a program some rule reads. When it reports
// false, no rule can act on the step.
func Mentions(text string) bool {
	set := programs()
	return anyWord(text, func(w []byte) bool {
		if i := bytes.LastIndexByte(w, '/'); i >= 0 {
			w = w[i+1:]
		}
		// corepack and npx run "yarn@4.5.0" as yarn.
		if i := bytes.IndexByte(w, '@'); i >= 0 {
			w = w[:i]
		}
		if set[string(w)] {
			return true
		}
		return (bytes.HasPrefix(w, []byte("python")) || bytes.HasPrefix(w, []byte("pip"))) && set[programName(string(w))]
	})
}

// MayRemove reports whether text, a step's script or its exec-form words
// joined by spaces, may remove or change files it did not make: it names
// rm, rmdir, unlink, find, mv, chmod, chown or shred. (go clean -modcache is
// the go rule's to judge.) A step it reports false for can get a cache
// mount over a directory an earlier step filled without its script being
// read.
func MayRemove(text string) bool {
	return anyWord(text, func(w []byte) bool {
		if i := bytes.LastIndexByte(w, '/'); i >= 0 {
			w = w[i+1:]
		}
		switch string(w) {
		case "rm", "rmdir", "unlink", "find", "mv", "chmod", "chown", "shred":
			return true
		}
		return false
	})
}

// anyWord reports whether match accepts a word of text, read as Mentions
// reads it.
func anyWord(text string, match func(w []byte) bool) bool {
	word := make([]byte, 0, 64)
	for i := 0; i < len(text); i++ {
		switch ch := text[i]; ch {
		case '\\':
			if i+1 < len(text) && text[i+1] == '\n' {
				i++ // a line continuation joins the word's two halves
			}
		case '"', '\'', 0: // quotes go; so do NUL bytes, which shells and mvdan.cc/sh drop
		case ' ', '\t', '\n', '\r', ';', '&', '|', '(', ')', '<', '>', '`':
			if len(word) > 0 && match(word) {
				return true
			}
			word = word[:0]
		default:
			word = append(word, ch)
		}
	}
	return len(word) > 0 && match(word)
}

// programName folds versioned names into the one rules list: python3.12
// is "python", pip3 is "pip".
func programName(base string) string {
	switch {
	case !strings.HasPrefix(base, "p"):
		return base // most commands: skip the patterns
	case pythonName.MatchString(base):
		return "python"
	case pipName.MatchString(base):
		return "pip"
	}
	return base
}

// ruleBits gives each rule of All a bit, and each program the bits of the
// rules that read it, made once: Run asks on every step.
var ruleBits = sync.OnceValues(func() (byRule, byProgram map[string]uint64) {
	byRule, byProgram = map[string]uint64{}, map[string]uint64{}
	for i, r := range All() {
		if i >= 64 {
			break // the rest go by their programs (ruleSet.has)
		}
		bit := uint64(1) << i
		byRule[r.Name()] = bit
		for _, p := range r.Programs() {
			byProgram[p] |= bit
		}
	}
	return byRule, byProgram
})

// ruleSet is the rules the programs of one step are read by.
type ruleSet struct {
	bits uint64
	s    *Step // for rules outside All, asked by their programs
}

// rulesFor returns the rules the commands of s run programs of.
func rulesFor(s *Step) ruleSet {
	_, byProgram := ruleBits()
	set := ruleSet{s: s}
	for _, c := range s.Commands {
		set.bits |= byProgram[programName(c.Base())]
	}
	return set
}

// has reports whether r reads a program of the set: a rule reads no other
// commands, and most steps run the programs of one or two rules.
func (set ruleSet) has(r Rule) bool {
	byRule, _ := ruleBits()
	if bit, ok := byRule[r.Name()]; ok {
		return set.bits&bit != 0
	}
	return slices.ContainsFunc(set.s.Commands, func(c shell.Command) bool {
		return slices.Contains(r.Programs(), programName(c.Base()))
	})
}
