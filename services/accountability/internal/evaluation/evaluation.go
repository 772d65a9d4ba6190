// Package evaluation evaluates heads yearly (seed 002, QĐ 3373/QĐ-UBND Art. 17) and
// proposes sanctions and commendation (Art. 18, 19) by a policy that is data: thresholds,
// how many years, whether bonus items are excepted, and — where the regulation's text
// covers no case — what happens instead, so that no result is ever a silent guess. Every
// result names the rule that decided it, its legal basis and the inputs it used. It
// imports only the standard library.
package evaluation

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Tiers (Art. 17.1 a–d).
const (
	TierExcellent    = "excellent"
	TierGood         = "good"
	TierCompleted    = "completed"
	TierNotCompleted = "not_completed"
)

// Item conditions of the tiers.
const (
	ItemsAtMaxOrRoseTwoYears = "at_max_or_rose_two_years" // Art. 17.1.a
	ItemsRose                = "rose"                     // Art. 17.1.b
	ItemsNotFallen           = "not_fallen"               // Art. 17.1.c
)

//go:embed defaults/thai-binh.json
var defaultPolicy []byte

// DefaultPolicyJSON is the built-in Thái Bình policy.
func DefaultPolicyJSON() []byte { return append([]byte(nil), defaultPolicy...) }

// TierRule is one of Art. 17.1 a–c.
type TierRule struct {
	Tier       string  `json:"tier"`
	Rule       string  `json:"rule"`
	LegalBasis string  `json:"legal_basis"`
	MinIndex   float64 `json:"min_index"`
	BelowIndex float64 `json:"below_index"`
	Items      string  `json:"items"`
}

// NotCompletedRule is Art. 17.1.d.
type NotCompletedRule struct {
	Rule                string  `json:"rule"`
	LegalBasis          string  `json:"legal_basis"`
	BelowIndex          float64 `json:"below_index"`
	SubjectiveFallYears int     `json:"subjective_fall_years"`
	ExcludeBonus        bool    `json:"exclude_bonus"`
}

// Fallback says what happens where the text decides nothing.
type Fallback struct {
	Rule       string `json:"rule"`
	LegalBasis string `json:"legal_basis"`
	Mode       string `json:"mode"`
	FloorTier  string `json:"floor_tier"`
}

// CommuneRule is Art. 17.2.
type CommuneRule struct {
	Rule          string `json:"rule"`
	LegalBasis    string `json:"legal_basis"`
	UseIndexBands bool   `json:"use_index_bands"`
}

// SanctionRule is the basis of one kind of proposal.
type SanctionRule struct {
	LegalBasis string `json:"legal_basis"`
	Years      int    `json:"years,omitempty"`
}

// Policy is a province's evaluation policy.
type Policy struct {
	Name         string           `json:"name"`
	HeadOn       string           `json:"head_on"`
	Tiers        []TierRule       `json:"tiers"`
	NotCompleted NotCompletedRule `json:"not_completed"`
	NoOwnedItems string           `json:"no_owned_items"`
	// MissingItemFigures says what an owned item without published figures for the year
	// counts for; only "ignore" is supported, and it is shown among the inputs.
	MissingItemFigures string                  `json:"missing_item_figures"`
	Fallback           Fallback                `json:"fallback"`
	Commune            CommuneRule             `json:"commune"`
	Sanctions          map[string]SanctionRule `json:"sanctions"`
	// Version is set by the store, not read from the JSON.
	Version int `json:"-"`
}

// ErrInvalidPolicy wraps every problem of a policy document.
var ErrInvalidPolicy = errors.New("chính sách đánh giá không hợp lệ")

// ParsePolicy reads and checks a policy: every tier must name its rule and legal basis,
// and the fallback must be stated, since the platform never guesses.
func ParsePolicy(b []byte) (Policy, error) {
	var p Policy
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return Policy{}, fmt.Errorf("%w: %w", ErrInvalidPolicy, err)
	}
	var problems []string
	if len(p.Tiers) == 0 {
		problems = append(problems, "cần ít nhất một mức xếp loại")
	}
	known := map[string]bool{ItemsAtMaxOrRoseTwoYears: true, ItemsRose: true, ItemsNotFallen: true}
	for i, t := range p.Tiers {
		if t.Tier == "" || t.Rule == "" || t.LegalBasis == "" || !known[t.Items] {
			problems = append(problems, fmt.Sprintf("tiers[%d]: cần tier, rule, legal_basis và items hợp lệ", i))
		}
	}
	if p.NotCompleted.Rule == "" || p.NotCompleted.LegalBasis == "" {
		problems = append(problems, "not_completed: cần rule và legal_basis")
	}
	if p.Fallback.Rule == "" || p.Fallback.LegalBasis == "" || p.Fallback.FloorTier == "" {
		problems = append(problems, "fallback: phải nêu rõ cách xử lý trường hợp văn bản không quy định (rule, legal_basis, floor_tier)")
	}
	if p.MissingItemFigures != "ignore" {
		problems = append(problems, `missing_item_figures: chỉ hỗ trợ "ignore"`)
	}
	if p.NoOwnedItems != "index_only" {
		problems = append(problems, `no_owned_items: chỉ hỗ trợ "index_only"`)
	}
	if len(problems) > 0 {
		return Policy{}, fmt.Errorf("%w: %s", ErrInvalidPolicy, strings.Join(problems, "; "))
	}
	return p, nil
}

