package tracking

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/parindex/platform/services/kit/vntext"
	"github.com/parindex/platform/services/kit/vntime"
)

// DocumentKind is the form of a directing document.
type DocumentKind string

// Document kinds. The values are stored, so they never change.
const (
	// KindPlan is a plan (kế hoạch).
	KindPlan DocumentKind = "plan"
	// KindDirective is a directive (chỉ thị).
	KindDirective DocumentKind = "directive"
	// KindDecision is a decision (quyết định).
	KindDecision DocumentKind = "decision"
	// KindLetter is a letter (công văn).
	KindLetter DocumentKind = "letter"
)

// Valid reports whether k is a known kind.
func (k DocumentKind) Valid() bool {
	switch k {
	case KindPlan, KindDirective, KindDecision, KindLetter:
		return true
	}
	return false
}

// DocumentStatus is where a document stands.
type DocumentStatus string

// Document statuses. The values are stored, so they never change.
const (
	// StatusIssued is a document in force; every new document starts here.
	StatusIssued DocumentStatus = "issued"
	// StatusSuperseded is a document replaced or repealed.
	StatusSuperseded DocumentStatus = "superseded"
)

// TaskGroup is the PAR field a task serves (nhóm nhiệm vụ).
type TaskGroup string

// Task groups, one per PAR field. The values are stored, so they never change.
const (
	// GroupNone means the document does not say.
	GroupNone TaskGroup = ""
	// GroupDirection is direction and management of reform.
	GroupDirection TaskGroup = "direction"
	// GroupInstitutions is institutional reform.
	GroupInstitutions TaskGroup = "institutions"
	// GroupProcedures is administrative-procedure reform.
	GroupProcedures TaskGroup = "procedures"
	// GroupOrganisation is organisation of the apparatus.
	GroupOrganisation TaskGroup = "organisation"
	// GroupCivilService is the civil service.
	GroupCivilService TaskGroup = "civil_service"
	// GroupPublicFinance is public-finance reform.
	GroupPublicFinance TaskGroup = "public_finance"
	// GroupDigitalGovernment is e-government / digital government.
	GroupDigitalGovernment TaskGroup = "digital_government"
	// GroupImpact is the impact of reform on people, businesses and development.
	GroupImpact TaskGroup = "impact"
)

// Valid reports whether g is a known group or GroupNone.
func (g TaskGroup) Valid() bool {
	switch g {
	case GroupNone, GroupDirection, GroupInstitutions, GroupProcedures, GroupOrganisation,
		GroupCivilService, GroupPublicFinance, GroupDigitalGovernment, GroupImpact:
		return true
	}
	return false
}

// Role is how a unit takes part in a task.
type Role string

// Roles. The values are stored, so they never change.
const (
	// RoleLead is the lead unit (cơ quan chủ trì), which owns the task.
	RoleLead Role = "lead"
	// RoleCooperating is a cooperating unit (cơ quan phối hợp), which helps.
	RoleCooperating Role = "cooperating"
)

// Limits of a document, matching the contract so that callers other than the gRPC API
// (imports, later) meet the same bounds.
const (
	MaxTasks       = 1000
	maxNumberLen   = 100
	maxTitleLen    = 2000
	maxCodeLen     = 50
	maxContentLen  = 10000
	maxProductLen  = 2000
	maxCellTextLen = 4000
	maxLeadUnits   = 100
	maxCoopUnits   = 500
	maxCriteria    = 50
	maxTimingText  = 500
	minPeriodYear  = 1990
	maxPeriodYear  = 2200
	maxCriteriaLen = 50
)

// Document is a directing document (văn bản chỉ đạo) with the tasks it assigns.
type Document struct {
	// ID is assigned when the document is created.
	ID string
	// Number is the number as printed, e.g. "56/KH-UBND"; unique per issuer.
	Number string
	// Kind is the form of the document.
	Kind DocumentKind
	// IssuerUnitID is the directory id of the issuing unit.
	IssuerUnitID string
	// SignedOn is the signing date.
	SignedOn vntime.Date
	// Title is the summary (trích yếu).
	Title string
	// PeriodStartYear and PeriodEndYear bound the period the document covers.
	PeriodStartYear, PeriodEndYear int
	// Status is where the document stands.
	Status DocumentStatus
	// ReportingCycle is how often progress is reported; it sets the periods of continuous
	// tasks. A new document without one reports yearly.
	ReportingCycle ReportingCycle
	// Tasks are the tasks in the order the document lists them.
	Tasks []Task
	// CreatedBy is the user id (or token subject) of whoever entered the document.
	CreatedBy string
	// CreateTime and UpdateTime are when it was entered and last changed.
	CreateTime, UpdateTime time.Time
}

