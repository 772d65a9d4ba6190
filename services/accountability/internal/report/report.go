// Package report compiles the report of seed 002 (QĐ 3373/QĐ-UBND) Art. 20.2: within 30
// days after the Ministry publishes the provincial index, the Department of Home Affairs
// reports to the provincial committee the rises and falls of every field, criterion and
// sub-criterion, the list of heads who must explain, the compiled explanations, and (Art.
// 20.3–20.5) the evaluations of heads and the proposals of sanctions and commendation.
package report

import (
	"bytes"
	"fmt"
	"html/template"
	"time"

	"github.com/parindex/platform/services/accountability/internal/evaluation"
	"github.com/parindex/platform/services/accountability/internal/explanation"
	"github.com/parindex/platform/services/accountability/internal/tabular"
	"github.com/parindex/platform/services/kit/vntime"
)

// LegalBasis of the report.
const LegalBasis = "Điều 20 khoản 2 Quyết định 3373/QĐ-UBND"

// Change is one node's movement.
type Change struct {
	Code, Name             string
	PreviousScore, Score   string
	Delta                  string // e.g. "-0.75"
	Direction              string // "tăng", "giảm", "giữ nguyên", "không so sánh được"
	OwnerUnitID, OwnerName string
}

// Report is the Art. 20.2 report of one province and year.
type Report struct {
	ProvinceUnitID string
	Year           int
	Decision       string
	PublishDate    string // ISO
	Deadline       string // ISO: publication + 30 days
	Total          string
	PreviousTotal  string
	Changes        []Change
	Explanations   []explanation.Explanation
	Evaluations    []evaluation.HeadEvaluation
	Proposals      []evaluation.SanctionProposal
	// DistrictReports are the districts' reports on their communes' chairmen (Art. 21.4).
	DistrictReports []evaluation.DistrictReport
	// UnitNames maps unit ids to names where the directory gave them.
	UnitNames map[string]string
}

// Build computes the changes from the provincial result.
func Build(r explanation.PublishedResult, owner func(code string) string) Report {
	pub := vntime.DateOf(r.PublishTime)
	rep := Report{ProvinceUnitID: r.UnitID, Year: r.Year, Decision: r.Decision, PublishDate: pub.ISO(),
		Deadline: pub.AddDays(30).ISO(), Total: r.Total, PreviousTotal: r.PrevTotal}
	for _, n := range r.Nodes {
		c := Change{Code: n.Code, Name: n.Name, PreviousScore: n.PreviousScore, Score: n.Score, OwnerUnitID: owner(n.Code)}
		cur, ok1 := explanation.Cents(n.Score)
		prev, ok2 := explanation.Cents(n.PreviousScore)
		switch {
		case !ok1 || !ok2:
			c.Direction = "không so sánh được"
		case cur > prev:
			c.Direction = "tăng"
		case cur < prev:
			c.Direction = "giảm"
		default:
			c.Direction = "giữ nguyên"
		}
		if ok1 && ok2 {
			c.Delta = fmt.Sprintf("%+.2f", float64(cur-prev)/100)
		}
		rep.Changes = append(rep.Changes, c)
	}
	return rep
}

func (r Report) name(id string) string {
	if n := r.UnitNames[id]; n != "" {
		return n
	}
	return id
}

var statusVN = map[explanation.Status]string{
	explanation.StatusRequested: "Chờ giải trình", explanation.StatusSubmitted: "Đã gửi, chờ xem xét",
	explanation.StatusReturned: "Trả lại bổ sung", explanation.StatusConcluded: "Đã kết luận",
}

var tierVN = map[string]string{
	evaluation.TierExcellent: "Hoàn thành xuất sắc nhiệm vụ", evaluation.TierGood: "Hoàn thành tốt nhiệm vụ",
	evaluation.TierCompleted: "Hoàn thành nhiệm vụ", evaluation.TierNotCompleted: "Không hoàn thành nhiệm vụ",
}

