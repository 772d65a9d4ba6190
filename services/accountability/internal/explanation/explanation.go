// Package explanation holds accountability explanations (giải trình) of seed 002 (QĐ
// 3373/QĐ-UBND Thái Bình) Chapter III: who must explain what (Art. 14), the structured
// content (Art. 16), and the review lifecycle up to the secretariat's conclusion with the
// determined cause (Art. 12.3). It imports only the standard library and kit/domainerr.
package explanation

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/parindex/platform/services/kit/domainerr"
)

// Legal bases cited by the rules of this package; every decision about a person carries one.
const (
	BasisScoreFell  = "Điều 14 khoản 1 Quyết định 3373/QĐ-UBND"
	BasisOwnIndex   = "Điều 15 khoản 7 Quyết định 3373/QĐ-UBND"
	BasisCommittee  = "Điều 12 khoản 2 Quyết định 3373/QĐ-UBND"
	BasisConduct    = "Điều 14 khoản 2 Quyết định 3373/QĐ-UBND"
	BasisContent    = "Điều 16 Quyết định 3373/QĐ-UBND"
	BasisCause      = "Điều 12 khoản 3, Điều 16 khoản 3 Quyết định 3373/QĐ-UBND"
	BasisPublic     = "Điều 12 khoản 2 Quyết định 3373/QĐ-UBND"
	BasisReportTime = "Điều 20 khoản 2 Quyết định 3373/QĐ-UBND"
)

// Errors of the lifecycle.
var (
	// ErrNotFound means no explanation has the id (or the caller may not see it).
	ErrNotFound = errors.New("không tìm thấy yêu cầu giải trình")
	// ErrWrongState means the step is not allowed in the explanation's current status.
	ErrWrongState = errors.New("thao tác không phù hợp với trạng thái hiện tại của giải trình")
	// ErrAlreadyRequested means the Art. 14.1 request for the year, node and unit exists.
	ErrAlreadyRequested = errors.New("đã có yêu cầu giải trình cho mục này trong năm")
	// ErrStale means the writer read an earlier revision (etag) than the one stored: someone
	// else changed it in between, and overwriting that change unseen is refused.
	ErrStale = errors.New("nội dung giải trình đã được người khác cập nhật sau khi bạn mở; vui lòng tải lại rồi lưu lại")
)

// Kind says what opened a request.
type Kind string

// Kinds.
const (
	KindScoreFell Kind = "score_fell" // Art. 14.1 (provincial index), 15.7 (the unit's own index)
	KindManual    Kind = "manual"     // Art. 12.2, 14.2
)

// Status is the review status.
type Status string

// Statuses.
const (
	StatusRequested Status = "requested"
	StatusSubmitted Status = "submitted"
	StatusReturned  Status = "returned"
	StatusConcluded Status = "concluded"
)

// CauseKind is objective or subjective (Art. 12.3, 16.3).
type CauseKind string

// Cause kinds.
const (
	CauseObjective  CauseKind = "objective"
	CauseSubjective CauseKind = "subjective"
)

// Document is a document issued (Art. 16.1).
type Document struct {
	Number string `json:"number,omitempty"`
	Date   string `json:"date,omitempty"` // ISO
	Title  string `json:"title"`
}

// WorkAssignment is work assigned and direction given (Art. 16.2).
type WorkAssignment struct {
	UnitID   string `json:"unit_id,omitempty"`
	Assignee string `json:"assignee,omitempty"`
	Content  string `json:"content"`
}

// Cause is one cause of a shortcoming.
type Cause struct {
	Kind        CauseKind `json:"kind"`
	Description string    `json:"description"`
}

// Shortcoming is a shortcoming with its causes (Art. 16.3).
type Shortcoming struct {
	NodeCode    string  `json:"node_code,omitempty"`
	Description string  `json:"description"`
	Causes      []Cause `json:"causes,omitempty"`
}

// Action is one dated roadmap action with its owning unit (Art. 16.4).
type Action struct {
	ID                 string   `json:"id"`
	Content            string   `json:"content"`
	OwnerUnitID        string   `json:"owner_unit_id"`
	CooperatingUnitIDs []string `json:"cooperating_unit_ids,omitempty"`
	DueDate            string   `json:"due_date"` // ISO
	CriteriaCodes      []string `json:"criteria_codes,omitempty"`
	ExpectedProduct    string   `json:"expected_product,omitempty"`
}

// Content is Art. 16 (1)–(4).
type Content struct {
	Documents    []Document       `json:"documents,omitempty"`
	WorkAssigned []WorkAssignment `json:"work_assigned,omitempty"`
	Direction    string           `json:"direction,omitempty"`
	Shortcomings []Shortcoming    `json:"shortcomings,omitempty"`
	Solutions    []string         `json:"solutions,omitempty"`
	Proposals    []string         `json:"proposals,omitempty"`
	Roadmap      []Action         `json:"roadmap,omitempty"`
}

