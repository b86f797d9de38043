package main

import (
	"fmt"
	"strings"
)

// templateMarkup is the template syntax found in a file that is the source
// of a Dockerfile rather than one: a Jinja or ERB template.
type templateMarkup struct {
	lang  string // "Jinja" or "ERB"
	delim string // "{% ... %}", "{{ ... }}", "<% ... %>"
	// control tells that the markup is a statement ({% if %}, <% end %}),
	// which changes the file's structure once rendered: such a file is no
	// Dockerfile even where upstream's parser happens to accept it.
	control bool
	lines   []int
}

// String is "Jinja template: {% ... %} on lines 64, 67, 69 and 12 more".
func (t *templateMarkup) String() string {
	const show = 3
	var ls []string
	for _, l := range t.lines[:min(show, len(t.lines))] {
		ls = append(ls, fmt.Sprint(l))
	}
	where := "line " + ls[0]
	if len(ls) > 1 {
		where = "lines " + strings.Join(ls, ", ")
	}
	if n := len(t.lines) - show; n > 0 {
		where += fmt.Sprintf(" and %d more", n)
	}
	return fmt.Sprintf("%s template: %s on %s", t.lang, t.delim, where)
}

// findTemplate returns the most telling template markup of dt, statements
// first, or nil. Go templates in Dockerfiles (`docker inspect -f
// '{{.Id}}'`, `{{json .}}`) are not taken for Jinja: their actions read
// data through '.' or '$'.
func findTemplate(dt []byte) *templateMarkup {
	kinds := []*templateMarkup{
		{lang: "Jinja", delim: "{% ... %}", control: true},
		{lang: "ERB", delim: "<% ... %>", control: true},
		{lang: "Jinja", delim: "{{ ... }}"},
		{lang: "Jinja", delim: "{# ... #}"},
		{lang: "ERB", delim: "<%= ... %>"},
	}
	for i, line := range strings.Split(string(dt), "\n") {
		for _, k := range kinds {
			if k.match(line) {
				k.lines = append(k.lines, i+1)
			}
		}
	}
	for _, k := range kinds {
		if len(k.lines) > 0 {
			return k
		}
	}
	return nil
}

func (t *templateMarkup) match(line string) bool {
	switch t.delim {
	case "{% ... %}":
		return enclosed(line, "{%", "%}", nil)
	case "{# ... #}":
		return enclosed(line, "{#", "#}", nil)
	case "{{ ... }}":
		return enclosed(line, "{{", "}}", jinjaExpr)
	case "<% ... %>":
		return enclosed(line, "<%", "%>", func(s string) bool { return !strings.HasPrefix(s, "=") && !strings.HasPrefix(s, "#") })
	case "<%= ... %>":
		return enclosed(line, "<%=", "%>", nil)
	}
	return false
}

// enclosed reports whether line has open ... close with a body that ok
// accepts (any body when ok is nil).
func enclosed(line, open, close string, ok func(string) bool) bool {
	for {
		i := strings.Index(line, open)
		if i < 0 {
			return false
		}
		line = line[i+len(open):]
		j := strings.Index(line, close)
		if j < 0 {
			return false
		}
		if ok == nil || ok(line[:j]) {
			return true
		}
		line = line[j+len(close):]
	}
}

// jinjaExpr tells a Jinja expression from a Go template action: no word of
// it starts with '.' or '$'.
func jinjaExpr(body string) bool {
	words := strings.Fields(strings.Trim(body, "-"))
	if len(words) == 0 {
		return false
	}
	for _, w := range words {
		if strings.HasPrefix(w, ".") || strings.HasPrefix(w, "$") {
			return false
		}
	}
	return true
}
