package app

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/parindex/platform/services/accountability/internal/evaluation"
	"github.com/parindex/platform/services/accountability/internal/explanation"
	"github.com/parindex/platform/services/accountability/internal/responsibility"
)

// fakeStore keeps matrices in memory and records puts.
type fakeStore struct {
	puts []responsibility.Matrix
}

func (f *fakeStore) PutMatrix(_ context.Context, m responsibility.Matrix) error {
	f.puts = append(f.puts, m)
	return nil
}

func (f *fakeStore) Matrix(_ context.Context, province string, year int) (responsibility.Matrix, error) {
	for i := len(f.puts) - 1; i >= 0; i-- {
		if m := f.puts[i]; m.ProvinceUnitID == province && m.Year == year {
			return m, nil
		}
	}
	return responsibility.Matrix{}, responsibility.ErrNotFound
}

// fakeDirectory answers from a set of known ids and records every call.
type fakeDirectory struct {
	known map[string]bool
	err   error
	calls [][]string
}

func (f *fakeDirectory) MissingUnits(_ context.Context, ids []string) ([]string, error) {
	f.calls = append(f.calls, ids)
	if f.err != nil {
		return nil, f.err
	}
	var missing []string
	for _, id := range ids {
		if !f.known[id] {
			missing = append(missing, id)
		}
	}
	return missing, nil
}

func (f *fakeDirectory) UnitIDByCode(_ context.Context, code string) (string, error) {
	return "", ErrUnknownUnit
}

func (f *fakeDirectory) UnitCode(_ context.Context, id string) (string, error) {
	return "", ErrUnknownUnit
}

const (
	province = "0190a000-0000-7000-8000-000000000001"
	snv      = "0190a000-0000-7000-8000-000000000010"
	stp      = "0190a000-0000-7000-8000-000000000011"
	stc      = "0190a000-0000-7000-8000-000000000013"
)

func draft() responsibility.Matrix {
	return responsibility.Matrix{ProvinceUnitID: province, Year: 2024, Entries: []responsibility.Entry{
		{NodeCode: "1", OwnerUnitID: snv},
		{NodeCode: "2", OwnerUnitID: stp, CooperatingUnitIDs: []string{stc}},
	}}
}

var now = time.Date(2025, 5, 5, 8, 0, 0, 999, time.UTC)

func TestPutResponsibilityMatrix(t *testing.T) {
	store := &fakeStore{}
	dir := &fakeDirectory{known: map[string]bool{province: true, snv: true, stp: true, stc: true}}
	got, err := New(store, dir, func() time.Time { return now }).PutResponsibilityMatrix(t.Context(), draft())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([][]string{{province, snv, stp, stc}}, dir.calls); diff != "" {
		t.Errorf("directory calls (-want +got):\n%s", diff)
	}
	if len(store.puts) != 1 || !got.UpdateTime.Equal(now.Truncate(time.Microsecond)) {
		t.Errorf("puts %d, update time %v", len(store.puts), got.UpdateTime)
	}
}

func TestPutResponsibilityMatrixUnknownUnits(t *testing.T) {
	store := &fakeStore{}
	dir := &fakeDirectory{known: map[string]bool{province: true, snv: true}}
	_, err := New(store, dir, nil).PutResponsibilityMatrix(t.Context(), draft())
	var ve responsibility.ValidationErrors
	if !errors.As(err, &ve) {
		t.Fatalf("err = %v, want ValidationErrors", err)
	}
	want := []string{"entries[1].owner_unit_id", "entries[1].cooperating_unit_ids[0]"}
	var got []string
	for _, v := range ve {
		got = append(got, v.Field)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
	if len(store.puts) != 0 {
		t.Error("stored a matrix naming unknown units")
	}
}

func TestPutResponsibilityMatrixInvalidSkipsDirectory(t *testing.T) {
	dir := &fakeDirectory{}
	bad := draft()
	bad.Entries[1].NodeCode = "1"
	if _, err := New(&fakeStore{}, dir, nil).PutResponsibilityMatrix(t.Context(), bad); err == nil {
		t.Fatal("duplicate code accepted")
	}
	if len(dir.calls) != 0 {
		t.Error("asked the directory about a malformed matrix")
	}
}

func TestPutResponsibilityMatrixDirectoryDown(t *testing.T) {
	dir := &fakeDirectory{err: ErrDirectoryUnavailable}
	if _, err := New(&fakeStore{}, dir, nil).PutResponsibilityMatrix(t.Context(), draft()); !errors.Is(err, ErrDirectoryUnavailable) {
		t.Errorf("err = %v, want ErrDirectoryUnavailable", err)
	}
}

func TestGetResponsibilityMatrix(t *testing.T) {
	store := &fakeStore{}
	svc := New(store, &fakeDirectory{}, nil)
	for _, id := range []string{"nope", province} {
		if _, err := svc.GetResponsibilityMatrix(t.Context(), id, 2024); !errors.Is(err, responsibility.ErrNotFound) {
			t.Errorf("%s: err = %v, want ErrNotFound", id, err)
		}
	}
}

// TestTrendAtMaximumNeedsAKnownMaximum: Art. 17.1.a counts an owned item at its maximum;
// an item whose maximum is unknown (sent as no figure, or as 0 by events written before
// PAR scoring marked it) is never at it, whatever its score.
func TestTrendAtMaximumNeedsAKnownMaximum(t *testing.T) {
	for _, tc := range []struct {
		max   string
		atMax bool
	}{{"5.00", true}, {"6.00", false}, {"0.00", false}, {"", false}} {
		tr, atMax := trend(explanation.NodeFigure{Code: "6", Score: "5.00", PreviousScore: "5.00", MaxPoints: tc.max})
		if tr != evaluation.TrendHeld || atMax != tc.atMax {
			t.Errorf("max %q: trend %v, at maximum %v; want held, %v", tc.max, tr, atMax, tc.atMax)
		}
	}
}
