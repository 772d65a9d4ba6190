package postgres

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	parscoringv1 "github.com/parindex/platform/proto/gen/go/par/parscoring/v1"
	"github.com/parindex/platform/services/kit/pg/pgtest"
	"github.com/parindex/platform/services/parscoring/internal/app"
	"github.com/parindex/platform/services/parscoring/internal/methodology"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func newStore(t *testing.T) *Store {
	t.Helper()
	return NewStore(pgtest.NewPool(t, Migrations()))
}

// validSet returns a validated set with three levels, a bonus item and a penalty item,
// so every column makes the round trip.
func validSet(t *testing.T, year int, decision string) methodology.CriteriaSet {
	t.Helper()
	p := methodology.MustParsePoints
	set, err := methodology.NewCriteriaSet(methodology.CriteriaSet{
		Year: year, SubjectKind: "department", Name: "Chỉ số CCHC cấp sở " + fmt.Sprint(year), Decision: decision,
		MaxPoints: p("20"),
		Nodes: []methodology.Node{
			{Code: "1", Name: "Công tác chỉ đạo, điều hành", MaxPoints: p("8.5")},
			{Code: "2", Name: "Hiện đại hóa hành chính", MaxPoints: p("11.50"), Guidance: "Chấm theo tỷ lệ hồ sơ trực tuyến"},
			{Code: "1.1", ParentCode: "1", Name: "Kế hoạch CCHC năm", MaxPoints: p("3.25"), RequiredEvidence: "Quyết định ban hành kế hoạch"},
			{Code: "1.2", ParentCode: "1", Name: "Mức độ hài lòng", MaxPoints: p("5.25"), PointSource: methodology.SourceSurvey},
			{Code: "1.3", ParentCode: "1", Name: "Sáng kiến mới", MaxPoints: p("0.5"), Bonus: true},
			{Code: "1.4", ParentCode: "1", Name: "Chậm báo cáo", MaxPoints: p("-1")},
			{Code: "2.1", ParentCode: "2", Name: "Dịch vụ công trực tuyến", MaxPoints: p("11.50"), Position: 3},
			{Code: "2.1.a", ParentCode: "2.1", Name: "Mức độ 3", MaxPoints: p("11.50"), PointSource: methodology.SourceImported},
		},
	})
	if err != nil {
		t.Fatalf("fixture: %v", err)
	}
	id, _ := uuid.NewV7()
	set.ID = id.String()
	set.CreateTime = time.Date(2024, 1, 15, 3, 4, 5, 123456000, time.UTC)
	return set
}

