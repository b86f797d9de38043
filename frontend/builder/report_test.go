package builder

import (
	"context"
	"slices"
	"testing"
)

// The build warning names every changed step by its line: a step that only
// builds on another's private module store says which caches it mounts,
// without a package manager.
func TestSummary(t *testing.T) {
	df := `FROM golang:1.26 AS build
WORKDIR /src
RUN go mod download
RUN ./generate.sh
FROM debian
RUN apt-get update && apt-get install -y curl
RUN echo done
COPY --from=build /out/app /app
`
	plan, err := MakePlan(context.Background(), []byte(df), PlanOpt{})
	if err != nil {
		t.Fatal(err)
	}
	msg, lines := Summary(plan.Steps)
	if want := "cachefront cached package downloads in 3 RUN step(s) (apt, go)"; msg != want {
		t.Errorf("message %q, want %q", msg, want)
	}
	want := []string{
		"line 3: go: cache /run/cachefront/go-build /root/go/pkg/mod /root/go/pkg/mod/cache/download",
		"line 4: cache /root/go/pkg/mod /root/go/pkg/mod/cache/download",
		"line 6: apt: cache /run/cachefront/apt",
	}
	if !slices.Equal(lines, want) {
		t.Errorf("lines\n%q\nwant\n%q", lines, want)
	}
	if msg, lines := Summary(nil); msg != "" || lines != nil {
		t.Errorf("nothing changed: %q %q, want none", msg, lines)
	}
}
