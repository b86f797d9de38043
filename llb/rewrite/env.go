package rewrite

import (
	"slices"
	"strings"

	"github.com/moby/buildkit/solver/pb"
)

// SetEnv sets key=value in meta.Env: it replaces the first entry for key in place and drops any
// later ones, or appends a new entry, so the order of the other variables is kept.
func SetEnv(meta *pb.Meta, key, value string) {
	if meta == nil {
		return
	}
	kv := key + "=" + value
	i := slices.IndexFunc(meta.Env, isEnv(key))
	if i < 0 {
		meta.Env = append(meta.Env, kv)
		return
	}
	meta.Env[i] = kv
	meta.Env = slices.Concat(meta.Env[:i+1], slices.DeleteFunc(slices.Clone(meta.Env[i+1:]), isEnv(key)))
}

// UnsetEnv removes every entry for key from meta.Env.
func UnsetEnv(meta *pb.Meta, key string) {
	if meta == nil {
		return
	}
	meta.Env = slices.DeleteFunc(meta.Env, isEnv(key))
}

// Getenv returns the value of key in meta.Env. With several entries for key the first one wins,
// as for getenv(3) and Go's os.Getenv in the container.
func Getenv(meta *pb.Meta, key string) (string, bool) {
	for _, kv := range meta.GetEnv() {
		k, v, _ := strings.Cut(kv, "=")
		if k == key {
			return v, true
		}
	}
	return "", false
}

func isEnv(key string) func(string) bool {
	return func(kv string) bool {
		k, _, _ := strings.Cut(kv, "=")
		return k == key
	}
}