// Task is one reform task of a document.
type Task struct {
	// ID is assigned when the task is created.
	ID string
	// DocumentID is the document carrying the task.
	DocumentID string
	// Code is the code within the document, e.g. "III.3"; unique in the document.
	Code string
	// Group is the PAR field the task serves.
	Group TaskGroup
	// Content is what must be done.
	Content string
	// LeadUnitIDs are the lead units; at least one.
	LeadUnitIDs []string
	// CooperatingUnitIDs are the cooperating units.
	CooperatingUnitIDs []string
	// Start is when work starts; zero when the document does not say.
	Start Timing
	// Deadline is when work must be complete.
	Deadline Timing
	// ExpectedProduct is the product expected, e.g. "Báo cáo Chủ tịch UBND tỉnh".
	ExpectedProduct string
	// CriteriaCodes are the PAR criteria the task aims to improve, e.g. "3.1.2".
	CriteriaCodes []string
	// LeadText and CooperatingText are the lead and cooperating cells of the source table as
	// written, kept beside the ids read from them so anyone can check the reading; the
	// collectives that name no unit ("các cơ quan liên quan") live only here. Empty for
	// tasks entered without a table.
	LeadText, CooperatingText string
	// CreateTime is when it was entered.
	CreateTime time.Time
	// Remediation links a remediation task to the explanation whose roadmap committed it;
	// nil for other tasks.
	Remediation *Remediation
}

// Assignment is one unit's part in a task.
type Assignment struct {
	// UnitID is the directory id of the unit.
	UnitID string
	// Role is lead or cooperating.
	Role Role
}

// Assignments returns the task's units, lead units first, in the document's order.
func (t Task) Assignments() []Assignment {
	as := make([]Assignment, 0, len(t.LeadUnitIDs)+len(t.CooperatingUnitIDs))
	for _, id := range t.LeadUnitIDs {
		as = append(as, Assignment{UnitID: id, Role: RoleLead})
	}
	for _, id := range t.CooperatingUnitIDs {
		as = append(as, Assignment{UnitID: id, Role: RoleCooperating})
	}
	return as
}

// NewDocument checks a document about to be issued, with its tasks, and returns it ready to
// store: text NFC-normalised, identifiers trimmed, ids and times set, status issued. newID
// returns a fresh unique id on every call. Every problem is reported at once as
// ValidationErrors whose fields are paths relative to the document.
//
// NewDocument does not know which unit ids exist; the caller checks them with
// UnitReferences and CheckUnits against the directory.
func NewDocument(draft Document, createdBy string, now time.Time, newID func() string) (Document, error) {
	d := normalise(draft)
	if err := d.validate(); err != nil {
		return Document{}, err
	}
	d.ID = newID()
	d.Status = StatusIssued
	if d.ReportingCycle == "" {
		d.ReportingCycle = CycleYearly
	}
	d.CreatedBy = createdBy
	d.CreateTime, d.UpdateTime = now, now
	for i := range d.Tasks {
		d.Tasks[i].ID = newID()
		d.Tasks[i].DocumentID = d.ID
		d.Tasks[i].CreateTime = now
	}
	return d, nil
}

// normalise returns a copy of d with text in NFC and identifiers trimmed. Timing text is only
// NFC-normalised: it is the verbatim phrase of the source.
func normalise(d Document) Document {
	d.Number = strings.TrimSpace(vntext.NFC(d.Number))
	d.IssuerUnitID = strings.ToLower(strings.TrimSpace(d.IssuerUnitID))
	d.Title = strings.TrimSpace(vntext.NFC(d.Title))
	tasks := make([]Task, len(d.Tasks))
	for i, t := range d.Tasks {
		t.Code = strings.TrimSpace(vntext.NFC(t.Code))
		t.Content = strings.TrimSpace(vntext.NFC(t.Content))
		t.ExpectedProduct = strings.TrimSpace(vntext.NFC(t.ExpectedProduct))
		t.LeadText = strings.TrimSpace(vntext.NFC(t.LeadText))
		t.CooperatingText = strings.TrimSpace(vntext.NFC(t.CooperatingText))
		t.LeadUnitIDs = normaliseIDs(t.LeadUnitIDs)
		t.CooperatingUnitIDs = normaliseIDs(t.CooperatingUnitIDs)
		t.Start.Text = vntext.NFC(t.Start.Text)
		t.Deadline.Text = vntext.NFC(t.Deadline.Text)
		codes := make([]string, len(t.CriteriaCodes))
		for j, c := range t.CriteriaCodes {
			codes[j] = strings.TrimSpace(c)
		}
		t.CriteriaCodes = codes
		tasks[i] = t
	}
	d.Tasks = tasks
	return d
}

