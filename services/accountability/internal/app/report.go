package app

import (
	"context"
	"errors"
	"strings"

	"github.com/parindex/platform/services/accountability/internal/report"
	"github.com/parindex/platform/services/accountability/internal/responsibility"
)

// Report compiles the Art. 20.2 report of a province and year for the secretariat and
// the provincial leadership: it needs the Ministry's published provincial index.
func (s *Explanations) Report(ctx context.Context, actor Actor, province string, year int) (report.Report, error) {
	if !actor.Has(roleSecretariat, roleLeadership) {
		return report.Report{}, ErrForbidden
	}
	province = strings.ToLower(province)
	var rep report.Report
	err := s.evalTx(ctx, func(tx EvaluationTx) error {
		r, err := tx.Result(ctx, year, "province", province)
		if err != nil {
			return err
		}
		m, err := tx.MatrixInForce(ctx, province, year)
		if err != nil && !errors.Is(err, responsibility.ErrNotFound) {
			return err
		}
		rep = report.Build(r, func(code string) string {
			a, err := m.Resolve(code)
			if err != nil {
				return ""
			}
			return a.OwnerUnitID
		})
		if rep.Evaluations, err = tx.Evaluations(ctx, province, year); err != nil {
			return err
		}
		if rep.Proposals, err = tx.Proposals(ctx, province, year); err != nil {
			return err
		}
		if rep.DistrictReports, err = tx.DistrictReports(ctx, province, year); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return report.Report{}, err
	}
	// Every request of the year, page by page.
	f := ExplanationFilter{ProvinceUnitID: province, Year: year, Limit: 500}
	for {
		page, err := s.store.ListExplanations(ctx, f)
		if err != nil {
			return report.Report{}, err
		}
		rep.Explanations = append(rep.Explanations, page...)
		if len(page) < f.Limit {
			break
		}
		f.After = page[len(page)-1].ID
	}
	// Names for people to read; ids stay when the directory cannot say.
	if n, ok := s.heads.(UnitNamer); ok {
		ids := map[string]bool{}
		for _, c := range rep.Changes {
			ids[c.OwnerUnitID] = true
		}
		for _, e := range rep.Explanations {
			ids[e.UnitID] = true
		}
		for _, e := range rep.Evaluations {
			ids[e.UnitID] = true
		}
		for _, d := range rep.DistrictReports {
			ids[d.DistrictUnitID] = true
		}
		var list []string
		for id := range ids {
			if id != "" {
				list = append(list, id)
			}
		}
		if names, err := n.UnitNames(ctx, list); err == nil {
			rep.UnitNames = names
		}
	}
	return rep, nil
}

// UnitNamer gives units' Vietnamese names.
type UnitNamer interface {
	UnitNames(ctx context.Context, ids []string) (map[string]string, error)
}
