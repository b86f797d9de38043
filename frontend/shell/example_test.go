package shell_test

import (
	"fmt"

	"github.com/cachefront/cachefront/frontend/shell"
)

func Example() {
	script := "set -eux; sudo apt-get update && echo 'pip install x' && su app -c 'pip install --user x'"
	cmds, err := shell.Parse(script)
	if err != nil {
		panic(err)
	}
	var edits []shell.Edit
	for _, c := range cmds {
		fmt.Printf("%s %q user=%q nested=%v\n", c.Base(), c.Words(), c.User, c.Nested)
		if c.Base() == "apt-get" && !c.Nested {
			edits = append(edits, shell.Edit{Start: c.NameEnd, End: c.NameEnd, Text: " -o " + shell.Quote("APT::Keep-Downloaded-Packages=true")})
		}
	}
	out, err := shell.Splice(script, edits)
	if err != nil {
		panic(err)
	}
	fmt.Println(out)
	// Output:
	// set ["-eux"] user="" nested=false
	// apt-get ["update"] user="root" nested=false
	// echo ["pip install x"] user="" nested=false
	// pip ["install" "--user" "x"] user="app" nested=true
	// set -eux; sudo apt-get -o 'APT::Keep-Downloaded-Packages=true' update && echo 'pip install x' && su app -c 'pip install --user x'
}

func ExampleParseArgs() {
	argv := []string{"/bin/sh", "-ec", "npm ci && npm run build"}
	cmds, err := shell.ParseArgs(argv)
	if err != nil {
		panic(err)
	}
	i, _ := shell.ShellScript(argv)
	for _, c := range cmds {
		fmt.Printf("%s %q in argv[%d][%d:%d]\n", c.Name, c.Words(), i, c.Start, c.End)
	}
	// Output:
	// npm ["ci"] in argv[2][0:6]
	// npm ["run" "build"] in argv[2][10:23]
}