// Trend is how an owned item moved versus the previous year's published figure.
type Trend string

// Trends.
const (
	TrendRose    Trend = "rose"
	TrendHeld    Trend = "held"
	TrendFell    Trend = "fell"
	TrendUnknown Trend = "unknown" // a figure is missing
)

// ItemYear is one owned item in one year.
type ItemYear struct {
	Year  int
	Trend Trend
	AtMax bool
	// Cause is the determined cause of a fall ("objective", "subjective", "" when not
	// concluded), from the concluded explanation of that year.
	Cause string
	// ExplanationID is that explanation, for the evidence trail.
	ExplanationID string
}

// Item is an owned provincial item with its history, newest year first.
type Item struct {
	NodeCode string
	Bonus    bool
	History  []ItemYear
}

// Input is what one head's evaluation uses.
type Input struct {
	Year     int
	UnitKind string
	// Index is the unit's own published index (percent); HasIndex false when none.
	Index    float64
	HasIndex bool
	Items    []Item
}

// InputLine is one input as shown with the result.
type InputLine struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Result is an evaluation.
type Result struct {
	Tier        string
	Rule        string
	LegalBasis  string
	Explanation string
	Inputs      []InputLine
}

// ErrNoIndex means the unit has no published index for the year, so Art. 17 cannot apply.
var ErrNoIndex = errors.New("đơn vị chưa có Chỉ số cải cách hành chính được công bố cho năm đánh giá")

func (in Input) lines() []InputLine {
	out := []InputLine{{Name: "Chỉ số CCHC của đơn vị", Value: fmt.Sprintf("%.2f", in.Index)}}
	for _, it := range in.Items {
		if h, ok := it.year(in.Year); !ok || h.Trend == TrendUnknown {
			out = append(out, InputLine{Name: fmt.Sprintf("Mục %s năm %d", it.NodeCode, in.Year),
				Value: "không có số liệu công bố; không xét theo chính sách (missing_item_figures: ignore)"})
		}
		for _, h := range it.History {
			v := string(h.Trend)
			if h.AtMax {
				v += ", đạt tối đa"
			}
			if h.Cause != "" {
				v += ", nguyên nhân " + h.Cause
			}
			if it.Bonus {
				v += ", điểm khuyến khích"
			}
			out = append(out, InputLine{Name: fmt.Sprintf("Mục %s năm %d", it.NodeCode, h.Year), Value: v})
		}
	}
	return out
}

func (it Item) year(y int) (ItemYear, bool) {
	for _, h := range it.History {
		if h.Year == y {
			return h, true
		}
	}
	return ItemYear{}, false
}

// SubjectiveFallStreak returns how many consecutive years up to year the item fell with a
// subjective determined cause.
func (it Item) SubjectiveFallStreak(year int) int {
	n := 0
	for y := year; ; y-- {
		h, ok := it.year(y)
		if !ok || h.Trend != TrendFell || h.Cause != "subjective" {
			return n
		}
		n++
	}
}

func (p Policy) itemsHold(cond string, in Input) bool {
	for _, it := range in.Items {
		cur, ok := it.year(in.Year)
		if !ok || cur.Trend == TrendUnknown {
			continue // the policy's missing_item_figures: "ignore"
		}
		switch cond {
		case ItemsAtMaxOrRoseTwoYears:
			// "đạt điểm tối đa hoặc tăng liên tiếp trong 02 năm liền kề"
			prev, _ := it.year(in.Year - 1)
			if !cur.AtMax && !(cur.Trend == TrendRose && prev.Trend == TrendRose) {
				return false
			}
		case ItemsRose:
			if cur.Trend != TrendRose {
				return false
			}
		case ItemsNotFallen:
			if cur.Trend != TrendRose && cur.Trend != TrendHeld {
				return false
			}
		}
	}
	return true
}

