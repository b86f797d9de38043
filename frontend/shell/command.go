package shell

import "path"

// Command is one simple command a script runs, seen through wrappers.
type Command struct {
	// Name is the program as written, with wrappers stripped and quotes
	// removed: "apt-get", "/opt/venv/bin/pip", "pip3.12", "python3". For
	// "python3 -m pip", Name is "python3" and Args start with "-m", "pip".
	Name string
	// Args are the arguments after the program.
	Args []Arg
	// Env holds the literal "K=V" assignments that apply to this command
	// only: "K=V cmd" prefixes, "env K=V cmd", "sudo K=V cmd", and those
	// inherited from the command running the shell a Nested command is in.
	Env []string
	// User is the user a wrapper switched to ("sudo -u U", "gosu U",
	// "su-exec U", "runuser -u U", "su U -c"), "root" for a plain sudo or
	// su, and "" when no wrapper switched user. A user given by an
	// expansion is reported as written, e.g. "$APP_USER".
	User string
	// Start and End are the byte offsets of the whole simple command in
	// the script, assignment prefixes and wrappers included; -1 when
	// Nested.
	Start, End int
	// NameEnd is the byte offset just after the program word, where
	// arguments can be inserted; -1 when Nested.
	NameEnd int
	// Nested is true when the command was found inside a string run by
	// another shell ("sh -c '...'", "su -c", eval, a heredoc fed to bash)
	// or in an exec-form argv. It must not be spliced.
	Nested bool
}

// Arg is one argument word.
type Arg struct {
	// Value is the word after quote removal; "" when not Literal. Glob
	// and brace patterns are kept as text ("*.whl", "{a,b}").
	Value string
	// Literal is false when the word holds an expansion: $VAR, ${VAR},
	// $(...), `...`, $((...)), <(...), a leading ~ or $'...' escapes.
	Literal bool
	// Start and End are the byte offsets of the word in the script; -1
	// when the command is Nested.
	Start, End int
}

// Base returns the program's base name: "/usr/bin/apt-get" -> "apt-get".
func (c Command) Base() string {
	return path.Base(c.Name)
}

// Words returns the literal values of Args, with "" for non-literal ones,
// so that callers can match flags by position.
func (c Command) Words() []string {
	words := make([]string, len(c.Args))
	for i, a := range c.Args {
		words[i] = a.Value
	}
	return words
}