// normaliseIDs lower-cases and trims unit ids so that the same UUID written in two cases is
// seen as one unit by the duplicate checks.
func normaliseIDs(ids []string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = strings.ToLower(strings.TrimSpace(id))
	}
	return out
}

// validate reports every problem of a normalised document.
func (d Document) validate() error {
	var v ValidationErrors
	checkText(&v, "number", d.Number, maxNumberLen, "Cần ghi số hiệu văn bản")
	if !d.Kind.Valid() {
		v.Add("kind", "Loại văn bản không hợp lệ")
	}
	if d.ReportingCycle != "" && !d.ReportingCycle.Valid() {
		v.Add("reporting_cycle", "Chu kỳ báo cáo không hợp lệ")
	}
	if d.IssuerUnitID == "" {
		v.Add("issuer_unit_id", "Cần chọn đơn vị ban hành")
	}
	if d.SignedOn.IsZero() {
		v.Add("signed_on", "Cần ghi ngày ký văn bản")
	}
	checkText(&v, "title", d.Title, maxTitleLen, "Cần ghi trích yếu văn bản")
	if d.PeriodStartYear < minPeriodYear || d.PeriodStartYear > maxPeriodYear {
		v.Add("period_start_year", fmt.Sprintf("Năm bắt đầu phải từ %d đến %d", minPeriodYear, maxPeriodYear))
	}
	if d.PeriodEndYear < d.PeriodStartYear || d.PeriodEndYear > maxPeriodYear {
		v.Add("period_end_year", "Năm kết thúc không được trước năm bắt đầu của giai đoạn")
	}
	if len(d.Tasks) > MaxTasks {
		v.Add("tasks", fmt.Sprintf("Một văn bản có tối đa %d nhiệm vụ", MaxTasks))
	}
	codes := make(map[string]int, len(d.Tasks))
	for i, t := range d.Tasks {
		field := fmt.Sprintf("tasks[%d]", i)
		if first, dup := codes[t.Code]; dup && t.Code != "" {
			v.Add(field+".code", fmt.Sprintf("Mã nhiệm vụ %q đã dùng cho nhiệm vụ thứ %d của văn bản", t.Code, first+1))
		} else {
			codes[t.Code] = i
		}
		t.validate(field, &v)
	}
	return v.Err()
}

// validate adds the problems of one task to v, naming fields under the path field.
func (t Task) validate(field string, v *ValidationErrors) {
	checkText(v, field+".code", t.Code, maxCodeLen, "Cần ghi mã nhiệm vụ")
	if !t.Group.Valid() {
		v.Add(field+".group", "Nhóm nhiệm vụ không hợp lệ")
	}
	checkText(v, field+".content", t.Content, maxContentLen, "Cần ghi nội dung nhiệm vụ")
	if utf8.RuneCountInString(t.ExpectedProduct) > maxProductLen {
		v.Add(field+".expected_product", fmt.Sprintf("Sản phẩm dự kiến dài tối đa %d ký tự", maxProductLen))
	}
	if utf8.RuneCountInString(t.LeadText) > maxCellTextLen {
		v.Add(field+".lead_text", fmt.Sprintf("Nguyên văn cơ quan chủ trì dài tối đa %d ký tự", maxCellTextLen))
	}
	if utf8.RuneCountInString(t.CooperatingText) > maxCellTextLen {
		v.Add(field+".cooperating_text", fmt.Sprintf("Nguyên văn cơ quan phối hợp dài tối đa %d ký tự", maxCellTextLen))
	}
	switch {
	case len(t.LeadUnitIDs) == 0:
		v.Add(field+".lead_unit_ids", "Cần ít nhất một cơ quan chủ trì")
	case len(t.LeadUnitIDs) > maxLeadUnits:
		v.Add(field+".lead_unit_ids", fmt.Sprintf("Tối đa %d cơ quan chủ trì", maxLeadUnits))
	}
	if len(t.CooperatingUnitIDs) > maxCoopUnits {
		v.Add(field+".cooperating_unit_ids", fmt.Sprintf("Tối đa %d cơ quan phối hợp", maxCoopUnits))
	}
	leads := make(map[string]bool, len(t.LeadUnitIDs))
	for j, id := range t.LeadUnitIDs {
		f := fmt.Sprintf("%s.lead_unit_ids[%d]", field, j)
		switch {
		case id == "":
			v.Add(f, "Cần chọn đơn vị")
		case leads[id]:
			v.Add(f, "Đơn vị đã có trong danh sách cơ quan chủ trì")
		}
		leads[id] = true
	}
	coops := make(map[string]bool, len(t.CooperatingUnitIDs))
	for j, id := range t.CooperatingUnitIDs {
		f := fmt.Sprintf("%s.cooperating_unit_ids[%d]", field, j)
		switch {
		case id == "":
			v.Add(f, "Cần chọn đơn vị")
		case leads[id]:
			// A unit cannot help itself: the lead owns the whole task.
			v.Add(f, "Đơn vị đã là cơ quan chủ trì của nhiệm vụ, không thể đồng thời là cơ quan phối hợp")
		case coops[id]:
			v.Add(f, "Đơn vị đã có trong danh sách cơ quan phối hợp")
		}
		coops[id] = true
	}
	if !t.Start.IsZero() {
		t.Start.validate(field+".start", v)
		if utf8.RuneCountInString(t.Start.Text) > maxTimingText {
			v.Add(field+".start.text", fmt.Sprintf("Dài tối đa %d ký tự", maxTimingText))
		}
	}
	if t.Deadline.IsZero() {
		v.Add(field+".deadline", "Cần ghi thời hạn hoàn thành")
	} else {
		t.Deadline.validate(field+".deadline", v)
		if utf8.RuneCountInString(t.Deadline.Text) > maxTimingText {
			v.Add(field+".deadline.text", fmt.Sprintf("Dài tối đa %d ký tự", maxTimingText))
		}
	}
	if len(t.CriteriaCodes) > maxCriteria {
		v.Add(field+".criteria_codes", fmt.Sprintf("Tối đa %d tiêu chí", maxCriteria))
	}
	for j, c := range t.CriteriaCodes {
		if !validCriterionCode(c) {
			v.Add(fmt.Sprintf("%s.criteria_codes[%d]", field, j), "Mã tiêu chí phải có dạng 3.1.2")
		}
	}
}