// Evaluate decides a head's tier. Order: Art. 17.1.d first (either of its conditions
// suffices: "khi" lists them as alternatives), then a–c where both the index band and the
// items' condition hold; then the policy's fallback, named as such.
func (p Policy) Evaluate(in Input) (Result, error) {
	if !in.HasIndex {
		return Result{}, ErrNoIndex
	}
	lines := in.lines()
	if in.UnitKind == "commune" {
		// Art. 17.2: from the commune index only; the text gives no bands, the policy does.
		for _, t := range p.Tiers {
			if in.Index >= t.MinIndex && in.Index < t.BelowIndex {
				return Result{Tier: t.Tier, Rule: p.Commune.Rule, LegalBasis: p.Commune.LegalBasis, Inputs: lines,
					Explanation: fmt.Sprintf("Chỉ số CCHC của xã %.2f thuộc khoảng [%.0f; %.0f)", in.Index, t.MinIndex, t.BelowIndex)}, nil
			}
		}
		return Result{Tier: TierNotCompleted, Rule: p.Commune.Rule, LegalBasis: p.Commune.LegalBasis, Inputs: lines,
			Explanation: fmt.Sprintf("Chỉ số CCHC của xã %.2f dưới %.0f điểm", in.Index, p.NotCompleted.BelowIndex)}, nil
	}

	nc := p.NotCompleted
	if in.Index < nc.BelowIndex {
		return Result{Tier: TierNotCompleted, Rule: nc.Rule, LegalBasis: nc.LegalBasis, Inputs: lines,
			Explanation: fmt.Sprintf("Chỉ số CCHC của đơn vị %.2f dưới %.0f điểm", in.Index, nc.BelowIndex)}, nil
	}
	for _, it := range in.Items {
		if nc.ExcludeBonus && it.Bonus {
			continue // "trừ tiêu chí liên quan đến điểm khuyến khích"
		}
		if n := it.SubjectiveFallStreak(in.Year); n >= nc.SubjectiveFallYears {
			return Result{Tier: TierNotCompleted, Rule: nc.Rule, LegalBasis: nc.LegalBasis, Inputs: lines,
				Explanation: fmt.Sprintf("Mục %s giảm điểm %d năm liên tiếp do nguyên nhân chủ quan", it.NodeCode, n)}, nil
		}
	}
	for _, t := range p.Tiers {
		if in.Index >= t.MinIndex && in.Index < t.BelowIndex && p.itemsHold(t.Items, in) {
			why := fmt.Sprintf("Chỉ số %.2f thuộc khoảng [%.0f; %.0f) và các mục được giao phụ trách đáp ứng điều kiện %q", in.Index, t.MinIndex, t.BelowIndex, t.Items)
			if len(in.Items) == 0 {
				why = fmt.Sprintf("Chỉ số %.2f thuộc khoảng [%.0f; %.0f); đơn vị không được giao phụ trách mục nào của Chỉ số CCHC tỉnh", in.Index, t.MinIndex, t.BelowIndex)
			}
			return Result{Tier: t.Tier, Rule: t.Rule, LegalBasis: t.LegalBasis, Inputs: lines, Explanation: why}, nil
		}
	}
	// The text covers no such case (e.g. an index of 95 with an item that merely held, or
	// an item that fell once for an objective cause): the policy's fallback decides.
	fb := p.Fallback
	for _, t := range p.Tiers {
		if in.Index >= t.MinIndex && p.itemsHold(t.Items, in) {
			return Result{Tier: t.Tier, Rule: fb.Rule, LegalBasis: fb.LegalBasis + "; áp dụng điều kiện của " + t.LegalBasis, Inputs: lines,
				Explanation: fmt.Sprintf("Văn bản không quy định trường hợp này; theo chính sách: xếp mức thấp hơn gần nhất có điều kiện về các mục phụ trách được đáp ứng (%s), coi ngưỡng điểm là mức tối thiểu", t.Tier)}, nil
		}
	}
	return Result{Tier: fb.FloorTier, Rule: fb.Rule, LegalBasis: fb.LegalBasis, Inputs: lines,
		Explanation: fmt.Sprintf("Văn bản không quy định trường hợp này và không mức nào có điều kiện được đáp ứng; theo chính sách: xếp mức %q", fb.FloorTier)}, nil
}

// Proposal is a proposed sanction or commendation.
type Proposal struct {
	Kind       string
	LegalBasis string
	Evidence   []string
}

