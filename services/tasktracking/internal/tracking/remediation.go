package tracking

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/parindex/platform/services/kit/vntime"
)

// Remediation links a remediation task (nhiệm vụ khắc phục) to the explanation (giải trình)
// whose roadmap (lộ trình khắc phục, Quyết định 3373/QĐ-UBND Art. 16.4) committed it.
type Remediation struct {
	// ExplanationID is accountability's explanation id; ActionID the roadmap action carried out.
	ExplanationID string `json:"explanation_id"`
	ActionID      string `json:"action_id"`
	// ExplanationYear is the year of the results that triggered the explanation.
	ExplanationYear int `json:"explanation_year"`
	// NodeCode is the index node explained (e.g. "3.1.2"); empty for a manual request.
	NodeCode string `json:"node_code"`
	// ExplanationTitle is the node's name or the request's subject.
	ExplanationTitle string `json:"explanation_title"`
	// ExplainedUnitID is the unit whose head explained.
	ExplainedUnitID string `json:"explained_unit_id"`
}

// Roadmap is a concluded explanation's committed roadmap, as accountability announces it.
type Roadmap struct {
	// ExplanationID, Year, NodeCode, Title and UnitID describe the explanation.
	ExplanationID string
	Year          int
	NodeCode      string
	Title         string
	UnitID        string
	// AssigningUnitID is the unit that assigns the remediation tasks (the secretariat's).
	AssigningUnitID string
	// Actions are the dated actions, in the roadmap's order.
	Actions []RoadmapAction
}

// RoadmapAction is one dated action of a roadmap.
type RoadmapAction struct {
	ID                 string
	Content            string
	OwnerUnitID        string
	CooperatingUnitIDs []string
	// Due is the day by which the action must be done.
	Due             vntime.Date
	CriteriaCodes   []string
	ExpectedProduct string
}

// RemediationNumber is the number of the remediation document of an explanation:
// `KP-GT-` (khắc phục sau giải trình) and the first 8 hex digits of the explanation id, short
// enough to read out and, with the issuer, unique in practice.
func RemediationNumber(explanationID string) string {
	hex := strings.ReplaceAll(strings.ToLower(explanationID), "-", "")
	if len(hex) > 8 {
		hex = hex[:8]
	}
	return "KP-GT-" + hex
}

// RemediationDraft returns the document that carries a roadmap's actions as tasks: a plan
// issued by the assigning unit on the day it was committed, whose period spans that year
// to the last action's due year. Task codes are the actions' positions ("1", "2", …); each
// task's deadline is its action's due day and it is linked to the explanation. The draft
// still goes through NewDocument, which checks it like any other document.
func RemediationDraft(r Roadmap, now time.Time) (Document, error) {
	var v ValidationErrors
	if r.ExplanationID == "" {
		v.Add("explanation.id", "Thiếu mã yêu cầu giải trình")
	}
	if r.AssigningUnitID == "" {
		v.Add("assigning_unit_id", "Thiếu đơn vị giao nhiệm vụ khắc phục")
	}
	if len(r.Actions) == 0 {
		v.Add("actions", "Lộ trình khắc phục không có hành động nào")
	}
	today := vntime.Today(now)
	d := Document{
		Number:          RemediationNumber(r.ExplanationID),
		Kind:            KindPlan,
		IssuerUnitID:    r.AssigningUnitID,
		SignedOn:        today,
		Title:           remediationTitle(r),
		PeriodStartYear: today.Year,
		PeriodEndYear:   today.Year,
	}
	seen := make(map[string]bool, len(r.Actions))
	for i, a := range r.Actions {
		if seen[a.ID] {
			v.Add(fmt.Sprintf("actions[%d].id", i), "Hành động khắc phục bị lặp lại trong lộ trình")
		}
		seen[a.ID] = true
		if a.Due.IsZero() {
			v.Add(fmt.Sprintf("actions[%d].due_date", i), "Cần ghi thời hạn của hành động khắc phục")
			continue
		}
		d.PeriodStartYear = min(d.PeriodStartYear, a.Due.Year)
		d.PeriodEndYear = max(d.PeriodEndYear, a.Due.Year)
		d.Tasks = append(d.Tasks, Task{
			Code:               strconv.Itoa(i + 1),
			Content:            a.Content,
			LeadUnitIDs:        []string{a.OwnerUnitID},
			CooperatingUnitIDs: a.CooperatingUnitIDs,
			Deadline:           Timing{Kind: TimingDate, Date: a.Due, Text: "Trước ngày " + a.Due.VN()},
			ExpectedProduct:    a.ExpectedProduct,
			CriteriaCodes:      a.CriteriaCodes,
			Remediation: &Remediation{
				ExplanationID: r.ExplanationID, ActionID: a.ID, ExplanationYear: r.Year,
				NodeCode: r.NodeCode, ExplanationTitle: r.Title, ExplainedUnitID: r.UnitID,
			},
		})
	}
	if err := v.Err(); err != nil {
		return Document{}, err
	}
	return d, nil
}

// remediationTitle words the document's title (trích yếu) in Vietnamese.
func remediationTitle(r Roadmap) string {
	var b strings.Builder
	b.WriteString("Lộ trình khắc phục sau giải trình")
	if r.NodeCode != "" {
		b.WriteString(" về chỉ số " + r.NodeCode)
	}
	if r.Title != "" {
		b.WriteString(" – " + r.Title)
	}
	if r.Year != 0 {
		fmt.Fprintf(&b, " (kết quả năm %d)", r.Year)
	}
	return b.String()
}

// ErrRemediationExists is returned when the explanation already has its remediation document
// (or an action its task): the store raises it from its keys, so concurrent consumers of the
// same roadmap create it once.
var ErrRemediationExists = &Error{Kind: ErrConflict, Message: "Lộ trình khắc phục của yêu cầu giải trình này đã được giao"}
