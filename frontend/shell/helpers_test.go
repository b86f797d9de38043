package shell

import (
	"strings"
)

// summary renders a command compactly for table tests:
// "nested user=app K=V name arg <dyn>".
func summary(c Command) string {
	var parts []string
	if c.Nested {
		parts = append(parts, "nested")
	}
	if c.User != "" {
		parts = append(parts, "user="+c.User)
	}
	parts = append(parts, c.Env...)
	parts = append(parts, c.Name)
	for _, a := range c.Args {
		if !a.Literal {
			parts = append(parts, "<dyn>")
			continue
		}
		parts = append(parts, a.Value)
	}
	return strings.Join(parts, " ")
}

func summaries(cmds []Command) []string {
	out := []string{}
	for _, c := range cmds {
		out = append(out, summary(c))
	}
	return out
}
