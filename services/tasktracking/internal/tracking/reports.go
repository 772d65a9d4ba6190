package tracking

import (
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/parindex/platform/services/kit/vntext"
	"github.com/parindex/platform/services/kit/vntime"
)

// Errors of progress reports, evidence and reporting obligations.
var (
	// ErrEvidenceNotFound is returned when no evidence has the id asked for, or when the
	// caller may not see its occurrence.
	ErrEvidenceNotFound = &Error{Kind: ErrNotFound, Message: "Không tìm thấy tài liệu kiểm chứng"}
	// ErrDueReportNotFound is returned when no due report has the id asked for, or when the
	// caller may not see it.
	ErrDueReportNotFound = &Error{Kind: ErrNotFound, Message: "Không tìm thấy kỳ báo cáo"}
	// ErrOccurrenceClosed refuses reports and evidence on a cancelled or recalled occurrence.
	ErrOccurrenceClosed = &Error{Kind: ErrFailedPrecondition, Message: "Nhiệm vụ đã bị hủy hoặc thu hồi, không thể báo cáo"}
	// ErrMayNotReport refuses a report from a caller whose unit neither leads nor cooperates.
	ErrMayNotReport = &Error{Kind: ErrForbidden, Message: "Chỉ cơ quan chủ trì hoặc phối hợp được báo cáo nhiệm vụ này"}
	// ErrAlreadySubmitted refuses a second submission of a periodic report.
	ErrAlreadySubmitted = &Error{Kind: ErrFailedPrecondition, Message: "Báo cáo kỳ này đã được gửi"}
	// ErrNotReporter refuses a periodic report submitted for another unit.
	ErrNotReporter = &Error{Kind: ErrForbidden, Message: "Chỉ đơn vị có trách nhiệm báo cáo được gửi báo cáo kỳ này"}
)

// Limits of reports, matching the contract.
const (
	maxNarrativeLen  = 20000
	maxFigures       = 50
	maxFigureNameLen = 500
	maxFigureUnitLen = 100
	maxFileNameLen   = 255
	maxDescLen       = 2000
	maxReporters     = 1000
	maxOffsetDays    = 60
	maxObligationLen = 4000
)

// Figure is one quantity of a progress report.
type Figure struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"`
	Unit  string  `json:"unit"`
}

// ProgressReport is one unit's report on an occurrence for one period.
type ProgressReport struct {
	ID, OccurrenceID string
	// UnitID is the reporting unit.
	UnitID      string
	Period      Period
	PercentDone int
	Narrative   string
	Figures     []Figure
	EvidenceIDs []string
	ReportedBy  Actor
	// Revision is 1 for the first report of the unit for the period, then counts up.
	Revision               int
	CreateTime, UpdateTime time.Time
	// Scope is the occurrence's task, loaded with the report.
	Scope TaskScope
}

// CheckReportPeriod reports whether p is a period a progress report on o may cover: a
// year, half-year or quarter within the document's years and within the occurrence's own
// period (a yearly occurrence takes reports on its year, its halves and quarters).
func CheckReportPeriod(p Period, o Occurrence, docStart, docEnd int) error {
	var v ValidationErrors
	switch p.Kind {
	case PeriodYear:
		if p.Number != 0 {
			v.Add("period.number", "Kỳ báo cáo năm không có số kỳ")
		}
	case PeriodHalfYear:
		if p.Number < 1 || p.Number > 2 {
			v.Add("period.number", "Nửa năm phải là 1 hoặc 2")
		}
	case PeriodQuarter:
		if p.Number < 1 || p.Number > 4 {
			v.Add("period.number", "Quý phải từ 1 đến 4")
		}
	default:
		v.Add("period.kind", "Kỳ báo cáo phải là quý, 6 tháng hoặc năm")
	}
	if p.Year < docStart || p.Year > docEnd {
		v.Add("period.year", fmt.Sprintf("Năm báo cáo phải trong giai đoạn của văn bản (%d–%d)", docStart, docEnd))
	} else if !within(p, o.Period) {
		v.Add("period", "Kỳ báo cáo phải nằm trong kỳ thực hiện của nhiệm vụ")
	}
	return v.Err()
}

// within reports whether period p lies inside the occurrence's period outer.
func within(p, outer Period) bool {
	first, last := months(p)
	switch outer.Kind {
	case PeriodWhole:
		return true
	case PeriodYear, PeriodHalfYear, PeriodQuarter:
		if p.Year != outer.Year {
			return false
		}
		ofirst, olast := months(outer)
		return first >= ofirst && last <= olast
	}
	return false
}

// months returns the first and last month (1–12) a period of one year covers.
func months(p Period) (int, int) {
	switch p.Kind {
	case PeriodHalfYear:
		return 6*p.Number - 5, 6 * p.Number
	case PeriodQuarter:
		return 3*p.Number - 2, 3 * p.Number
	}
	return 1, 12
}

