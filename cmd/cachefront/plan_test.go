package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPlanJSON(t *testing.T) {
	var out, errb bytes.Buffer
	code := runPlan([]string{"--format", "json", "../../examples/apt"}, &out, &errb)
	require.Equal(t, 0, code, errb.String())
	var got struct {
		Steps []struct {
			Line        int      `json:"line"`
			Stage       string   `json:"stage"`
			Managers    []string `json:"managers"`
			Mounts      []struct{ Target, ID, Sharing, Owner string }
			Env         []string `json:"env"`
			Neutralized []string `json:"neutralized"`
			Notes       []string `json:"notes"`
		} `json:"steps"`
	}
	require.NoError(t, json.Unmarshal(out.Bytes(), &got))
	require.Len(t, got.Steps, 1)
	s := got.Steps[0]
	require.Equal(t, 4, s.Line)
	require.Equal(t, []string{"apt"}, s.Managers)
	require.Equal(t, "/run/cachefront/apt", s.Mounts[0].Target)
	require.Equal(t, "locked", s.Mounts[0].Sharing)
	require.Equal(t, "0", s.Mounts[0].Owner)
	require.Equal(t, []string{"apt-get clean"}, s.Neutralized)
	require.NotNil(t, s.Env)
}

func TestPlanText(t *testing.T) {
	var out, errb bytes.Buffer
	require.Equal(t, 0, runPlan([]string{"../../examples/npm"}, &out, &errb), errb.String())
	require.Contains(t, out.String(), "line 5 [stage-0] npm\n  + cache /run/cachefront/npm (id=cachefront/npm, sharing=shared, owner=0)")
	require.Contains(t, out.String(), "kept the cache from npm cache clean")
}

func TestPlanErrorsKeepTheLocation(t *testing.T) {
	dir := t.TempDir()
	df := filepath.Join(dir, "Dockerfile")
	require.NoError(t, os.WriteFile(df, []byte("FROM debian:bookworm\nRUN true\nFOO bar\n"), 0o644))
	var out, errb bytes.Buffer
	require.Equal(t, 1, runPlan([]string{dir}, &out, &errb))
	require.True(t, strings.HasPrefix(errb.String(), "cachefront plan: "+df+":3: "), errb.String())
	require.Contains(t, errb.String(), "line 3")
	errb.Reset()

	// A cachefront option error.
	require.Equal(t, 1, runPlan([]string{"--build-arg", "CACHEFRONT_SKIP=brew", dir}, &out, &errb))
	require.Contains(t, errb.String(), `unknown manager "brew"`)

	require.Equal(t, 2, runPlan([]string{"--format", "yaml", dir}, &out, &errb))
	require.Equal(t, 1, runPlan([]string{filepath.Join(dir, "missing")}, &out, &errb))
}
