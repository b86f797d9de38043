package builder

import (
	"sort"
	"strings"

	"github.com/cachefront/cachefront/frontend/rules"
	"github.com/cachefront/cachefront/llb/rewrite"
	"github.com/moby/buildkit/solver/pb"
)

// Rewrite adds package caches to every RUN step of def and returns the new
// definition with a report per step, ordered by Dockerfile line. def is not
// modified; with nothing to change, the result is byte-identical to it.
func Rewrite(def *pb.Definition, cfg Config) (*pb.Definition, []*StepReport, error) {
	var reports []*StepReport
	added := &addedOps{}
	optOuts := optOuts{}
	trees := &privateTrees{def: def, optOuts: optOuts, imageConfig: cfg.ImageConfig}
	out, err := rewrite.Definition(def, func(e *rewrite.Exec) error {
		r := newReport(e)
		reports = append(reports, r)
		switch {
		case cfg.Off:
			r.Notes = append(r.Notes, "CACHEFRONT=off: left as written")
			return nil
		case optOuts.optedOut(e):
			r.Notes = append(r.Notes, "# cachefront: off: left as written")
			return nil
		}
		s, note := newStep(e, cfg)
		if s == nil {
			// A step no rule reads may still build on a private tree.
			inherits := trees.inherits(e)
			if note != "" && inherits {
				note = strings.TrimSuffix(note, "; step left as written") + "; it gets only the caches of the step it builds on"
			}
			if note != "" {
				r.Notes = append(r.Notes, note)
			}
			if !inherits {
				return nil
			}
			plan := &rules.Plan{}
			trees.inherit(e, plan)
			r.fill(plan, nil, nil)
			return r.wrap(apply(e, nil, plan, added))
		}
		ask, record := trees.asker(e)
		s.Private = ask
		plan := rules.Run(s, rules.All(), cfg.Skip)
		trees.inherit(e, plan)
		record(plan, r.Line)
		settings := planSettings(s, e.Op.GetExec().GetMeta().GetArgs(), plan)
		r.fill(plan, settings, cfg.Settings)
		if err := apply(e, s, plan, added); err != nil {
			return r.wrap(err)
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