var kindVN = map[string]string{
	evaluation.KindWrittenCriticism: "Phê bình bằng văn bản", evaluation.KindWrittenNotice: "Thông báo bằng văn bản",
	evaluation.KindReportToParty:    "Báo cáo Ban Thường vụ Tỉnh ủy xem xét công tác cán bộ",
	evaluation.KindCommuneCriticism: "Phê bình (cấp xã)", evaluation.KindCommuneDiscipl: "Xem xét xử lý (cấp xã)",
	evaluation.KindCommendation: "Đề nghị khen thưởng",
}

func vnDate(iso string) string {
	d, err := vntime.ParseISO(iso)
	if err != nil {
		return iso
	}
	return d.VN()
}

func causes(e explanation.Explanation) string {
	switch e.CauseOf(e.NodeCode) {
	case explanation.CauseObjective:
		return "Khách quan"
	case explanation.CauseSubjective:
		return "Chủ quan"
	}
	return ""
}

// Sheets returns the report as workbook sheets, Vietnamese headers.
func (r Report) Sheets() []tabular.Sheet {
	changes := [][]string{{"Mã", "Lĩnh vực/tiêu chí", "Điểm năm trước", "Điểm năm nay", "Tăng/giảm", "Xu hướng", "Đơn vị chủ trì"}}
	for _, c := range r.Changes {
		changes = append(changes, []string{c.Code, c.Name, c.PreviousScore, c.Score, c.Delta, c.Direction, r.name(c.OwnerUnitID)})
	}
	// One sheet per ground (Art. 20.2 asks for the list of those who must explain): the
	// committee must see which requests come from the provincial index through the matrix
	// and which from the units' own indexes (Art. 15.7) or by hand.
	sections := map[explanation.Scope][][]string{}
	for _, sec := range explanationSections {
		sections[sec.scope] = [][]string{{"Mã mục", "Nội dung", "Đơn vị", "Người đứng đầu", "Căn cứ", "Hạn", "Trạng thái", "Quá hạn", "Nguyên nhân xác định", "Kết luận"}}
	}
	for _, e := range r.Explanations {
		overdue := ""
		if !e.OverdueTime.IsZero() {
			overdue = "Quá hạn"
		}
		sc := e.Scope()
		if sc == explanation.ScopeConduct {
			sc = explanation.ScopeCommittee // one sheet for both kinds of manual request
		}
		sections[sc] = append(sections[sc], []string{e.NodeCode, e.Title, r.name(e.UnitID), e.HeadName, e.LegalBasis, vnDate(e.DueDate),
			statusVN[e.Status], overdue, causes(e), e.Conclusion})
	}
	evals := [][]string{{"Đơn vị", "Người đứng đầu", "Xếp loại", "Quy tắc", "Căn cứ", "Lý do", "Công bố"}}
	for _, e := range r.Evaluations {
		pub := "Dự thảo"
		if !e.PublishTime.IsZero() {
			pub = "Đã công bố"
		}
		evals = append(evals, []string{r.name(e.UnitID), e.HeadName, tierVN[e.Result.Tier], e.Result.Rule, e.Result.LegalBasis, e.Result.Explanation, pub})
	}
	props := [][]string{{"Đơn vị", "Người đứng đầu", "Hình thức", "Căn cứ", "Chứng cứ", "Trạng thái", "Quyết định"}}
	for _, p := range r.Proposals {
		ev := ""
		for i, s := range p.Evidence {
			if i > 0 {
				ev += "; "
			}
			ev += s
		}
		props = append(props, []string{r.name(p.UnitID), p.HeadName, kindVN[p.Kind], p.LegalBasis, ev, p.Status, p.DecisionNote})
	}
	districts := [][]string{{"Huyện", "Số báo cáo", "Lần gửi", "Ngày gửi", "Xuất sắc", "Tốt", "Hoàn thành", "Không hoàn thành", "Đã xử lý/đề xuất (Điều 19.2)", "Căn cứ"}}
	for _, d := range r.DistrictReports {
		row := []string{r.name(d.DistrictUnitID), d.DocumentNumber, fmt.Sprint(d.Revision), vntime.DateOf(d.SubmitTime).VN()}
		for _, c := range d.Counts() {
			row = append(row, fmt.Sprint(c.Count))
		}
		decided, proposed := 0, 0
		for _, l := range d.Lines {
			for _, h := range l.Handling {
				proposed++
				if h.Status != evaluation.StatusProposed {
					decided++
				}
			}
		}
		districts = append(districts, append(row, fmt.Sprintf("%d/%d", decided, proposed), evaluation.DistrictReportBasis))
	}
	head := [][]string{
		{"Báo cáo kết quả Chỉ số cải cách hành chính và trách nhiệm giải trình", ""},
		{"Căn cứ", LegalBasis},
		{"Năm đánh giá", fmt.Sprint(r.Year)},
		{"Quyết định công bố", r.Decision},
		{"Ngày công bố", vnDate(r.PublishDate)},
		{"Hạn báo cáo (30 ngày)", vnDate(r.Deadline)},
		{"Tổng điểm năm nay / năm trước", r.Total + " / " + r.PreviousTotal},
	}
	for _, sec := range explanationSections {
		head = append(head, []string{sec.count, fmt.Sprint(len(sections[sec.scope]) - 1)})
	}
	sheets := []tabular.Sheet{
		{Name: "Tổng quan", Records: head},
		{Name: "Tăng giảm điểm", Records: changes},
	}
	for _, sec := range explanationSections {
		sheets = append(sheets, tabular.Sheet{Name: sec.sheet, Records: sections[sec.scope]})
	}
	return append(sheets, []tabular.Sheet{
		{Name: "Đánh giá người đứng đầu", Records: evals},
		{Name: "Đề xuất xử lý, khen thưởng", Records: props},
		{Name: "Báo cáo cấp huyện", Records: districts},
	}...)
}

