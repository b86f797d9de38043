package rules

import (
	"bytes"
	"sync"
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
	case pythonName.MatchString(base):
		return "python"
	case pipName.MatchString(base):
		return "pip"
	}
	return base
}

// programsOf is every rule's Programs by rule name, made once: Run asks
// for them on every step.
var programsOf = sync.OnceValue(func() map[string][]string {
	out := map[string][]string{}
	for _, r := range All() {
		out[r.Name()] = r.Programs()
	}
	return out
})

// programsRun returns the programs the commands of s run, as Programs
// name them.
func programsRun(s *Step) map[string]bool {
	run := make(map[string]bool, len(s.Commands))
	for _, c := range s.Commands {
		run[programName(c.Base())] = true
	}
	return run
}

// runsAny reports whether run, what programsRun returned, holds one of
// r's programs: a rule reads no other commands, and most steps run the
// programs of one or two rules.
func runsAny(run map[string]bool, r Rule) bool {
	progs, ok := programsOf()[r.Name()]
	if !ok {
		progs = r.Programs()
	}
	for _, p := range progs {
		if run[p] {
			return true
		}
	}
	return false
}
