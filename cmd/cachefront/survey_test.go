package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

const surveyDir = "testdata/survey"

func surveyJSON(t *testing.T, args ...string) (surveyResult, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := runSurvey(append([]string{"--format", "json"}, args...), &out, &errb)
	var res surveyResult
	require.NoError(t, json.Unmarshal(out.Bytes(), &res), errb.String())
	return res, code
}

func byPath(t *testing.T, res surveyResult) map[string]*surveyFile {
	t.Helper()
	out := map[string]*surveyFile{}
	for _, f := range res.Files {
		out[f.Path] = f
	}
	return out
}

func TestSurveyFiles(t *testing.T) {
	res, code := surveyJSON(t, surveyDir)
	require.Equal(t, 1, code, "a failed file fails the survey")
	files := byPath(t, res)
	// README.md is no Dockerfile by name; .hidden/ is skipped.
	require.ElementsMatch(t, []string{
		"Dockerfile", "broken/Dockerfile.broken", "parse/unparsed.dockerfile",
		"templates/Dockerfile.rails", "templates/env.Dockerfile", "templates/label.Dockerfile", "templates/web.Dockerfile",
	}, keys(files))

	cases := []struct {
		path, status string
		runs, cached int
		managers     map[string]int
		unparsed     []int // lines
		text         string
	}{
		// Every stage counts, not only the default target's: pip runs in
		// "docs", which the default target does not build. The bind mount
		// made upstream's converter read its (unset) capabilities.
		{path: "Dockerfile", status: statusOK, runs: 4, cached: 3, managers: map[string]int{"apt": 1, "pip": 1, "npm": 1},
			text: "planned with BASE=base"},
		{path: "broken/Dockerfile.broken", status: statusFailed, managers: map[string]int{},
			text: "broken/Dockerfile.broken:3: dockerfile parse error on line 3: unknown instruction: FOO"},
		{path: "parse/unparsed.dockerfile", status: statusOK, runs: 2, cached: 1, managers: map[string]int{"apt": 1}, unparsed: []int{3}},
		{path: "templates/web.Dockerfile", status: statusTemplate, managers: map[string]int{},
			text: "Jinja template: {% ... %} on lines 2, 4"},
		{path: "templates/Dockerfile.rails", status: statusTemplate, managers: map[string]int{},
			text: "ERB template: <% ... %> on lines 3, 5"},
		{path: "templates/env.Dockerfile", status: statusTemplate, managers: map[string]int{},
			text: `Jinja template: {{ ... }} on line 2; upstream's parser: Syntax error - can't find = in "app_host"`},
		{path: "templates/label.Dockerfile", status: statusOK, runs: 1, cached: 1, managers: map[string]int{"pip": 1},
			text: "Jinja template: {{ ... }} on line 2, read by upstream as plain text"},
	}
	for _, c := range cases {
		t.Run(c.path, func(t *testing.T) {
			f := files[c.path]
			require.Equal(t, c.status, f.Status, f.Error)
			require.Equal(t, c.runs, f.Runs)
			require.Equal(t, c.cached, f.Cached)
			require.Equal(t, c.managers, f.Managers)
			var lines []int
			for _, u := range f.Unparsed {
				require.Contains(t, u.Note, "could not be parsed")
				lines = append(lines, u.Line)
			}
			require.Equal(t, c.unparsed, lines)
			all := f.Error + f.Reason
			for _, n := range f.Notes {
				all += "\n" + n
			}
			require.Contains(t, all, c.text)
			switch c.status {
			case statusFailed:
				require.Empty(t, f.Reason)
			case statusTemplate:
				require.Empty(t, f.Error)
			default:
				require.Empty(t, f.Error+f.Reason)
			}
		})
	}

	// The JSON form carries each step's plan.
	steps := files["Dockerfile"].Steps
	require.Len(t, steps, 4)
	require.Equal(t, []string{"pip"}, steps[1].Managers)
	require.Equal(t, "docs", steps[1].Stage)
	require.Equal(t, "writer", steps[1].Mounts[0].Owner)
	require.Empty(t, files["broken/Dockerfile.broken"].Steps)

	require.Equal(t, surveySummary{
		Files: 7, OK: 3, Failed: 1, Templates: 3,
		Runs: 7, WithManager: 5, Cached: 5, Unparsed: 1,
		Managers: []managerCount{{"apt", 2, 2}, {"npm", 1, 1}, {"pip", 2, 2}},
	}, res.Summary)
}

func TestSurveyTemplatesAreNoFailure(t *testing.T) {
	res, code := surveyJSON(t, filepath.Join(surveyDir, "templates"))
	require.Equal(t, 0, code)
	require.Equal(t, 3, res.Summary.Templates)
	require.Equal(t, 1, res.Summary.OK)
}

func TestSurveyBuildArgs(t *testing.T) {
	res, code := surveyJSON(t, "--build-arg", "BASE=debian:bookworm", surveyDir)
	require.Equal(t, 1, code)
	f := byPath(t, res)["Dockerfile"]
	require.Equal(t, statusOK, f.Status)
	require.Empty(t, f.Notes, "no placeholder when the arg is given")
}

func TestSurveyText(t *testing.T) {
	var out, errb bytes.Buffer
	require.Equal(t, 1, runSurvey([]string{surveyDir}, &out, &errb), errb.String())
	for _, want := range []string{
		"ok     Dockerfile: 4 RUN, 3 cached (apt 1, npm 1, pip 1)\n",
		"FAILED broken/Dockerfile.broken:3: dockerfile parse error on line 3",
		"SKIP   templates/web.Dockerfile: not a Dockerfile: Jinja template: {% ... %} on lines 2, 4\n",
		"ok     parse/unparsed.dockerfile: 2 RUN, 1 cached (apt 1)\n         line 3: the shell script could not be parsed",
		"\n7 files: 3 ok, 1 failed, 3 not a Dockerfile\n7 RUN steps: 5 run a package manager, 5 get a cache mount, 1 left as written (shell not parsed)\n",
		"\nmanager       steps  files\napt               2      2\nnpm               1      1\npip               2      2\n",
	} {
		require.Contains(t, out.String(), want)
	}
}

func TestSurveyUsage(t *testing.T) {
	var out, errb bytes.Buffer
	require.Equal(t, 2, runSurvey(nil, &out, &errb))
	require.Equal(t, 2, runSurvey([]string{"--format", "yaml", surveyDir}, &out, &errb))
	require.Equal(t, 1, runSurvey([]string{filepath.Join(surveyDir, "missing")}, &out, &errb))
	empty := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(empty, "notes.txt"), nil, 0o644))
	errb.Reset()
	require.Equal(t, 1, runSurvey([]string{empty}, &out, &errb))
	require.Contains(t, errb.String(), "no Dockerfile under")
}

func TestIsDockerfileName(t *testing.T) {
	for name, want := range map[string]bool{
		"Dockerfile": true, "Dockerfile.dev": true, "api.Dockerfile": true, "debian-base.dockerfile": true,
		"dockerfile": false, "Dockerfile-old": false, "README.md": false, "Dockerfiles": false,
	} {
		require.Equal(t, want, isDockerfileName(name), name)
	}
}

func keys(m map[string]*surveyFile) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
