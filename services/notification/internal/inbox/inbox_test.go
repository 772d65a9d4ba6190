package inbox_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/parindex/platform/services/notification/internal/inbox"
)

var ict = time.FixedZone("UTC+7", 7*3600)

func ids() func() string {
	n := 0
	return func() string { n++; return fmt.Sprintf("item-%d", n) }
}

func TestItemsForAssignment(t *testing.T) {
	now := time.Date(2020, 5, 21, 1, 0, 0, 0, time.UTC)
	a := inbox.Assignment{
		TaskID:             "task-1",
		TaskCode:           "III.3",
		Content:            "Rà soát, đơn giản hóa thủ tục hành chính",
		DocumentNumber:     "56/KH-UBND",
		DocumentTitle:      "Kế hoạch cải cách hành chính năm 2020",
		LeadUnitIDs:        []string{"lead"},
		CooperatingUnitIDs: []string{"coop-1", "COOP-2", "coop-1", "lead"},
		// The end of 31/12/2018 in Vietnam is still 31/12 there, though 16:59 UTC.
		Due:          time.Date(2018, 12, 31, 23, 59, 59, 999999999, ict),
		DeadlineText: "Quý IV/2018",
	}
	items, err := inbox.ItemsForAssignment(a, "event-1", now, ids())
	if err != nil {
		t.Fatal(err)
	}
	body := func(role string) string {
		return "Đơn vị được giao " + role + " thực hiện nhiệm vụ III.3 theo Kế hoạch 56/KH-UBND " +
			"(Kế hoạch cải cách hành chính năm 2020): Rà soát, đơn giản hóa thủ tục hành chính\n" +
			"Thời hạn hoàn thành: 31/12/2018 (Quý IV/2018)."
	}
	item := func(id, unit, role string) inbox.Item {
		return inbox.Item{
			ID: id, UnitID: unit, EventID: "event-1", EventType: "tasktracking.v1.task.assigned",
			Title: "Nhiệm vụ mới: III.3 — Kế hoạch 56/KH-UBND", Body: body(role),
			Link: "/nhiem-vu/task-1", CreateTime: now,
		}
	}
	want := []inbox.Item{
		item("item-1", "lead", "chủ trì"),
		item("item-2", "coop-1", "phối hợp"),
		item("item-3", "coop-2", "phối hợp"),
	}
	if diff := cmp.Diff(want, items); diff != "" {
		t.Errorf("items (-want +got):\n%s", diff)
	}
	for _, it := range items {
		if !it.Unread() {
			t.Errorf("%s is read", it.ID)
		}
	}
}

func TestDeadlineWording(t *testing.T) {
	tests := []struct {
		name string
		due  time.Time
		text string
		want string
	}{
		{name: "date whose phrase says more", due: time.Date(2018, 11, 30, 23, 59, 59, 0, ict), text: "Trước ngày 30/11/2018", want: "30/11/2018 (Trước ngày 30/11/2018)"},
		{name: "date given in UTC", due: time.Date(2018, 11, 30, 16, 59, 59, 0, time.UTC), want: "30/11/2018"},
		{name: "phrase equal to the date", due: time.Date(2025, 12, 31, 23, 0, 0, 0, ict), text: "31/12/2025", want: "31/12/2025"},
		{name: "no date: the phrase verbatim", text: "Thường xuyên", want: "Thường xuyên"},
		{name: "nothing", want: "không ghi thời hạn"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			items, err := inbox.ItemsForAssignment(inbox.Assignment{
				TaskID: "t", TaskCode: "1", Content: "c", DocumentNumber: "1/KH",
				LeadUnitIDs: []string{"u"}, Due: tt.due, DeadlineText: tt.text,
			}, "e", time.Now(), ids())
			if err != nil {
				t.Fatal(err)
			}
			suffix := "Thời hạn hoàn thành: " + tt.want + "."
			if !strings.HasSuffix(items[0].Body, suffix) {
				t.Errorf("body = %q, want suffix %q", items[0].Body, suffix)
			}
		})
	}
}

func TestDocumentLabel(t *testing.T) {
	tests := map[string]string{
		"56/KH-UBND":     "Kế hoạch 56/KH-UBND",
		"3373/QĐ-UBND":   "Quyết định 3373/QĐ-UBND",
		"13/CT-UBND":     "Chỉ thị 13/CT-UBND",
		"05/CTr-UBND":    "Chương trình 05/CTr-UBND",
		"1722/UBND-TH":   "Văn bản 1722/UBND-TH",
		"no-slash":       "Văn bản no-slash",
		" 7/kh-snv ":     "Kế hoạch 7/kh-snv",
		"":               "văn bản",
		"12/BC-UBND-VX ": "Báo cáo 12/BC-UBND-VX",
	}
	for number, want := range tests {
		if got := inbox.DocumentLabel(number); got != want {
			t.Errorf("DocumentLabel(%q) = %q, want %q", number, got, want)
		}
	}
}

func TestItemsForAssignmentNeedsIDs(t *testing.T) {
	if _, err := inbox.ItemsForAssignment(inbox.Assignment{LeadUnitIDs: []string{"u"}}, "e", time.Now(), ids()); err == nil {
		t.Error("assignment without a task id accepted")
	}
}