// CheckProgressReport normalises and checks the content of a report (not its period).
func CheckProgressReport(r *ProgressReport) error {
	var v ValidationErrors
	r.Narrative = strings.TrimSpace(vntext.NFC(r.Narrative))
	checkText(&v, "narrative", r.Narrative, maxNarrativeLen, "Cần ghi nội dung báo cáo")
	if r.PercentDone < 0 || r.PercentDone > 100 {
		v.Add("percent_done", "Tỷ lệ hoàn thành phải từ 0 đến 100")
	}
	if len(r.Figures) > maxFigures {
		v.Add("figures", fmt.Sprintf("Tối đa %d số liệu", maxFigures))
	}
	for i := range r.Figures {
		f := &r.Figures[i]
		f.Name = strings.TrimSpace(vntext.NFC(f.Name))
		f.Unit = strings.TrimSpace(vntext.NFC(f.Unit))
		checkText(&v, fmt.Sprintf("figures[%d].name", i), f.Name, maxFigureNameLen, "Cần ghi tên số liệu")
		if utf8.RuneCountInString(f.Unit) > maxFigureUnitLen {
			v.Add(fmt.Sprintf("figures[%d].unit", i), fmt.Sprintf("Dài tối đa %d ký tự", maxFigureUnitLen))
		}
		if math.IsNaN(f.Value) || math.IsInf(f.Value, 0) {
			v.Add(fmt.Sprintf("figures[%d].value", i), "Giá trị không hợp lệ")
		}
	}
	return v.Err()
}

// Evidence is an evidence document of an occurrence; its content is in the blob store.
type Evidence struct {
	ID, OccurrenceID string
	// UnitID is the unit that uploaded it.
	UnitID      string
	FileName    string
	MediaType   string
	Size        int64
	SHA256      [32]byte
	BlobKey     string
	Description string
	UploadedBy  Actor
	CreateTime  time.Time
	// Scope is the occurrence's task, loaded with the evidence.
	Scope TaskScope
}

// CheckEvidenceMetadata normalises and checks the name and description of an upload.
func CheckEvidenceMetadata(e *Evidence) error {
	var v ValidationErrors
	e.FileName = strings.TrimSpace(vntext.NFC(e.FileName))
	// The name is shown and offered as a download name: no folders, no control characters.
	e.FileName = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '/' || r == '\\' {
			return '_'
		}
		return r
	}, e.FileName)
	checkText(&v, "metadata.file_name", e.FileName, maxFileNameLen, "Cần ghi tên tệp")
	e.Description = strings.TrimSpace(vntext.NFC(e.Description))
	if utf8.RuneCountInString(e.Description) > maxDescLen {
		v.Add("metadata.description", fmt.Sprintf("Dài tối đa %d ký tự", maxDescLen))
	}
	return v.Err()
}

// ReportingObligation is a periodic report a document requires of units (e.g. 000's closing
// paragraph: quarterly, 6-monthly and yearly reports to the Department of Home Affairs).
type ReportingObligation struct {
	ID, DocumentID  string
	Cycle           ReportingCycle
	RecipientUnitID string
	ReporterUnitIDs []string
	// DueOffsetDays is how many days after each period's end the report is due (negative:
	// before the end).
	DueOffsetDays int
	Text          string
	CreatedBy     string
	CreateTime    time.Time
}

// DueReportState is where a due report stands.
type DueReportState string

// Due report states. The values are stored, so they never change.
const (
	DueReportOpen      DueReportState = "open"
	DueReportSubmitted DueReportState = "submitted"
)

// DueReport is one unit's periodic report for one period of an obligation.
type DueReport struct {
	ID, ObligationID, DocumentID string
	UnitID                       string
	Period                       Period
	Due                          time.Time
	State                        DueReportState
	SubmitTime                   time.Time
	Narrative                    string
	SubmittedBy                  Actor
	RecipientUnitID              string
	IssuerUnitID                 string
	CreateTime, UpdateTime       time.Time
}

// Late reports whether the report is open past its due time, or was submitted after it.
func (r DueReport) Late(now time.Time) bool {
	if r.State == DueReportSubmitted {
		return r.SubmitTime.After(r.Due)
	}
	return now.After(r.Due)
}

// AsOccurrence is the due report seen by the deadline rules (Notices): open work due at
// Due, so it reaches report-due notices before and an overdue notice after.
func (r DueReport) AsOccurrence() Occurrence {
	o := Occurrence{ID: r.ID, Due: r.Due, State: StateInProgress}
	if r.State == DueReportSubmitted {
		o.State, o.ReportTime = StateCompletionReported, r.SubmitTime
	}
	return o
}