// validCriterionCode reports whether c looks like "3", "3.1" or "3.1.2a": dot-separated runs
// of ASCII letters and digits.
func validCriterionCode(c string) bool {
	if c == "" || len(c) > maxCriteriaLen {
		return false
	}
	for part := range strings.SplitSeq(c, ".") {
		if part == "" {
			return false
		}
		for _, r := range part {
			if !('0' <= r && r <= '9' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z') {
				return false
			}
		}
	}
	return true
}

// checkText adds a problem when s is empty or longer than max characters.
func checkText(v *ValidationErrors, field, s string, limit int, missing string) {
	switch {
	case s == "":
		v.Add(field, missing)
	case utf8.RuneCountInString(s) > limit:
		v.Add(field, fmt.Sprintf("Dài tối đa %d ký tự", limit))
	}
}

// UnitReference is one place in a document that names a unit.
type UnitReference struct {
	// Field is the path of the reference, e.g. "tasks[2].lead_unit_ids[0]".
	Field string
	// UnitID is the unit named.
	UnitID string
}

// UnitReferences lists every unit the document names: the issuer, then each task's lead and
// cooperating units, in order.
func (d Document) UnitReferences() []UnitReference {
	refs := []UnitReference{{Field: "issuer_unit_id", UnitID: d.IssuerUnitID}}
	for i, t := range d.Tasks {
		for j, id := range t.LeadUnitIDs {
			refs = append(refs, UnitReference{Field: fmt.Sprintf("tasks[%d].lead_unit_ids[%d]", i, j), UnitID: id})
		}
		for j, id := range t.CooperatingUnitIDs {
			refs = append(refs, UnitReference{Field: fmt.Sprintf("tasks[%d].cooperating_unit_ids[%d]", i, j), UnitID: id})
		}
	}
	return refs
}

// UnitIDs returns the distinct unit ids the document names, in first-mention order.
func (d Document) UnitIDs() []string {
	seen := map[string]bool{}
	var ids []string
	for _, r := range d.UnitReferences() {
		if !seen[r.UnitID] {
			seen[r.UnitID] = true
			ids = append(ids, r.UnitID)
		}
	}
	return ids
}

// CheckUnits reports, as ValidationErrors, every reference to a unit for which exists
// returns false, so the person entering the document sees each wrong cell of the table.
func (d Document) CheckUnits(exists func(unitID string) bool) error {
	var v ValidationErrors
	for _, r := range d.UnitReferences() {
		if !exists(r.UnitID) {
			v.Add(r.Field, "Đơn vị không có trong danh mục đơn vị")
		}
	}
	return v.Err()
}