func TestCreateAndGet(t *testing.T) {
	s := newStore(t)
	want := validSet(t, 2024, "123/QĐ-UBND")
	if err := s.CreateCriteriaSet(t.Context(), want); err != nil {
		t.Fatalf("CreateCriteriaSet: %v", err)
	}
	got, err := s.CriteriaSet(t.Context(), want.ID)
	if err != nil {
		t.Fatalf("CriteriaSet: %v", err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}

func TestCreateWritesEventInSameTransaction(t *testing.T) {
	pool := pgtestPool(t)
	s := NewStore(pool)
	set := validSet(t, 2024, "")
	if err := s.CreateCriteriaSet(t.Context(), set); err != nil {
		t.Fatal(err)
	}
	// The same year, kind and decision again: nothing is written, no second event.
	again := validSet(t, 2024, "")
	if err := s.CreateCriteriaSet(t.Context(), again); !errors.Is(err, methodology.ErrAlreadyExists) {
		t.Fatalf("second create: err = %v, want ErrAlreadyExists", err)
	}
	if _, err := s.CriteriaSet(t.Context(), again.ID); !errors.Is(err, methodology.ErrNotFound) {
		t.Errorf("rejected set is readable: %v", err)
	}

	rows, err := pool.Query(t.Context(), `SELECT subject, event_type, payload FROM outbox_events ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var n int
	for rows.Next() {
		n++
		var subject, eventType string
		var payload []byte
		if err := rows.Scan(&subject, &eventType, &payload); err != nil {
			t.Fatal(err)
		}
		if subject != SubjectCriteriaSetCreated || eventType != "par.parscoring.v1.CriteriaSetCreated" {
			t.Errorf("event %s %s", subject, eventType)
		}
		var ev parscoringv1.CriteriaSetCreated
		if err := proto.Unmarshal(payload, &ev); err != nil {
			t.Fatal(err)
		}
		want := &parscoringv1.CriteriaSetCreated{CriteriaSet: &parscoringv1.CriteriaSet{
			Id: set.ID, Year: 2024, SubjectKind: "department", Name: set.Name, MaxPoints: "20.00",
			CreateTime: ev.GetCriteriaSet().GetCreateTime(), Valid: true, Complete: true,
		}}
		if diff := cmp.Diff(want, &ev, protocmp.Transform()); diff != "" {
			t.Errorf("event (-want +got):\n%s", diff)
		}
		if !ev.GetCriteriaSet().GetCreateTime().AsTime().Equal(set.CreateTime) {
			t.Errorf("event create_time %v, want %v", ev.GetCriteriaSet().GetCreateTime().AsTime(), set.CreateTime)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("%d events, want 1", n)
	}
}

func TestGetUnknown(t *testing.T) {
	s := newStore(t)
	if _, err := s.CriteriaSet(t.Context(), uuid.NewString()); !errors.Is(err, methodology.ErrNotFound) {
		t.Errorf("err = %v, want ErrNotFound", err)
	}
}

func TestList(t *testing.T) {
	s := newStore(t)
	var created []methodology.CriteriaSet
	for _, y := range []int{2022, 2024, 2023, 2024} {
		set := validSet(t, y, fmt.Sprintf("%d/QĐ-UBND", len(created)+1))
		if err := s.CreateCriteriaSet(t.Context(), set); err != nil {
			t.Fatal(err)
		}
		created = append(created, set)
	}
	ids := func(sets []methodology.CriteriaSet) []string {
		out := make([]string, len(sets))
		for i, s := range sets {
			out[i] = s.ID
			// Lists carry the nodes so that completeness can be worked out.
			if len(s.Nodes) != len(created[0].Nodes) {
				t.Errorf("list returned %d nodes of %s", len(s.Nodes), s.ID)
			}
		}
		return out
	}
	// Newest year first; within 2024 the later set (larger UUIDv7) first.
	all := []string{created[3].ID, created[1].ID, created[2].ID, created[0].ID}

	tests := []struct {
		name string
		q    app.ListQuery
		want []string
	}{
		{"all", app.ListQuery{Limit: 10}, all},
		{"year", app.ListQuery{Year: 2024, Limit: 10}, all[:2]},
		{"kind", app.ListQuery{SubjectKind: "district", Limit: 10}, []string{}},
		{"limit", app.ListQuery{Limit: 2}, all[:2]},
		{"after", app.ListQuery{After: &app.ListCursor{Year: 2024, ID: all[1]}, Limit: 10}, all[2:]},
		{"after within year", app.ListQuery{After: &app.ListCursor{Year: 2024, ID: all[0]}, Limit: 1}, all[1:2]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.ListCriteriaSets(t.Context(), tt.q)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, ids(got)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func pgtestPool(t *testing.T) *pgxpool.Pool {
	t.Helper()
	return pgtest.NewPool(t, Migrations())
}

// TestListReportsSetsStoredInvalid: a set stored without validation (under older rules, or
// by another path) is listed with its nodes, so that its broken sum shows.
func TestListReportsSetsStoredInvalid(t *testing.T) {
	s := newStore(t)
	good := validSet(t, 2024, "1/QĐ-UBND")
	broken := validSet(t, 2025, "2/QĐ-UBND")
	broken.Nodes[2].MaxPoints = methodology.MustParsePoints("3") // 1.1 no longer adds up to field 1
	for _, set := range []methodology.CriteriaSet{good, broken} {
		if err := s.CreateCriteriaSet(t.Context(), set); err != nil {
			t.Fatal(err)
		}
	}
	svc := app.New(s, nil)
	page, err := svc.ListCriteriaSets(t.Context(), app.ListCriteriaSetsQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Sets) != 2 || len(page.Sets[0].Nodes) != len(broken.Nodes) || len(page.Sets[1].Nodes) != len(good.Nodes) {
		t.Fatalf("sets = %+v", page.Sets)
	}
	if st := page.Sets[0].Status(); st.Valid() || len(st.Problems) != 1 || st.Problems[0].Field != "nodes[0].max_points" {
		t.Errorf("broken set status = %+v", st)
	}
	if st := page.Sets[1].Status(); !st.Complete() {
		t.Errorf("good set status = %+v", st)
	}
}
