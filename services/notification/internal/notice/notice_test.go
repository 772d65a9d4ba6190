package notice_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/parindex/platform/services/kit/vntext"
	"github.com/parindex/platform/services/notification/internal/notice"
)

var ict = time.FixedZone("UTC+7", 7*3600)

// taskFacts is task III.3 of Plan 56/KH-UBND, due at the end of Quarter IV/2018 in Vietnam
// (still 31/12 there, though 16:59 UTC).
var taskFacts = notice.Facts{
	TaskID: "task-1", OccurrenceID: "occ-1", TaskCode: "III.3",
	Content:        "Rà soát, đơn giản hóa thủ tục hành chính",
	DocumentNumber: "56/KH-UBND", DocumentTitle: "Kế hoạch cải cách hành chính năm 2020",
	LeadUnitIDs: []string{"lead"}, CooperatingUnitIDs: []string{"coop-1", "COOP-2", "coop-1", "lead"},
	Due:          time.Date(2018, 12, 31, 23, 59, 59, 999999999, ict),
	DeadlineText: "Quý IV/2018",
}

var explanationFacts = notice.Facts{
	RecordID: "x-1", Year: 2024, NodeCode: "5.2", Title: "Tỷ lệ hồ sơ giải quyết đúng hạn",
	UnitID: "unit-1", HeadName: "Nguyễn Văn Đức", Due: time.Date(2025, 3, 31, 23, 59, 59, 0, ict),
	Reason: "Chỉ số thành phần giảm 3 bậc",
}

func TestRulesAreComplete(t *testing.T) {
	rules := notice.DefaultRules()
	want := []string{
		"tasktracking.v1.task.assigned", "tasktracking.v1.occurrence.due_soon", "tasktracking.v1.occurrence.overdue",
		"tasktracking.v1.extension.decided", "tasktracking.v1.report.due", "parscoring.v1.results.published", "parscoring.v1.results.corrected",
		"accountability.v1.explanation.requested", "accountability.v1.explanation.returned",
		"accountability.v1.explanation.overdue", "accountability.v1.explanation.concluded",
		"accountability.v1.evaluation.published", "accountability.v1.sanction.proposed",
	}
	for _, ev := range want {
		r, ok := rules.For(ev)
		if !ok || len(r.Audiences) == 0 {
			t.Errorf("%s: no rule telling anyone", ev)
		}
	}
	for _, ev := range []string{"tasktracking.v1.occurrence.overdue", "accountability.v1.explanation.requested"} {
		if r, _ := rules.For(ev); !r.Urgent || r.Escalate == "" {
			t.Errorf("%s must be urgent and escalated: %+v", ev, r)
		}
	}
	if r, _ := rules.For("accountability.v1.explanation.submitted"); r.Reaction != "explanation" {
		t.Errorf("explanation.submitted must end the explanation watch: %+v", r)
	}
}

