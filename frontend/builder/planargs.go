package builder

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
)

// builtinArgs are the platform args upstream defines itself.
var builtinArgs = map[string]bool{
	"BUILDPLATFORM": true, "BUILDOS": true, "BUILDOSVERSION": true, "BUILDARCH": true, "BUILDVARIANT": true,
	"TARGETPLATFORM": true, "TARGETOS": true, "TARGETOSVERSION": true, "TARGETARCH": true, "TARGETVARIANT": true,
	"TARGETSTAGE": true,
}

// placeholderArgs finds the args a FROM line names its base image with that
// are declared before the first FROM without a value and not given in args:
// `ARG BASE_IMAGE` + `FROM ${BASE_IMAGE}`, which a build can only run with
// --build-arg. It returns args plus a placeholder image name for each, and a
// note for each; no notes when there is nothing to fill. The plan does not
// resolve base images, so a placeholder changes nothing but the base name in
// cache ids.
func placeholderArgs(dt []byte, args map[string]string) (map[string]string, []string) {
	ast, err := parser.Parse(bytes.NewReader(dt))
	if err != nil {
		return args, nil
	}
	stages, metaArgs, err := instructions.Parse(ast.AST, nil)
	if err != nil {
		return args, nil
	}
	env := map[string]string{}
	unset := map[string]bool{}
	for _, a := range metaArgs {
		for _, kv := range a.Args {
			if kv.Value != nil {
				env[kv.Key] = *kv.Value
				delete(unset, kv.Key)
			} else if _, given := args[kv.Key]; !given && !builtinArgs[kv.Key] {
				unset[kv.Key] = true
			}
		}
	}
	maps.Copy(env, args)
	for k := range builtinArgs {
		env[k] = ""
	}
	lex := shell.NewLex(ast.EscapeToken)
	fill := map[string]bool{}
	for _, st := range stages {
		res, err := lex.ProcessWordWithMatches(st.BaseName, envGetter(env))
		if err != nil {
			continue
		}
		for name := range res.Unmatched {
			if unset[name] {
				fill[name] = true
			}
		}
	}
	if len(fill) == 0 {
		return args, nil
	}
	out := maps.Clone(args)
	if out == nil {
		out = map[string]string{}
	}
	var notes []string
	for _, name := range slices.Sorted(maps.Keys(fill)) {
		v := placeholder(name)
		out[name] = v
		notes = append(notes, fmt.Sprintf("ARG %s names a base image and has no value (a build needs --build-arg %s=...): planned with %s=%s", name, name, name, v))
	}
	return out, notes
}

// placeholder makes an image name of an arg name: BASE_IMAGE -> base-image.
func placeholder(name string) string {
	v := strings.Trim(strings.ReplaceAll(strings.ToLower(name), "_", "-"), "-")
	if v == "" {
		return "unset"
	}
	return v
}

type envGetter map[string]string

func (e envGetter) Get(key string) (string, bool) {
	v, ok := e[key]
	return v, ok
}

func (e envGetter) Keys() []string { return slices.Sorted(maps.Keys(e)) }
