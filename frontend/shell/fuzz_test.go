package shell

import (
	"testing"
)

func FuzzParse(f *testing.F) {
	for _, group := range [][]parseCase{structureCases, textCases, envCases, wrapperCases, nestedCases} {
		for _, tc := range group {
			f.Add(tc.script)
		}
	}
	f.Add("if then fi (")
	f.Add("sudo -u")
	f.Add("su -c")
	f.Add("bash <<EOF\nEOF")
	f.Add("eval")
	f.Fuzz(func(t *testing.T, script string) {
		cmds, err := Parse(script)
		if err != nil {
			if cmds != nil {
				t.Fatalf("commands with an error: %v", err)
			}
			return
		}
		for _, c := range cmds {
			if c.Name == "" {
				t.Fatalf("empty name: %+v", c)
			}
			if c.Nested {
				if c.Start != -1 || c.End != -1 || c.NameEnd != -1 {
					t.Fatalf("nested command with offsets: %+v", c)
				}
				continue
			}
			if !(0 <= c.Start && c.Start < c.NameEnd && c.NameEnd <= c.End && c.End <= len(script)) {
				t.Fatalf("bad offsets in %q: %+v", script, c)
			}
			for _, a := range c.Args {
				if !(c.NameEnd <= a.Start && a.Start < a.End && a.End <= c.End) {
					t.Fatalf("bad arg offsets in %q: %+v", script, c)
				}
				if !a.Literal && a.Value != "" {
					t.Fatalf("value for a non-literal arg: %+v", a)
				}
			}
		}
		out, err := Splice(script, nil)
		if err != nil || out != script {
			t.Fatalf("Splice with no edits changed the script: %v", err)
		}
		// Dropping every command keeps the script parseable... unless a
		// heredoc operator sits inside one, so only check it doesn't fail.
		var edits []Edit
		last := -1
		for _, c := range cmds {
			if !c.Nested && c.Start >= last {
				edits = append(edits, Edit{Start: c.Start, End: c.End, Text: "true"})
				last = c.End
			}
		}
		if _, err := Splice(script, edits); err != nil {
			t.Fatalf("Splice of disjoint commands: %v", err)
		}
	})
}
