package shell

import "strings"

// env runs a command in a modified environment:
// env [-i] [-u NAME] [-C DIR] [-] [NAME=VALUE]... [COMMAND [ARG]...].
func env(_ *parser, c *call, args []word) ([]word, verdict) {
	opts, rest := scan(args, optSpec{short: "uCS", long: map[string]bool{"unset": true, "chdir": true, "split-string": true}})
	for _, o := range opts {
		switch o.name {
		case "i", "ignore-environment":
			c.env = nil
		case "u", "unset":
			c.env = unset(c.env, o.value.value)
		case "S", "split-string":
			// The command is packed in one string env splits itself;
			// seeing through that is not worth its rarity.
			return nil, itself
		}
	}
	if len(rest) > 0 && rest[0].literal && rest[0].value == "-" {
		c.env, rest = nil, rest[1:]
	}
	return runs(takeAssignments(c, rest))
}

// unset drops name from env.
func unset(env []string, name string) []string {
	var kept []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, name+"=") {
			kept = append(kept, kv)
		}
	}
	return kept
}

// takeAssignments moves the leading NAME=VALUE words, which env and sudo
// read as variables to set, from args to c.env and returns the rest. Those
// with a value known only at run time are dropped.
func takeAssignments(c *call, args []word) []word {
	for len(args) > 0 {
		kv, ok, literal := assignment(args[0])
		if !ok {
			break
		}
		if literal {
			c.env = append(unset(c.env, kv[:strings.IndexByte(kv, '=')]), kv)
		}
		args = args[1:]
	}
	return args
}

// nice runs a command with another priority: nice [-n N | -N] COMMAND.
func nice(_ *parser, _ *call, args []word) ([]word, verdict) {
	if len(args) > 0 && args[0].literal && isAdjustment(args[0].value) {
		// The historical form, nice -10 or nice --10.
		args = args[1:]
	}
	_, rest := scan(args, optSpec{short: "n", long: map[string]bool{"adjustment": true}})
	return runs(rest)
}

// isAdjustment reports whether s is "-N" or "--N" with N all digits.
func isAdjustment(s string) bool {
	digits := strings.TrimPrefix(strings.TrimPrefix(s, "-"), "-")
	return len(digits) < len(s) && digits != "" && strings.Trim(digits, "0123456789") == ""
}

// ionice runs a command with another I/O class: ionice [-c N] [-n N]
// [-t] COMMAND. With -p, -P or -u it changes running processes instead.
func ionice(_ *parser, _ *call, args []word) ([]word, verdict) {
	opts, rest := scan(args, optSpec{short: "cnpPu", long: map[string]bool{"class": true, "classdata": true, "pid": true, "pgid": true, "uid": true}})
	if _, ok := lookup(opts, "p", "P", "u", "pid", "pgid", "uid"); ok {
		return nil, itself
	}
	return runs(rest)
}

// timeout runs a command with a time limit: timeout [OPTION] DURATION
// COMMAND.
func timeout(_ *parser, _ *call, args []word) ([]word, verdict) {
	_, rest := scan(args, optSpec{short: "sk", long: map[string]bool{"signal": true, "kill-after": true}})
	if len(rest) == 0 {
		return nil, itself
	}
	return runs(rest[1:])
}

// command runs a command bypassing functions; with -v or -V it only says
// what a name is and runs nothing.
func command(_ *parser, _ *call, args []word) ([]word, verdict) {
	opts, rest := scan(args, optSpec{})
	if _, ok := lookup(opts, "v", "V"); ok {
		return nil, nothing
	}
	return runs(rest)
}

// xargs runs a command with arguments read from stdin. The command is
// reported with the arguments written in the script only.
func xargs(_ *parser, _ *call, args []word) ([]word, verdict) {
	_, rest := scan(args, optSpec{
		short:    "adEILnPs",
		optional: "eil",
		long: map[string]bool{
			"arg-file": true, "delimiter": true, "max-args": true, "max-procs": true,
			"max-chars": true, "process-slot-var": true,
		},
	})
	return runs(rest)
}
