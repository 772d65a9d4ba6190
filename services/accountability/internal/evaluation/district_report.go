package evaluation

import (
	"errors"
	"time"
)

// DistrictReportBasis is the legal basis of a district's yearly report: "Chủ tịch Ủy ban
// nhân dân cấp huyện … tổng hợp báo cáo kết quả đánh giá, phân loại hàng năm, gửi Sở Nội
// vụ tổng hợp, báo cáo Chủ tịch Ủy ban nhân dân tỉnh" (Art. 21.4).
const DistrictReportBasis = "Điều 21 khoản 4 Quyết định 3373/QĐ-UBND"

// ErrReportIncomplete means an evaluation of a commune chairman under the district is still
// a draft: the district has not finished evaluating and classifying (Art. 17.2), so there
// is nothing final to report (Art. 21.4).
var ErrReportIncomplete = errors.New("còn kết quả đánh giá Chủ tịch UBND cấp xã dự thảo, chưa công bố: hãy công bố trước khi báo cáo")

// ErrNothingToReport means the district has evaluated no commune chairman for the year.
var ErrNothingToReport = errors.New("huyện chưa có kết quả đánh giá Chủ tịch UBND cấp xã nào của năm này để báo cáo")

// DistrictReport is a district chairman's yearly report of the evaluation and
// classification of the chairmen of the communes under the district, with how each was
// handled (Art. 19.2), as sent to the Department of Home Affairs (Art. 21.4). It is a
// snapshot: later decisions on proposals change it only when the district submits again.
type DistrictReport struct {
	ID             string
	ProvinceUnitID string
	Year           int
	DistrictUnitID string
	// Revision counts submissions: a district may correct its report by submitting again.
	Revision       int
	DocumentNumber string // the district's report number, e.g. "15/BC-UBND"
	Summary        string
	Lines          []DistrictReportLine
	// Unevaluated are the communes under the district with a published index but no
	// evaluation of their chairman (e.g. an index published after the district published
	// its evaluations): reported, so the Department of Home Affairs sees the gap.
	Unevaluated   []string
	SubmittedBy   string // user id
	SubmitterName string
	SubmitTime    time.Time
}

// DistrictReportLine is one commune chairman in the report.
type DistrictReportLine struct {
	EvaluationID string     `json:"evaluation_id"`
	UnitID       string     `json:"unit_id"`
	HeadUserID   string     `json:"head_user_id"`
	HeadName     string     `json:"head_name"`
	Tier         string     `json:"tier"`
	Rule         string     `json:"rule"`
	LegalBasis   string     `json:"legal_basis"`
	Handling     []Handling `json:"handling,omitempty"`
}

// Handling is a proposal on a commune chairman and the district chairman's decision on it
// (Art. 19.2: criticism in the first year, consideration of a sanction in the second).
type Handling struct {
	ProposalID   string `json:"proposal_id"`
	Kind         string `json:"kind"`
	LegalBasis   string `json:"legal_basis"`
	Status       string `json:"status"`
	DecidedBy    string `json:"decided_by,omitempty"`
	DecisionNote string `json:"decision_note,omitempty"`
}

// TierCount is how many heads a report puts in one tier.
type TierCount struct {
	Tier  string
	Count int
}

// Tiers lists the tiers best first (Art. 17.1 a–d).
var Tiers = []string{TierExcellent, TierGood, TierCompleted, TierNotCompleted}

// Counts returns how many chairmen the report puts in each tier, best first, every tier
// listed.
func (r DistrictReport) Counts() []TierCount {
	out := make([]TierCount, len(Tiers))
	for i, t := range Tiers {
		out[i].Tier = t
		for _, l := range r.Lines {
			if l.Tier == t {
				out[i].Count++
			}
		}
	}
	return out
}

// ReportLines builds the lines of a district's report from the evaluations of the chairmen
// of the communes under it and the proposals of the year, and returns those of indexed (the
// communes under the district with a published index) that have no evaluation. Every
// evaluation must be published (ErrReportIncomplete), and there must be at least one
// (ErrNothingToReport).
func ReportLines(indexed []string, evs []HeadEvaluation, props []SanctionProposal) ([]DistrictReportLine, []string, error) {
	evaluated := make(map[string]bool, len(evs))
	var lines []DistrictReportLine
	for _, e := range evs {
		if e.PublishTime.IsZero() {
			return nil, nil, ErrReportIncomplete
		}
		evaluated[e.UnitID] = true
		l := DistrictReportLine{EvaluationID: e.ID, UnitID: e.UnitID, HeadUserID: e.HeadUserID, HeadName: e.HeadName,
			Tier: e.Result.Tier, Rule: e.Result.Rule, LegalBasis: e.Result.LegalBasis}
		for _, p := range props {
			if p.EvaluationID == e.ID {
				l.Handling = append(l.Handling, Handling{ProposalID: p.ID, Kind: p.Kind, LegalBasis: p.LegalBasis,
					Status: p.Status, DecidedBy: p.DecidedBy, DecisionNote: p.DecisionNote})
			}
		}
		lines = append(lines, l)
	}
	if len(lines) == 0 {
		return nil, nil, ErrNothingToReport
	}
	var unevaluated []string
	for _, u := range indexed {
		if !evaluated[u] {
			unevaluated = append(unevaluated, u)
		}
	}
	return lines, unevaluated, nil
}
