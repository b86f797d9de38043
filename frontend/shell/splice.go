package shell

import (
	"sort"
	"strings"

	"github.com/pkg/errors"
	"mvdan.cc/sh/v3/syntax"
)

// Edit replaces script[Start:End] with Text. Start == End inserts.
type Edit struct {
	Start, End int
	Text       string
}

// Splice applies edits to script and returns the new script. Edits may be
// given in any order but must not overlap, since offsets refer to the
// original script; insertions at the same offset keep their given order.
func Splice(script string, edits []Edit) (string, error) {
	sorted := append([]Edit(nil), edits...)
	sort.SliceStable(sorted, func(i, j int) bool {
		if sorted[i].Start != sorted[j].Start {
			return sorted[i].Start < sorted[j].Start
		}
		return sorted[i].End < sorted[j].End
	})
	var b strings.Builder
	last := 0
	for _, e := range sorted {
		if e.Start < 0 || e.Start > e.End || e.End > len(script) {
			return "", errors.Errorf("edit [%d:%d] is out of range for a script of %d bytes", e.Start, e.End, len(script))
		}
		if e.Start < last {
			return "", errors.Errorf("edit [%d:%d] overlaps an edit ending at %d", e.Start, e.End, last)
		}
		b.WriteString(script[last:e.Start])
		b.WriteString(e.Text)
		last = e.End
	}
	b.WriteString(script[last:])
	return b.String(), nil
}

// Quote quotes s for a POSIX shell when it needs it: "curl" stays as is,
// "a b" becomes 'a b'. POSIX has no escapes for bytes that are not
// printable, but single quotes keep them all; a NUL byte can't be in a
// shell word at all and is dropped.
func Quote(s string) string {
	s = strings.ReplaceAll(s, "\x00", "")
	if q, err := syntax.Quote(s, syntax.LangPOSIX); err == nil {
		return q
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
