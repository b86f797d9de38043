package rewrite_test

import (
	"testing"

	"github.com/cachefront/cachefront/llb/rewrite"
	"github.com/moby/buildkit/solver/pb"
	"github.com/stretchr/testify/require"
)

func TestEnv(t *testing.T) {
	t.Parallel()
	meta := &pb.Meta{Env: []string{"PATH=/bin", "A=1", "FLAG", "A=2", "B=x=y"}}

	v, ok := rewrite.Getenv(meta, "A")
	require.True(t, ok)
	require.Equal(t, "1", v, "first entry wins")
	v, ok = rewrite.Getenv(meta, "B")
	require.True(t, ok)
	require.Equal(t, "x=y", v)
	v, ok = rewrite.Getenv(meta, "FLAG")
	require.True(t, ok)
	require.Empty(t, v)
	_, ok = rewrite.Getenv(meta, "PAT")
	require.False(t, ok)
	_, ok = rewrite.Getenv(nil, "A")
	require.False(t, ok)

	rewrite.SetEnv(meta, "A", "3")
	require.Equal(t, []string{"PATH=/bin", "A=3", "FLAG", "B=x=y"}, meta.Env, "replaced in place, duplicates dropped")
	rewrite.SetEnv(meta, "C", "")
	require.Equal(t, []string{"PATH=/bin", "A=3", "FLAG", "B=x=y", "C="}, meta.Env)
	rewrite.UnsetEnv(meta, "FLAG")
	rewrite.UnsetEnv(meta, "nope")
	require.Equal(t, []string{"PATH=/bin", "A=3", "B=x=y", "C="}, meta.Env)

	rewrite.SetEnv(nil, "A", "1") // no panic
	rewrite.UnsetEnv(nil, "A")
}