// Part is a cooperating unit's contribution.
type Part struct {
	UnitID     string
	Content    Content
	UpdatedBy  string
	UpdateTime time.Time // zero while nothing was written
	// Revision counts the part's saves (1 when invited); parts are written by different
	// units at the same time, so each has its own.
	Revision int
}

// ETag is the part's entity tag (AIP-154): its revision as opaque text.
func (p Part) ETag() string { return etag(p.Revision) }

// ETag is the explanation's entity tag (AIP-154): the revision of the owning unit's content
// and of the review state. Parts have their own, so that the owner and the cooperating
// units never refuse each other's saves.
func (e Explanation) ETag() string { return etag(e.Revision) }

func etag(revision int) string { return strconv.Itoa(revision) }

// CheckETag returns ErrStale when etag is given and is not the explanation's.
func (e Explanation) CheckETag(etag string) error {
	if etag != "" && etag != e.ETag() {
		return fmt.Errorf("explanation %s at revision %s, writer read %q: %w", e.ID, e.ETag(), etag, ErrStale)
	}
	return nil
}

// DeterminedCause is the secretariat's finding on one node.
type DeterminedCause struct {
	NodeCode string    `json:"node_code"`
	Cause    CauseKind `json:"cause"`
	Note     string    `json:"note,omitempty"`
}

// Explanation is a request and its answer.
type Explanation struct {
	ID             string
	ProvinceUnitID string
	Year           int
	Kind           Kind
	// IndexUnitID and IndexKind name the index NodeCode belongs to, for KindScoreFell: the
	// provincial index (the province, "province"; Art. 14.1) or the unit's own index (the
	// unit itself, e.g. "department"; Art. 15.7). Codes repeat between indexes.
	IndexUnitID string
	IndexKind   string
	// Revision counts the changes of the explanation (1 when opened); a writer names the
	// revision it read, so that concurrent drafts never overwrite each other unseen.
	Revision           int
	NodeCode           string
	Title              string
	Reason             string
	LegalBasis         string
	UnitID             string
	HeadUserID         string
	HeadName           string
	CooperatingUnitIDs []string
	Score              string // decimal text as published, "" for none
	PreviousScore      string
	SnapshotID         string
	DueDate            string // ISO local date
	Status             Status
	Content            Content
	Parts              []Part
	ReviewComment      string
	DeterminedCauses   []DeterminedCause
	Conclusion         string
	SubmitTime         time.Time
	ConcludeTime       time.Time
	PublishTime        time.Time
	OverdueTime        time.Time
	CreatedBy          string
	CreateTime         time.Time
	UpdateTime         time.Time
}

// ValidationError is one problem with the input, ValidationErrors every problem of one
// input reported together (kit/domainerr): Field is the API path, Reason a Vietnamese
// sentence.
type (
	ValidationError  = domainerr.ValidationError
	ValidationErrors = domainerr.ValidationErrors
)

// CheckContent checks content beyond its shape: roadmap actions need an owning unit and a
// date (Art. 16.4: "lộ trình thời gian"), causes must be marked objective or subjective
// (Art. 16.3). prefix names the field in errors ("content").
func CheckContent(c Content, prefix string) error {
	var v ValidationErrors
	for i, s := range c.Shortcomings {
		for j, cause := range s.Causes {
			if cause.Kind != CauseObjective && cause.Kind != CauseSubjective {
				v.Add(fmt.Sprintf("%s.shortcomings[%d].causes[%d].kind", prefix, i, j), "nguyên nhân phải là khách quan hoặc chủ quan (Điều 16 khoản 3)")
			}
		}
	}
	for i, a := range c.Roadmap {
		if strings.TrimSpace(a.Content) == "" {
			v.Add(fmt.Sprintf("%s.roadmap[%d].content", prefix, i), "cần nội dung công việc")
		}
		if a.OwnerUnitID == "" {
			v.Add(fmt.Sprintf("%s.roadmap[%d].owner_unit_id", prefix, i), "cần đơn vị chủ trì thực hiện (Điều 16 khoản 4)")
		}
		if _, err := time.Parse(time.DateOnly, a.DueDate); err != nil {
			v.Add(fmt.Sprintf("%s.roadmap[%d].due_date", prefix, i), "cần thời hạn dạng YYYY-MM-DD (Điều 16 khoản 4)")
		}
	}
	return v.Err()
}

// SaveDraft replaces the owning unit's content; allowed while open or returned.
func (e *Explanation) SaveDraft(c Content, now time.Time) error {
	if e.Status != StatusRequested && e.Status != StatusReturned {
		return fmt.Errorf("save draft in status %s: %w", e.Status, ErrWrongState)
	}
	if err := CheckContent(c, "content"); err != nil {
		return err
	}
	e.Content = c
	e.UpdateTime = now
	e.Revision++
	return nil
}

