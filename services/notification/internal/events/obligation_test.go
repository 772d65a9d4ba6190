package events_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/types/known/timestamppb"

	directoryv1 "github.com/parindex/platform/proto/gen/go/par/directory/v1"
	tasktrackingv1 "github.com/parindex/platform/proto/gen/go/par/tasktracking/v1"
)

// TestObligationNotices: a periodic report a document requires of a unit reaches that unit's
// inbox when it comes due; when it is overdue the notice is urgent and the secretariat is
// told too. The period and the deadline are worded in Vietnamese, and a redelivery adds
// nothing.
func TestObligationNotices(t *testing.T) {
	h, pool, dir := newHandlerDir(t)
	unit := uuid.NewString()
	secretary := uuid.NewString()
	dir.AddUser(uuid.NewString(), unit, "", "Cán bộ Sở Tư pháp", directoryv1.Role_ROLE_UNIT_STAFF)
	dir.AddUser(secretary, uuid.NewString(), "", "Sở Nội vụ", directoryv1.Role_ROLE_SECRETARIAT)
	due := &tasktrackingv1.DueReport{
		Id: uuid.NewString(), ObligationId: uuid.NewString(), DocumentId: uuid.NewString(), UnitId: unit,
		Period:  &tasktrackingv1.Period{Kind: tasktrackingv1.PeriodKind_PERIOD_KIND_QUARTER, Year: 2026, Number: 2},
		DueTime: timestamppb.New(time.Date(2026, 6, 15, 16, 59, 59, 0, time.UTC)), // 23:59:59 on 15/06 in Hà Nội
	}
	ev := &tasktrackingv1.ObligationReportDue{DueReport: due, DocumentNumber: "56/KH-UBND",
		DocumentTitle: "Kế hoạch cải cách hành chính năm 2026", LeadSeconds: 3 * 86400}

	soon := uuid.NewString()
	for range 2 {
		if err := handle(t, h, pool, "tasktracking.v1.obligation.report_due", soon, ev); err != nil {
			t.Fatal(err)
		}
	}
	var title, body string
	var urgent bool
	if err := pool.QueryRow(t.Context(), `SELECT title, body, urgent FROM inbox_items
		WHERE event_id = $1 AND unit_id = $2 AND user_id IS NULL`, soon, unit).Scan(&title, &body, &urgent); err != nil {
		t.Fatalf("unit's item: %v", err)
	}
	for _, w := range []string{"quý II/2026", "56/KH-UBND", "15/06/2026"} {
		if !strings.Contains(title+" "+body, w) {
			t.Errorf("item %q / %q lacks %q", title, body, w)
		}
	}
	if urgent {
		t.Error("a report coming due is not urgent")
	}
	if n := count(t, pool, `SELECT count(*) FROM inbox_items WHERE event_id = $1`, soon); n != 1 {
		t.Errorf("due-soon items: %d, want 1 (the reporting unit, once)", n)
	}

	ev.LeadSeconds = 0
	late := uuid.NewString()
	if err := handle(t, h, pool, "tasktracking.v1.obligation.overdue", late, ev); err != nil {
		t.Fatal(err)
	}
	if n := count(t, pool, `SELECT count(*) FROM inbox_items WHERE event_id = $1 AND unit_id = $2 AND urgent`, late, unit); n != 1 {
		t.Errorf("urgent unit items: %d, want 1", n)
	}
	if n := count(t, pool, `SELECT count(*) FROM inbox_items WHERE event_id = $1 AND user_id = $2`, late, secretary); n != 1 {
		t.Errorf("secretariat's items: %d, want 1", n)
	}
	if err := handle(t, h, pool, "tasktracking.v1.obligation.overdue", uuid.NewString(),
		&tasktrackingv1.ObligationReportDue{DueReport: &tasktrackingv1.DueReport{Id: uuid.NewString()}}); err == nil {
		t.Error("a notice naming no reporting unit was accepted")
	}
}
