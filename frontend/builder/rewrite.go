package builder

import (
	"sort"

	"github.com/cachefront/cachefront/frontend/rules"
	"github.com/cachefront/cachefront/llb/rewrite"
	"github.com/moby/buildkit/solver/errdefs"
	"github.com/moby/buildkit/solver/pb"
	"github.com/pkg/errors"
)

// Rewrite adds package caches to every RUN step of def and returns the new
// definition with a report per step, ordered by Dockerfile line. def is not
// modified; with nothing to change, the result is byte-identical to it.
func Rewrite(def *pb.Definition, cfg Config) (*pb.Definition, []*StepReport, error) {
	var reports []*StepReport
	added := addedOps{}
	out, err := rewrite.Definition(def, func(e *rewrite.Exec) error {
		r := newReport(e)
		reports = append(reports, r)
		switch {
		case cfg.Off:
			r.Notes = append(r.Notes, "CACHEFRONT=off: left as written")
			return nil
		case optedOut(e):
			r.Notes = append(r.Notes, "# cachefront: off: left as written")
			return nil
		}
		s, note := newStep(e, cfg)
		if s == nil {
			if note != "" {
				r.Notes = append(r.Notes, note)
			}
			return nil
		}
		plan := rules.Run(s, rules.All(), cfg.Skip)
		settings := planSettings(s, e.Op.GetExec().GetMeta().GetArgs(), plan)
		r.fill(plan, settings, cfg.Settings)
		if err := apply(e, s, plan, added); err != nil {
			return errdefs.WithSource(errors.Wrap(err, "cachefront"), &errdefs.Source{Info: r.source, Ranges: r.ranges})
		}
		applySettings(e, settings, cfg.Settings)
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	sort.SliceStable(reports, func(i, j int) bool { return reports[i].Line < reports[j].Line })
	return out, reports, nil
}
