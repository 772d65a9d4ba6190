package postgres

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/timestamppb"

	accountabilityv1 "github.com/parindex/platform/proto/gen/go/par/accountability/v1"
	"github.com/parindex/platform/services/accountability/internal/responsibility"
	"github.com/parindex/platform/services/kit/pg/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// matrix returns a validated matrix over fresh unit ids.
func matrix(t *testing.T, province string, year int, codes ...string) responsibility.Matrix {
	t.Helper()
	draft := responsibility.Matrix{ProvinceUnitID: province, Year: year, UnitsOwnIndex: true,
		UpdateTime: time.Date(2025, 4, 30, 1, 2, 3, 456789000, time.UTC)}
	for i, c := range codes {
		e := responsibility.Entry{NodeCode: c, OwnerUnitID: uuid.NewString()}
		if i%2 == 1 {
			e.CooperatingUnitIDs = []string{uuid.NewString(), uuid.NewString()}
		}
		draft.Entries = append(draft.Entries, e)
	}
	m, err := responsibility.NewMatrix(draft)
	if err != nil {
		t.Fatalf("fixture: %v", err)
	}
	return m
}

func TestPutGetReplace(t *testing.T) {
	pool := pgtest.NewPool(t, Migrations())
	s := NewStore(pool)
	province := uuid.NewString()

	if _, err := s.Matrix(t.Context(), province, 2024); !errors.Is(err, responsibility.ErrNotFound) {
		t.Fatalf("before put: err = %v, want ErrNotFound", err)
	}

	first := matrix(t, province, 2024, "1", "2", "3", "3.2", "8")
	if err := s.PutMatrix(t.Context(), first); err != nil {
		t.Fatalf("PutMatrix: %v", err)
	}
	got, err := s.Matrix(t.Context(), province, 2024)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(first, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}

	// Replacing drops entries not given again; other years are untouched.
	other := matrix(t, province, 2023, "1")
	if err := s.PutMatrix(t.Context(), other); err != nil {
		t.Fatal(err)
	}
	second := matrix(t, province, 2024, "8", "1")
	second.UnitsOwnIndex = false
	if err := s.PutMatrix(t.Context(), second); err != nil {
		t.Fatal(err)
	}
	for _, want := range []responsibility.Matrix{second, other} {
		got, err := s.Matrix(t.Context(), province, want.Year)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("year %d (-want +got):\n%s", want.Year, diff)
		}
	}

	// One event per put, in order, each carrying the whole matrix.
	rows, err := pool.Query(t.Context(), `SELECT subject, payload FROM outbox_events ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var events []*accountabilityv1.ResponsibilityMatrixChanged
	for rows.Next() {
		var subject string
		var payload []byte
		if err := rows.Scan(&subject, &payload); err != nil {
			t.Fatal(err)
		}
		if subject != SubjectMatrixChanged {
			t.Errorf("subject %q", subject)
		}
		ev := &accountabilityv1.ResponsibilityMatrixChanged{}
		if err := proto.Unmarshal(payload, ev); err != nil {
			t.Fatal(err)
		}
		events = append(events, ev)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(events) != 3 {
		t.Fatalf("%d events, want 3", len(events))
	}
	want := &accountabilityv1.ResponsibilityMatrixChanged{Matrix: &accountabilityv1.ResponsibilityMatrix{
		ProvinceUnitId: province, Year: 2024, UnitsOwnIndex: false,
		Entries: []*accountabilityv1.ResponsibilityEntry{
			{NodeCode: "8", OwnerUnitId: second.Entries[0].OwnerUnitID},
			{NodeCode: "1", OwnerUnitId: second.Entries[1].OwnerUnitID, CooperatingUnitIds: second.Entries[1].CooperatingUnitIDs},
		},
		UpdateTime: timestamppb.New(second.UpdateTime),
	}}
	if diff := cmp.Diff(want, events[2], protocmp.Transform()); diff != "" {
		t.Errorf("last event (-want +got):\n%s", diff)
	}
}
