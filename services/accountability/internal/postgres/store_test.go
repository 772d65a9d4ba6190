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
	"github.com/parindex/platform/services/accountability/internal/app"
	"github.com/parindex/platform/services/accountability/internal/explanation"
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

// TestSaveResultNodes: a result's nodes are written in one statement, in order, with "no
// figure" kept as NULL; saving it again (a redelivery or a republication) replaces them
// instead of adding any.
func TestSaveResultNodes(t *testing.T) {
	s := NewStore(pgtest.NewPool(t, Migrations()))
	r := explanation.PublishedResult{SnapshotID: uuid.NewString(), Year: 2024, SubjectKind: "province", UnitID: uuid.NewString(),
		Source: "appraised", PublishTime: time.Date(2025, 4, 1, 3, 0, 0, 0, time.UTC), Total: "80.50",
		Nodes: []explanation.NodeFigure{
			{Code: "1", Name: "Lĩnh vực 1", Score: "9,5", MaxPoints: "10.00", PreviousScore: "9.75"},
			{Code: "1.1", ParentCode: "1", Score: "", MaxPoints: "", PreviousScore: "", Bonus: true},
			{Code: "2", Score: "-0.50", MaxPoints: "2.00", PreviousScore: "1.00"},
		}}
	save := func(r explanation.PublishedResult) explanation.PublishedResult {
		t.Helper()
		if err := s.InTx(t.Context(), func(tx app.Tx) error { return tx.SaveResult(t.Context(), r) }); err != nil {
			t.Fatalf("SaveResult: %v", err)
		}
		var got explanation.PublishedResult
		if err := s.InTx(t.Context(), func(tx app.Tx) (err error) {
			got, err = tx.Result(t.Context(), r.Year, r.SubjectKind, r.UnitID)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return got
	}
	want := []explanation.NodeFigure{
		{Code: "1", Name: "Lĩnh vực 1", Score: "9.50", MaxPoints: "10.00", PreviousScore: "9.75"},
		{Code: "1.1", ParentCode: "1", Bonus: true},
		{Code: "2", Score: "-0.50", MaxPoints: "2.00", PreviousScore: "1.00"},
	}
	if diff := cmp.Diff(want, save(r).Nodes); diff != "" {
		t.Errorf("nodes (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, save(r).Nodes); diff != "" {
		t.Errorf("nodes after redelivery (-want +got):\n%s", diff)
	}
	r.Nodes = r.Nodes[2:]
	if diff := cmp.Diff(want[2:], save(r).Nodes); diff != "" {
		t.Errorf("nodes after republication (-want +got):\n%s", diff)
	}
	r.Nodes = nil
	if got := save(r).Nodes; len(got) != 0 {
		t.Errorf("nodes after a republication without nodes: %v", got)
	}
}