func TestParseRulesRejectsMistakes(t *testing.T) {
	for name, doc := range map[string]string{
		"unknown audience": `{"rules":[{"event":"tasktracking.v1.task.assigned","audiences":["everyone"]}]}`,
		"twice":            `{"rules":[{"event":"tasktracking.v1.report.due"},{"event":"tasktracking.v1.report.due"}]}`,
		"no template":      `{"rules":[{"event":"x.v1.y","audiences":["secretariat"]}]}`,
		"not JSON":         `rules:`,
	} {
		if _, err := notice.ParseRules([]byte(doc)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestUnitsOnceInFirstRole(t *testing.T) {
	r, _ := notice.DefaultRules().For("tasktracking.v1.task.assigned")
	want := []notice.Recipient{{UnitID: "lead", Role: "chủ trì"}, {UnitID: "coop-1", Role: "phối hợp"}, {UnitID: "coop-2", Role: "phối hợp"}}
	if diff := cmp.Diff(want, r.Units(taskFacts)); diff != "" {
		t.Error(diff)
	}
}

func TestRenderTaskAssigned(t *testing.T) {
	m, err := notice.Render("tasktracking.v1.task.assigned", notice.ChannelInbox, taskFacts, notice.Recipient{UnitID: "lead", Role: "chủ trì"}, "https://par.example.gov.vn/")
	if err != nil {
		t.Fatal(err)
	}
	want := notice.Message{
		Title: "Nhiệm vụ mới: III.3 — Kế hoạch 56/KH-UBND",
		Body: "Đơn vị được giao chủ trì thực hiện nhiệm vụ III.3 theo Kế hoạch 56/KH-UBND " +
			"(Kế hoạch cải cách hành chính năm 2020): Rà soát, đơn giản hóa thủ tục hành chính\n" +
			"Thời hạn hoàn thành: 31/12/2018 (Quý IV/2018).",
		Link: "/nhiem-vu/task-1",
	}
	if diff := cmp.Diff(want, m); diff != "" {
		t.Error(diff)
	}
	mail, err := notice.Render("tasktracking.v1.task.assigned", notice.ChannelEmail, taskFacts, notice.Recipient{Role: "phối hợp"}, "https://par.example.gov.vn/")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(mail.Body, "phối hợp") || !strings.Contains(mail.Body, "Xem chi tiết: https://par.example.gov.vn/nhiem-vu/task-1") {
		t.Errorf("e-mail body %q", mail.Body)
	}
}

// TestEveryTemplateReadsAsVietnamese renders every event on both channels and checks what
// people read: NFC text, the expected words with their diacritics, dates as dd/mm/yyyy, no
// template leftovers.
func TestEveryTemplateReadsAsVietnamese(t *testing.T) {
	results := notice.Facts{RecordID: "snap-1", Year: 2024, Decision: "Quyết định 123/QĐ-UBND", ScoredUnitIDs: []string{"u1"}}
	evaluation := notice.Facts{RecordID: "ev-1", Year: 2024, UnitID: "u1", HeadName: "Trần Thị Hương", Tier: "Hoàn thành tốt nhiệm vụ"}
	sanction := notice.Facts{RecordID: "sp-1", Year: 2024, UnitID: "u1", HeadName: "Lê Văn Bình", Kind: "Phê bình bằng văn bản",
		LegalBasis: "Điều 19 khoản 1 điểm a Quyết định 3373/QĐ-UBND"}
	extension := taskFacts
	extension.ExtensionApproved = true
	tests := []struct {
		event string
		facts notice.Facts
		words []string
	}{
		{"tasktracking.v1.task.assigned", taskFacts, []string{"Nhiệm vụ mới", "chủ trì", "31/12/2018"}},
		{"tasktracking.v1.occurrence.due_soon", taskFacts, []string{"Sắp đến hạn", "sắp đến hạn hoàn thành: 31/12/2018"}},
		{"tasktracking.v1.occurrence.overdue", taskFacts, []string{"Quá hạn", "đã quá hạn hoàn thành ngày 31/12/2018"}},
		{"tasktracking.v1.extension.decided", extension, []string{"Đồng ý gia hạn", "thời hạn mới: 31/12/2018"}},
		{"tasktracking.v1.report.due", taskFacts, []string{"Đến kỳ báo cáo", "hạn báo cáo: 31/12/2018"}},
		{"parscoring.v1.results.published", results, []string{"Công bố kết quả Chỉ số cải cách hành chính năm 2024", "Quyết định 123/QĐ-UBND"}},
		{"parscoring.v1.results.corrected", notice.Facts{RecordID: "snap-2", Year: 2024, Reason: "Sai sót khi nhập điểm tiêu chí 3.1.2", ScoredUnitIDs: []string{"u1"}},
			[]string{"Điều chỉnh kết quả Chỉ số cải cách hành chính năm 2024", "lý do: Sai sót khi nhập điểm tiêu chí 3.1.2", "thứ hạng"}},
		{"accountability.v1.explanation.requested", explanationFacts, []string{"Yêu cầu giải trình: Tỷ lệ hồ sơ giải quyết đúng hạn", "Nguyễn Văn Đức", "31/03/2025", "Lý do: Chỉ số thành phần giảm 3 bậc"}},
		{"accountability.v1.explanation.returned", explanationFacts, []string{"Giải trình bị trả lại", "hạn gửi lại: 31/03/2025"}},
		{"accountability.v1.explanation.overdue", explanationFacts, []string{"Quá hạn giải trình", "(hạn 31/03/2025)"}},
		{"accountability.v1.explanation.concluded", explanationFacts, []string{"Kết luận giải trình", "lộ trình khắc phục"}},
		{"accountability.v1.evaluation.published", evaluation, []string{"Kết quả đánh giá người đứng đầu năm 2024", "Hoàn thành tốt nhiệm vụ"}},
		{"accountability.v1.sanction.proposed", sanction, []string{"Đề xuất xem xét trách nhiệm", "Phê bình bằng văn bản", "Điều 19"}},
	}
	for _, tt := range tests {
		for _, ch := range []string{notice.ChannelInbox, notice.ChannelEmail} {
			m, err := notice.Render(tt.event, ch, tt.facts, notice.Recipient{Role: "chủ trì"}, "https://par.example.gov.vn")
			if err != nil {
				t.Fatalf("%s %s: %v", tt.event, ch, err)
			}
			text := m.Title + "\n" + m.Body
			if vntext.NFC(text) != text {
				t.Errorf("%s %s: not NFC: %q", tt.event, ch, text)
			}
			for _, w := range tt.words {
				if !strings.Contains(text, w) {
					t.Errorf("%s %s: %q lacks %q", tt.event, ch, text, w)
				}
			}
			if strings.Contains(text, "<no value>") || strings.Contains(text, "{{") || !strings.HasPrefix(m.Link, "/") {
				t.Errorf("%s %s: template leftovers: %q link %q", tt.event, ch, text, m.Link)
			}
			if ch == notice.ChannelEmail && !strings.Contains(m.Body, "https://par.example.gov.vn"+m.Link) {
				t.Errorf("%s: e-mail lacks the portal link: %q", tt.event, m.Body)
			}
		}
	}
}

func TestBackoffGrowsWithJitterAndCap(t *testing.T) {
	for n := 1; n <= 12; n++ {
		d := notice.Backoff(n, time.Second, time.Minute)
		ceiling := min(time.Second<<(n-1), time.Minute)
		if d < ceiling/2 || d > ceiling {
			t.Errorf("Backoff(%d) = %v, want within [%v, %v]", n, d, ceiling/2, ceiling)
		}
	}
}
