package app

import (
	"context"
	"strings"

	"github.com/google/uuid"

	"github.com/parindex/platform/services/accountability/internal/evaluation"
)

// DistrictReportRequest is what a district chairman sends with the yearly report.
type DistrictReportRequest struct {
	ProvinceUnitID string
	Year           int
	DocumentNumber string
	Summary        string
}

// SubmitDistrictReport sends the report of the head of the actor's district on the
// evaluation and classification of the chairmen of the communes under the district, and
// how each was handled, to the Department of Home Affairs (Art. 21.4: "Chủ tịch Ủy ban nhân
// dân cấp huyện … tổng hợp báo cáo kết quả đánh giá, phân loại hàng năm, gửi Sở Nội vụ").
// The district is the one whose head evaluates those chairmen (Art. 17.2): the communes'
// parent in the directory. Every evaluation of them must be published
// (evaluation.ErrReportIncomplete); communes with a published index and no evaluation are
// listed as such. Anyone who evaluates no commune
// chairman — the secretariat included: in two-tier government the province evaluates them
// and reports under Art. 20 — gets ErrForbidden. Submitting again replaces the report.
func (s *Explanations) SubmitDistrictReport(ctx context.Context, actor Actor, in DistrictReportRequest) (evaluation.DistrictReport, error) {
	if actor.UnitID == "" || !actor.Has(roleUnitHead, roleLeadership) {
		return evaluation.DistrictReport{}, ErrForbidden
	}
	province := strings.ToLower(in.ProvinceUnitID)
	var out evaluation.DistrictReport
	err := s.withFacts(ctx, "", func(f *unitFacts) error {
		return s.evalTx(ctx, func(tx EvaluationTx) error {
			units, err := tx.UnitResults(ctx, in.Year)
			if err != nil {
				return err
			}
			all, err := tx.Evaluations(ctx, province, in.Year)
			if err != nil {
				return err
			}
			var indexedCommunes []UnitIndex
			for _, u := range units {
				if u.Kind == unitKindCommune && u.Index != "" {
					indexedCommunes = append(indexedCommunes, u)
				}
			}
			if units, err = f.settle(evaluationUnits(all), indexedCommunes); err != nil {
				return err
			}
			// The district's communes: those under the actor's unit, whose chairmen its head
			// evaluates (Art. 17.2). Under the province there is no district (two-tier).
			under := func(commune string) bool {
				p, err := f.parentOf(commune)
				return err == nil && p == actor.UnitID && p != province
			}
			var indexed []string
			for _, u := range units {
				if under(u.UnitID) {
					indexed = append(indexed, u.UnitID)
				}
			}
			var evs []evaluation.HeadEvaluation
			for _, e := range all {
				if e.UnitKind == unitKindCommune && under(e.UnitID) {
					evs = append(evs, e)
				}
			}
			if len(evs) == 0 && len(indexed) == 0 {
				return ErrForbidden
			}
			props, err := tx.Proposals(ctx, province, in.Year)
			if err != nil {
				return err
			}
			lines, unevaluated, err := evaluation.ReportLines(indexed, evs, props)
			if err != nil {
				return err
			}
			out, err = tx.PutDistrictReport(ctx, evaluation.DistrictReport{
				ID: uuid.NewString(), ProvinceUnitID: province, Year: in.Year, DistrictUnitID: actor.UnitID,
				DocumentNumber: strings.TrimSpace(in.DocumentNumber), Summary: strings.TrimSpace(in.Summary), Lines: lines, Unevaluated: unevaluated,
				SubmittedBy: actor.UserID, SubmitterName: actor.Name, SubmitTime: s.clock(),
			}, actor)
			return err
		})
	})
	return out, err
}

// ListDistrictReports returns the year's district reports (Art. 21.4): all of them to the
// secretariat, which compiles them for the provincial chairman, and to the provincial
// leadership; to the head of a unit the report of that unit, if any. Anyone else gets
// ErrForbidden.
func (s *Explanations) ListDistrictReports(ctx context.Context, actor Actor, province string, year int) ([]evaluation.DistrictReport, error) {
	if !actor.Has(roleSecretariat, roleLeadership, roleUnitHead) {
		return nil, ErrForbidden
	}
	var all []evaluation.DistrictReport
	err := s.evalTx(ctx, func(tx EvaluationTx) error {
		var err error
		all, err = tx.DistrictReports(ctx, strings.ToLower(province), year)
		return err
	})
	if err != nil || actor.Has(roleSecretariat, roleLeadership) {
		return all, err
	}
	var out []evaluation.DistrictReport
	for _, r := range all {
		if r.DistrictUnitID == actor.UnitID {
			out = append(out, r)
		}
	}
	return out, nil
}