// SavePart replaces a cooperating unit's part; allowed until conclusion. etag, when given,
// must be the part's current one (ErrStale otherwise).
func (e *Explanation) SavePart(unitID string, c Content, by string, now time.Time, etag string) error {
	if e.Status == StatusConcluded {
		return fmt.Errorf("save part after conclusion: %w", ErrWrongState)
	}
	i := slices.IndexFunc(e.Parts, func(p Part) bool { return p.UnitID == unitID })
	if i < 0 {
		return ValidationErrors{{Field: "unit_id", Reason: "đơn vị không được mời phối hợp giải trình nội dung này"}}
	}
	if etag != "" && etag != e.Parts[i].ETag() {
		return fmt.Errorf("part %s of %s at revision %s, writer read %q: %w", unitID, e.ID, e.Parts[i].ETag(), etag, ErrStale)
	}
	if err := CheckContent(c, "content"); err != nil {
		return err
	}
	e.Parts[i] = Part{UnitID: unitID, Content: c, UpdatedBy: by, UpdateTime: now, Revision: e.Parts[i].Revision + 1}
	e.UpdateTime = now
	return nil
}

// Submit sends the explanation to the secretariat. A request opened because a score fell
// must name at least one shortcoming with its causes (Art. 16.3), since that is what the
// secretariat concludes on.
func (e *Explanation) Submit(now time.Time) error {
	if e.Status != StatusRequested && e.Status != StatusReturned {
		return fmt.Errorf("submit in status %s: %w", e.Status, ErrWrongState)
	}
	if e.Kind == KindScoreFell && len(e.Content.Shortcomings) == 0 {
		return ValidationErrors{{Field: "content.shortcomings", Reason: "cần nêu tồn tại, hạn chế và nguyên nhân khi điểm số giảm (Điều 16 khoản 3)"}}
	}
	e.Status = StatusSubmitted
	e.SubmitTime = now
	e.UpdateTime = now
	e.Revision++
	return nil
}

// Return sends a submitted explanation back with comments.
func (e *Explanation) Return(comment string, now time.Time) error {
	if e.Status != StatusSubmitted {
		return fmt.Errorf("return in status %s: %w", e.Status, ErrWrongState)
	}
	e.Status = StatusReturned
	e.ReviewComment = comment
	e.UpdateTime = now
	e.Revision++
	return nil
}

// Conclude closes a submitted explanation with the determined cause per node. The node of
// an Art. 14.1 request must have one: Art. 17.1.d and 19.1.a, c turn on it.
func (e *Explanation) Conclude(causes []DeterminedCause, conclusion string, now time.Time) error {
	if e.Status != StatusSubmitted {
		return fmt.Errorf("conclude in status %s: %w", e.Status, ErrWrongState)
	}
	var v ValidationErrors
	seen := map[string]bool{}
	for i, c := range causes {
		if c.Cause != CauseObjective && c.Cause != CauseSubjective {
			v.Add(fmt.Sprintf("determined_causes[%d].cause", i), "nguyên nhân phải là khách quan hoặc chủ quan")
		}
		if seen[c.NodeCode] {
			v.Add(fmt.Sprintf("determined_causes[%d].node_code", i), "mỗi mục chỉ có một nguyên nhân được xác định")
		}
		seen[c.NodeCode] = true
	}
	if e.Kind == KindScoreFell && e.NodeCode != "" && !seen[e.NodeCode] {
		v.Add("determined_causes", fmt.Sprintf("cần xác định nguyên nhân (khách quan/chủ quan) cho mục %s (%s)", e.NodeCode, BasisCause))
	}
	if err := v.Err(); err != nil {
		return err
	}
	e.Status = StatusConcluded
	e.DeterminedCauses = causes
	e.Conclusion = conclusion
	e.ConcludeTime = now
	e.UpdateTime = now
	e.Revision++
	return nil
}

// Publish makes a concluded explanation public (Art. 12.2).
func (e *Explanation) Publish(now time.Time) error {
	if e.Status != StatusConcluded {
		return fmt.Errorf("publish in status %s: %w", e.Status, ErrWrongState)
	}
	if !e.PublishTime.IsZero() {
		return nil // publishing twice changes nothing
	}
	e.PublishTime = now
	e.UpdateTime = now
	e.Revision++
	return nil
}

// CauseOf returns the determined cause of a node, or "" when none was recorded.
func (e Explanation) CauseOf(node string) CauseKind {
	for _, c := range e.DeterminedCauses {
		if c.NodeCode == node {
			return c.Cause
		}
	}
	return ""
}
