package shell

import "strings"

// corepackTools are the programs corepack runs in the version a project
// pins: corepack yarn|pnpm|npm...[@VERSION] ARGS.
var corepackTools = []string{"yarn", "yarnpkg", "pnpm", "pnpx", "npm", "npx"}

// corepack runs a package manager, downloading the manager itself into its
// own directory first (a store of programs, not of packages). Its other
// commands (enable, prepare, install, use, up, pack, cache) are reported as
// corepack, for the rules to read.
func corepack(_ *parser, _ *call, args []word) ([]word, verdict) {
	if len(args) == 0 || !args[0].literal {
		return nil, itself
	}
	name, _, _ := strings.Cut(args[0].value, "@")
	for _, tool := range corepackTools {
		if name == tool {
			// "yarn@4.5.0" runs as yarn; the offsets stay those of the
			// word as written, so arguments insert after the version.
			w := args[0]
			w.value = name
			return append([]word{w}, args[1:]...), wraps
		}
	}
	return nil, itself
}