// explanationSections are the report's sections of explanation requests, by ground; sheet
// names stay within the 31 characters a workbook allows.
var explanationSections = []struct {
	scope        explanation.Scope
	sheet, count string
}{
	{explanation.ScopeProvincialIndex, "Giải trình - Chỉ số tỉnh", "Yêu cầu giải trình theo Chỉ số CCHC tỉnh (Điều 14 khoản 1, Điều 15 khoản 1–6)"},
	{explanation.ScopeOwnIndex, "Giải trình - Chỉ số đơn vị", "Yêu cầu giải trình theo Chỉ số CCHC của đơn vị (Điều 15 khoản 7)"},
	{explanation.ScopeCommittee, "Giải trình theo yêu cầu", "Yêu cầu giải trình theo yêu cầu của UBND tỉnh hoặc về trách nhiệm cán bộ (Điều 12 khoản 2, Điều 14 khoản 2)"},
}

// XLSX returns the report as a workbook.
func (r Report) XLSX() ([]byte, error) { return tabular.WriteXLSX(r.Sheets()...) }

var page = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="vi"><head><meta charset="utf-8"><title>Báo cáo năm {{.Year}}</title>
<style>body{font-family:"Times New Roman",serif;margin:2cm}table{border-collapse:collapse;width:100%;margin-bottom:1.5em}
td,th{border:1px solid #000;padding:4px;vertical-align:top;font-size:12pt}h1{text-align:center;font-size:15pt}h2{font-size:13pt}
@media print{h2{page-break-before:auto}}</style></head><body>
<h1>BÁO CÁO KẾT QUẢ CHỈ SỐ CẢI CÁCH HÀNH CHÍNH NĂM {{.Year}} VÀ TRÁCH NHIỆM GIẢI TRÌNH</h1>
<p>(Theo {{.Basis}}; hạn báo cáo: {{.Deadline}})</p>
{{range .Sheets}}<h2>{{.Name}}</h2><table>{{range $i, $row := .Records}}<tr>{{range $row}}{{if eq $i 0}}<th>{{.}}</th>{{else}}<td>{{.}}</td>{{end}}{{end}}</tr>{{end}}</table>
{{end}}<p>Thời điểm lập: {{.Generated}}</p></body></html>`))

// HTML returns a printable document.
func (r Report) HTML(now time.Time) ([]byte, error) {
	var buf bytes.Buffer
	err := page.Execute(&buf, map[string]any{
		"Year": r.Year, "Basis": LegalBasis, "Deadline": vnDate(r.Deadline), "Sheets": r.Sheets(),
		"Generated": now.In(time.FixedZone("ICT", 7*3600)).Format("15:04 02/01/2006"),
	})
	return buf.Bytes(), err
}
