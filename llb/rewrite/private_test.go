package rewrite_test

import (
	"strings"
	"testing"

	"github.com/cachefront/cachefront/llb/rewrite"
	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"
	"github.com/stretchr/testify/require"
)

// A builder stage's module store stays private when nothing but its own
// later RUNs (and those of stages built FROM it) sees it.
func TestPrivate(t *testing.T) {
	t.Parallel()
	const build = "FROM golang:1.26 AS build\nWORKDIR /src\nCOPY go.mod ./\nRUN go mod download\nCOPY . .\nRUN go build -o /out/app .\n"
	for _, tc := range []struct {
		name, dockerfile, target string
		reject                   string // a later step's script accept refuses
		rejectBefore             string // an earlier step's script accept refuses
		// want is the scripts of the later execs, nil when not private.
		want []string
	}{
		{name: "binary copied out", dockerfile: build + "FROM debian\nCOPY --from=build /out/app /app\n",
			want: []string{"go build -o /out/app ."}},
		{name: "copy --link", dockerfile: build + "FROM debian\nCOPY --link --from=build /out/app /app\n",
			want: []string{"go build -o /out/app ."}},
		{name: "mounted elsewhere", dockerfile: build + "FROM debian\nRUN --mount=from=build,source=/out,target=/o cp /o/app /app\n",
			want: []string{"go build -o /out/app ."}},
		{name: "stage built on", dockerfile: build + "FROM build AS test\nRUN go vet ./...\nFROM debian\nCOPY --from=build /out/app /app\nCOPY --from=test /src/report /report\n",
			want: []string{"go build -o /out/app .", "go vet ./..."}},
		{name: "single stage", dockerfile: build},
		{name: "target", dockerfile: build + "FROM debian\nCOPY --from=build /out/app /app\n", target: "build"},
		{name: "tree copied", dockerfile: build + "FROM debian\nCOPY --from=build /go /go\n"},
		{name: "part of the tree copied", dockerfile: build + "FROM debian\nCOPY --from=build /go/pkg/mod/cache /c\n"},
		{name: "wildcard", dockerfile: build + "FROM debian\nCOPY --from=build /g* /g\n"},
		{name: "root mounted", dockerfile: build + "FROM debian\nRUN --mount=from=build,target=/b ls /b\n"},
		{name: "later step refused", dockerfile: build + "FROM debian\nCOPY --from=build /out/app /app\n", reject: "go build -o /out/app ."},
		{name: "wildcard elsewhere", dockerfile: build + "FROM debian\nCOPY --from=build /out/* /app/\n",
			want: []string{"go build -o /out/app ."}},
		{name: "copied into the tree after", dockerfile: build + "COPY fix.go /go/pkg/mod/x@v1/\nFROM debian\nCOPY --from=build /out/app /app\n"},
		{name: "copied above the tree after", dockerfile: build + "COPY gopath/ /go/\nFROM debian\nCOPY --from=build /out/app /app\n"},
		{name: "workdir above the tree before", dockerfile: "FROM golang:1.26 AS build\nWORKDIR /go\nRUN go mod download\nFROM debian\nCOPY --from=build /go/bin/x /x\n",
			want: []string{}},
		{name: "copied into the tree before", dockerfile: "FROM golang:1.26 AS build\nCOPY mods /go/pkg/mod\nRUN go mod download\nFROM debian\nCOPY --from=build /go/bin/x /x\n"},
		{name: "linked into the tree before", dockerfile: "FROM golang:1.26 AS build\nCOPY --link mods /go/pkg/mod\nRUN go mod download\nFROM debian\nCOPY --from=build /go/bin/x /x\n"},
		{name: "linked elsewhere before", dockerfile: "FROM golang:1.26 AS build\nCOPY --link go.mod /src/\nRUN go mod download\nFROM debian\nCOPY --from=build /go/bin/x /x\n",
			want: []string{}},
		{name: "linked into the tree after", dockerfile: build + "COPY --link fix.go /go/pkg/mod/x@v1/\nFROM debian\nCOPY --from=build /out/app /app\n"},
		{name: "linked elsewhere after", dockerfile: build + "COPY --link app.conf /etc/\nRUN go vet ./...\nFROM debian\nCOPY --from=build /out/app /app\n",
			want: []string{"go build -o /out/app .", "go vet ./..."}},
		{name: "earlier step refused", dockerfile: "FROM golang:1.26 AS base\nRUN go install x@v1\nFROM base AS build\nRUN go mod download\nFROM debian\nCOPY --from=build /go/bin/x /x\n",
			rejectBefore: "go install x@v1"},
		{name: "earlier step taken", dockerfile: "FROM golang:1.26 AS base\nRUN go install x@v1\nFROM base AS build\nRUN go mod download\nFROM debian\nCOPY --from=build /go/bin/x /x\n",
			want: []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			def := convert(t, tc.dockerfile, tc.target)
			if strings.Contains(tc.dockerfile, "--link") {
				merges := 0
				for _, op := range opsList(t, def) {
					if op.op.GetMerge() != nil {
						merges++
					}
				}
				require.NotZero(t, merges, "COPY --link makes a merge op")
			}
			byDigest := map[string]string{}
			for _, op := range opsList(t, def) {
				if ex := op.op.GetExec(); ex != nil {
					byDigest[op.dgst] = script(ex)
				}
			}
			var got []string
			private, ran := false, false
			_, err := rewrite.Definition(def, func(e *rewrite.Exec) error {
				if script(e.Op.GetExec()) != "go mod download" {
					return nil
				}
				ran = true
				var execs []string
				ds, ok := e.Private("/go/pkg/mod", func(_ digest.Digest, op *pb.Op, before bool) bool {
					if before {
						return script(op.GetExec()) != tc.rejectBefore
					}
					return script(op.GetExec()) != tc.reject
				})
				for _, d := range ds {
					execs = append(execs, byDigest[string(d)])
				}
				got, private = append([]string{}, execs...), ok
				return nil
			})
			require.NoError(t, err)
			require.True(t, ran)
			require.Equal(t, tc.want != nil, private, "%v", got)
			if private {
				require.Equal(t, tc.want, got)
			}
		})
	}
}

func script(ex *pb.ExecOp) string {
	args := ex.GetMeta().GetArgs()
	if len(args) == 0 {
		return ""
	}
	return args[len(args)-1]
}

type digestedOp struct {
	dgst string
	op   *pb.Op
}

func opsList(t *testing.T, def *pb.Definition) []digestedOp {
	ops, order := opsOf(t, def)
	var out []digestedOp
	for _, d := range order {
		out = append(out, digestedOp{string(d), ops[d]})
	}
	return out
}
