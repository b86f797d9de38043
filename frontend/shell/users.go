package shell

import "strings"

// userOf returns the user named by w, as written when it is an expansion
// so that the caller still sees that the user was switched.
func userOf(w word) string {
	if w.literal {
		return w.value
	}
	return w.raw
}

// sudo runs a command as another user, root unless -u says otherwise:
// sudo [-EHnS] [-u U] [-g G] [--] [NAME=VALUE]... COMMAND.
func sudo(_ *parser, c *call, args []word) ([]word, verdict) {
	opts, rest := scan(args, optSpec{
		short: "CDgpRrTtUu",
		long: map[string]bool{
			"user": true, "group": true, "close-from": true, "chdir": true, "prompt": true,
			"chroot": true, "role": true, "type": true, "command-timeout": true, "other-user": true,
			"host": true,
		},
	})
	if u, ok := lookup(opts, "u", "user"); ok {
		c.user = userOf(u)
	} else if _, ok := lookup(opts, "g", "group"); !ok {
		// With -g alone the command keeps the invoking user.
		c.user = "root"
	}
	return runs(takeAssignments(c, rest))
}

// switchUser handles gosu and su-exec: gosu USER[:GROUP] COMMAND.
func switchUser(_ *parser, c *call, args []word) ([]word, verdict) {
	if len(args) == 0 || args[0].literal && len(args[0].value) > 1 && args[0].value[0] == '-' {
		// --help, --version, or a bare call.
		return nil, itself
	}
	c.user = userOf(args[0])
	if args[0].literal {
		// USER:GROUP; the group is not the user.
		c.user, _, _ = strings.Cut(c.user, ":")
	}
	return runs(args[1:])
}

// suSpec is the command line of su, and of runuser when it acts like su.
var suSpec = optSpec{
	short: "cgGsw",
	long: map[string]bool{
		"command": true, "session-command": true, "group": true, "supp-group": true,
		"shell": true, "whitelist-environment": true, "user": true,
	},
	permute: true,
}

// su runs a login shell as another user, root by default, and with -c a
// script in it: su [-] [options] [USER] or su -c SCRIPT USER.
func su(p *parser, c *call, args []word) ([]word, verdict) {
	opts, operands := scan(args, suSpec)
	c.user = "root"
	for _, w := range operands {
		// A lone "-" means --login; the first other operand is the user.
		if !w.literal || w.value != "-" {
			c.user = userOf(w)
			break
		}
	}
	script, ok := lookup(opts, "c", "command", "session-command")
	if !ok {
		return nil, itself
	}
	return p.runScript(c, script)
}

// runuser is su for root without PAM, plus a form that runs a command
// directly: runuser -u USER [--] COMMAND.
func runuser(p *parser, c *call, args []word) ([]word, verdict) {
	spec := suSpec
	spec.short += "u"
	spec.permute = false
	opts, rest := scan(args, spec)
	u, ok := lookup(opts, "u", "user")
	if !ok {
		return su(p, c, args)
	}
	c.user = userOf(u)
	return runs(rest)
}
