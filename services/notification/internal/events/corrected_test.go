package events_test

import (
	"strings"
	"testing"

	"github.com/google/uuid"

	directoryv1 "github.com/parindex/platform/proto/gen/go/par/directory/v1"
	parscoringv1 "github.com/parindex/platform/proto/gen/go/par/parscoring/v1"
)

// TestResultsCorrectedReachesCorrectedUnits: a correction of published results tells the
// units whose scores changed (not the others), and the leadership, why, in Vietnamese; a
// redelivery adds nothing, and a correction naming no snapshot is refused.
func TestResultsCorrectedReachesCorrectedUnits(t *testing.T) {
	h, pool, dir := newHandlerDir(t)
	corrected, untouched := uuid.NewString(), uuid.NewString()
	leader := uuid.NewString()
	dir.AddUser(leader, uuid.NewString(), "", "Chủ tịch UBND tỉnh", directoryv1.Role_ROLE_LEADERSHIP)
	ev := &parscoringv1.ResultsCorrected{SnapshotId: uuid.NewString(), SupersededSnapshotId: uuid.NewString(), Year: 2024,
		SubjectKind: "department", Version: 2, Reason: "Sai sót khi nhập điểm tiêu chí 3.1.2", CorrectedUnitIds: []string{corrected}}
	id := uuid.NewString()
	for range 2 {
		if err := handle(t, h, pool, "parscoring.v1.results.corrected", id, ev); err != nil {
			t.Fatal(err)
		}
	}
	got := inboxUnits(t, pool, id)
	if len(got) != 1 || got[corrected] == "" {
		t.Fatalf("unit items %v, want the corrected unit's only (not %s)", got, untouched)
	}
	for _, w := range []string{"năm 2024 đã được điều chỉnh", "lý do: Sai sót khi nhập điểm tiêu chí 3.1.2"} {
		if !strings.Contains(got[corrected], w) {
			t.Errorf("body %q lacks %q", got[corrected], w)
		}
	}
	if n := count(t, pool, `SELECT count(*) FROM inbox_items WHERE event_id = $1 AND user_id = $2`, id, leader); n != 1 {
		t.Errorf("leadership's items: %d, want 1", n)
	}
	if err := handle(t, h, pool, "parscoring.v1.results.corrected", uuid.NewString(), &parscoringv1.ResultsCorrected{Year: 2024}); err == nil {
		t.Error("a correction naming no snapshot was accepted")
	}
}
