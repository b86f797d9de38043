package shell

import "strings"

// optSpec describes a wrapper's command line the way getopt sees it, so
// that its options are not mistaken for the program it runs.
type optSpec struct {
	short    string          // short options that take an argument
	optional string          // short options whose argument can only be attached (xargs -i)
	long     map[string]bool // long options; true when they take an argument
	permute  bool            // options may follow operands, as with GNU su
}

// option is one option found by scan.
type option struct {
	name  string // "u" or "user"
	value word   // its argument, if it takes one
}

// scan reads options off args and returns them with the operands: the
// words from the first operand on, or with permute every non-option word.
// A "--" ends the options and is dropped. A word that is not literal can't
// be told from an operand, so it is one.
func scan(args []word, spec optSpec) (opts []option, operands []word) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a.literal && a.value == "--":
			return opts, append(operands, args[i+1:]...)
		case !a.literal || len(a.value) < 2 || a.value[0] != '-':
			if !spec.permute {
				return opts, append(operands, args[i:]...)
			}
			operands = append(operands, a)
		case strings.HasPrefix(a.value, "--"):
			name, value, attached := strings.Cut(a.value[2:], "=")
			opt := option{name: name}
			switch {
			case attached:
				opt.value = argvWord(value)
			case spec.long[name] && i+1 < len(args):
				i++
				opt.value = args[i]
			}
			opts = append(opts, opt)
		default:
			// A cluster of short options such as -Eu: the first one
			// that takes an argument ends it.
			flags := a.value[1:]
			for j := 0; j < len(flags); j++ {
				name := flags[j : j+1]
				opt := option{name: name}
				rest := flags[j+1:]
				takes := strings.Contains(spec.short, name)
				if takes || strings.Contains(spec.optional, name) {
					switch {
					case rest != "":
						opt.value = argvWord(rest)
					case takes && i+1 < len(args):
						i++
						opt.value = args[i]
					}
					opts = append(opts, opt)
					break
				}
				opts = append(opts, opt)
			}
		}
	}
	return opts, operands
}

// lookup returns the last value given for any of names, and whether one
// of them was given at all.
func lookup(opts []option, names ...string) (word, bool) {
	var (
		value word
		found bool
	)
	for _, o := range opts {
		for _, n := range names {
			if o.name == n {
				value, found = o.value, true
			}
		}
	}
	return value, found
}