// NewReportingObligation checks an obligation for document d and returns it with the due
// reports it creates: one per reporting unit and period of the document's years, due
// DueOffsetDays after the period's last day (end of that local day).
func NewReportingObligation(d Document, draft ReportingObligation, createdBy string, now time.Time, newID func() string) (ReportingObligation, []DueReport, error) {
	if d.Status == StatusSuperseded {
		return ReportingObligation{}, nil, &Error{Kind: ErrFailedPrecondition, Message: "Văn bản đã được thay thế, không thể thêm chế độ báo cáo"}
	}
	o := draft
	o.RecipientUnitID = strings.ToLower(strings.TrimSpace(o.RecipientUnitID))
	o.ReporterUnitIDs = normaliseIDs(o.ReporterUnitIDs)
	o.Text = strings.TrimSpace(vntext.NFC(o.Text))
	var v ValidationErrors
	if !o.Cycle.Valid() {
		v.Add("obligation.cycle", "Chu kỳ báo cáo không hợp lệ")
	}
	if o.RecipientUnitID == "" {
		v.Add("obligation.recipient_unit_id", "Cần chọn đơn vị nhận báo cáo")
	}
	switch {
	case len(o.ReporterUnitIDs) == 0:
		v.Add("obligation.reporter_unit_ids", "Cần ít nhất một đơn vị báo cáo")
	case len(o.ReporterUnitIDs) > maxReporters:
		v.Add("obligation.reporter_unit_ids", fmt.Sprintf("Tối đa %d đơn vị báo cáo", maxReporters))
	}
	seen := map[string]bool{}
	for i, u := range o.ReporterUnitIDs {
		if u == "" || seen[u] {
			v.Add(fmt.Sprintf("obligation.reporter_unit_ids[%d]", i), "Đơn vị trống hoặc trùng")
		}
		seen[u] = true
	}
	if o.DueOffsetDays < -maxOffsetDays || o.DueOffsetDays > maxOffsetDays {
		v.Add("obligation.due_offset_days", fmt.Sprintf("Số ngày phải từ %d đến %d", -maxOffsetDays, maxOffsetDays))
	}
	if utf8.RuneCountInString(o.Text) > maxObligationLen {
		v.Add("obligation.text", fmt.Sprintf("Dài tối đa %d ký tự", maxObligationLen))
	}
	if err := v.Err(); err != nil {
		return ReportingObligation{}, nil, err
	}
	o.ID, o.DocumentID, o.CreatedBy, o.CreateTime = newID(), d.ID, createdBy, now
	return o, PlanDueReports(d, o, now, newID), nil
}

// PlanDueReports returns the due reports obligation o asks of its units over document d's
// period: one per reporting unit and period, due DueOffsetDays after the period's last day
// (end of that local day). After the period of d changes, the reports of the new years are
// among them (the store keeps one per unit and period, so planning again adds only those).
func PlanDueReports(d Document, o ReportingObligation, now time.Time, newID func() string) []DueReport {
	var dues []DueReport
	for _, p := range cyclePeriods(o.Cycle, d.PeriodStartYear, d.PeriodEndYear) {
		due := endOf(periodEnd(p).AddDays(o.DueOffsetDays))
		for _, u := range o.ReporterUnitIDs {
			dues = append(dues, DueReport{
				ID: newID(), ObligationID: o.ID, DocumentID: d.ID, UnitID: u, Period: p, Due: due,
				State: DueReportOpen, RecipientUnitID: o.RecipientUnitID, IssuerUnitID: d.IssuerUnitID,
				CreateTime: now, UpdateTime: now,
			})
		}
	}
	return dues
}

// cyclePeriods returns the periods of a cycle over the years from..to, in order.
func cyclePeriods(c ReportingCycle, from, to int) []Period {
	var out []Period
	for y := from; y <= to; y++ {
		switch c {
		case CycleQuarterly:
			for q := 1; q <= 4; q++ {
				out = append(out, Period{Kind: PeriodQuarter, Year: y, Number: q})
			}
		case CycleHalfYearly:
			for h := 1; h <= 2; h++ {
				out = append(out, Period{Kind: PeriodHalfYear, Year: y, Number: h})
			}
		default:
			out = append(out, Period{Kind: PeriodYear, Year: y})
		}
	}
	return out
}

// periodEnd returns the last day of a period.
func periodEnd(p Period) vntime.Date {
	switch p.Kind {
	case PeriodQuarter:
		return vntime.QuarterEnd(p.Year, p.Number)
	case PeriodHalfYear:
		return vntime.QuarterEnd(p.Year, 2*p.Number)
	}
	return vntime.YearEnd(p.Year)
}

// Submit records the unit's periodic report: open → submitted.
func (r *DueReport) Submit(narrative string, by Actor, now time.Time) error {
	if r.State == DueReportSubmitted {
		return ErrAlreadySubmitted
	}
	narrative = strings.TrimSpace(vntext.NFC(narrative))
	var v ValidationErrors
	checkText(&v, "narrative", narrative, maxNarrativeLen, "Cần ghi nội dung báo cáo")
	if err := v.Err(); err != nil {
		return err
	}
	r.State, r.SubmitTime, r.Narrative, r.SubmittedBy, r.UpdateTime = DueReportSubmitted, now, narrative, by, now
	return nil
}