// Sanction kinds.
const (
	KindWrittenCriticism = "written_criticism"
	KindWrittenNotice    = "written_notice"
	KindReportToParty    = "report_to_party_committee"
	KindCommuneCriticism = "commune_criticism"
	KindCommuneDiscipl   = "commune_discipline"
	KindCommendation     = "commendation"
)

// Propose computes the proposals for one evaluated head (Art. 18, 19). previousTier is the
// head's unit's published tier of the year before ("" when none), for Art. 19.2.
func (p Policy) Propose(in Input, r Result, previousTier string) []Proposal {
	basis := func(kind string) string { return p.Sanctions[kind].LegalBasis }
	var out []Proposal
	if in.UnitKind == "commune" {
		if r.Tier == TierNotCompleted {
			if previousTier == TierNotCompleted {
				out = append(out, Proposal{Kind: KindCommuneDiscipl, LegalBasis: basis(KindCommuneDiscipl),
					Evidence: []string{fmt.Sprintf("Không hoàn thành nhiệm vụ năm %d và năm %d", in.Year-1, in.Year)}})
			} else {
				out = append(out, Proposal{Kind: KindCommuneCriticism, LegalBasis: basis(KindCommuneCriticism),
					Evidence: []string{fmt.Sprintf("Không hoàn thành nhiệm vụ năm %d (năm đầu tiên)", in.Year)}})
			}
		}
		if r.Tier == TierExcellent {
			out = append(out, Proposal{Kind: KindCommendation, LegalBasis: basis(KindCommendation), Evidence: []string{r.Explanation}})
		}
		return out
	}
	var crit, party []string
	years := p.Sanctions[KindReportToParty].Years
	if years == 0 {
		years = 3
	}
	for _, it := range in.Items {
		cur, _ := it.year(in.Year)
		if cur.Trend == TrendFell && cur.Cause == "subjective" {
			crit = append(crit, fmt.Sprintf("Mục %s giảm điểm năm %d, nguyên nhân chủ quan (giải trình %s)", it.NodeCode, in.Year, cur.ExplanationID))
		}
		if n := it.SubjectiveFallStreak(in.Year); n >= years {
			party = append(party, fmt.Sprintf("Mục %s giảm điểm %d năm liên tiếp (%d–%d) do nguyên nhân chủ quan", it.NodeCode, n, in.Year-n+1, in.Year))
		}
	}
	if len(crit) > 0 {
		out = append(out, Proposal{Kind: KindWrittenCriticism, LegalBasis: basis(KindWrittenCriticism), Evidence: crit})
	}
	if r.Tier == TierNotCompleted {
		out = append(out, Proposal{Kind: KindWrittenNotice, LegalBasis: basis(KindWrittenNotice),
			Evidence: []string{r.Explanation + " (" + r.LegalBasis + ")"}})
	}
	if len(party) > 0 {
		out = append(out, Proposal{Kind: KindReportToParty, LegalBasis: basis(KindReportToParty), Evidence: party})
	}
	if r.Tier == TierExcellent {
		out = append(out, Proposal{Kind: KindCommendation, LegalBasis: basis(KindCommendation), Evidence: []string{r.Explanation + " (" + r.LegalBasis + ")"}})
	}
	return out
}

// HeadEvaluation is a stored evaluation of one head for one year.
type HeadEvaluation struct {
	ID             string
	ProvinceUnitID string
	Year           int
	UnitID         string
	UnitKind       string
	HeadUserID     string
	HeadName       string
	Result         Result
	Input          Input
	PolicyVersion  int
	PublishTime    time.Time
	CreateTime     time.Time
}

// SanctionProposal is a stored proposal, decided by a person.
type SanctionProposal struct {
	ID             string
	ProvinceUnitID string
	Year           int
	UnitID         string
	EvaluationID   string
	HeadUserID     string
	HeadName       string
	Proposal
	Status       string // proposed, approved, rejected
	DecidedBy    string
	DecisionNote string
	DecideTime   time.Time
	CreateTime   time.Time
}

// Proposal statuses.
const (
	StatusProposed = "proposed"
	StatusApproved = "approved"
	StatusRejected = "rejected"
)

// ErrNotFound means no such proposal or evaluation.
var ErrNotFound = errors.New("không tìm thấy kết quả đánh giá hoặc đề xuất")

// ErrAlreadyPublished means the year's evaluations are published and final.
var ErrAlreadyPublished = errors.New("kết quả đánh giá năm này đã công bố, không thể đánh giá lại")

// ErrAlreadyDecided means a person decided the proposal already.
var ErrAlreadyDecided = errors.New("đề xuất đã được quyết định")
