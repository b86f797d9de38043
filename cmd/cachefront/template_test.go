package main

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestFindTemplate(t *testing.T) {
	cases := []struct {
		name, file string
		want       string // "" for no template
		control    bool
	}{
		{name: "plain", file: "FROM debian\nRUN apt-get update\n"},
		{name: "go template actions", file: "FROM debian\nRUN docker inspect -f '{{.Id}}' x && docker info --format '{{json .}}'\nHEALTHCHECK CMD x -f '{{ $x := 1 }}'\n"},
		{name: "shell braces", file: "FROM debian\nRUN f() { echo %d; }; printf '%s' \"${X%.*}\"\n"},
		{name: "jinja statements", file: "FROM debian\n{% if x %}\nRUN true\n{%- endif %}\n", want: "Jinja template: {% ... %} on lines 2, 4", control: true},
		{name: "statements win over expressions", file: "FROM {{ base }}\n{% for p in ps %}\nRUN x\n{% endfor %}\n", want: "Jinja template: {% ... %} on lines 2, 4", control: true},
		{name: "jinja expressions", file: "FROM debian\nENV A={{ a }} B={{b.c}}\nLABEL x={{ x }}\n", want: "Jinja template: {{ ... }} on lines 2, 3"},
		{name: "jinja comment", file: "FROM debian\n{# a comment #}\n", want: "Jinja template: {# ... #} on line 2"},
		{name: "erb", file: "ARG V=<%= v %>\n<% if x -%>\nRUN a\n<% end -%>\n", want: "ERB template: <% ... %> on lines 2, 4", control: true},
		{name: "erb output only", file: "ARG V=<%= v %>\nFROM ruby:$V\n", want: "ERB template: <%= ... %> on line 1"},
		{name: "many lines", file: "{% a %}\n{% b %}\n{% c %}\n{% d %}\n{% e %}\n", want: "Jinja template: {% ... %} on lines 1, 2, 3 and 2 more", control: true},
		{name: "unclosed", file: "FROM debian\nRUN echo '{%' '{{'\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := findTemplate([]byte(c.file))
			if c.want == "" {
				require.Nil(t, got)
				return
			}
			require.NotNil(t, got)
			require.Equal(t, c.want, got.String())
			require.Equal(t, c.control, got.control)
		})
	}
}
