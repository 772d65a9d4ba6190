package app_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/parindex/platform/services/kit/vntime"
	"github.com/parindex/platform/services/tasktracking/internal/app"
	"github.com/parindex/platform/services/tasktracking/internal/tracking"
)

// fakeStore records the documents it is asked to create.
type fakeStore struct {
	app.Store // other methods are not used by these tests and panic if called
	created   []tracking.Document
	err       error
}

func (f *fakeStore) CreateDocument(_ context.Context, d tracking.Document, _ []tracking.Occurrence) error {
	f.created = append(f.created, d)
	return f.err
}

// fakeDirectory knows some units and records the ids it was asked about.
type fakeDirectory struct {
	known map[string]bool
	asked [][]string
	err   error
}

func (f *fakeDirectory) MissingUnits(_ context.Context, ids []string) ([]string, error) {
	f.asked = append(f.asked, ids)
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

func (f *fakeDirectory) Units(context.Context) ([]app.Unit, error) {
	return nil, f.err
}

func draft() tracking.Document {
	return tracking.Document{
		Number: "56/KH-UBND", Kind: tracking.KindPlan, IssuerUnitID: "ubnd",
		SignedOn: vntime.Date{Year: 2020, Month: 5, Day: 20}, Title: "Kế hoạch",
		PeriodStartYear: 2020, PeriodEndYear: 2020,
		Tasks: []tracking.Task{
			{Code: "1", Content: "a", LeadUnitIDs: []string{"snv"}, CooperatingUnitIDs: []string{"stp"},
				Deadline: tracking.Timing{Kind: tracking.TimingYear, Year: 2020}},
			{Code: "2", Content: "b", LeadUnitIDs: []string{"stp"}, CooperatingUnitIDs: []string{"snv", "stc"},
				Deadline: tracking.Timing{Kind: tracking.TimingYear, Year: 2020}},
		},
	}
}

func newService(store app.Store, dir app.Directory, logs *bytes.Buffer) *app.Service {
	n := 0
	return app.New(store, dir, slog.New(slog.NewTextHandler(logs, nil)),
		func() time.Time { return time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC) },
		func() string { n++; return fmt.Sprint("id-", n) })
}

func TestCreateDocument(t *testing.T) {
	store := &fakeStore{}
	dir := &fakeDirectory{known: map[string]bool{"ubnd": true, "snv": true, "stp": true, "stc": true}}
	var logs bytes.Buffer
	d, err := newService(store, dir, &logs).CreateDocument(t.Context(), draft(), "user-1")
	if err != nil {
		t.Fatal(err)
	}
	// One directory call for the distinct units of the whole document.
	if diff := cmp.Diff([][]string{{"ubnd", "snv", "stp", "stc"}}, dir.asked); diff != "" {
		t.Errorf("directory calls (-want +got):\n%s", diff)
	}
	if len(store.created) != 1 || store.created[0].ID != d.ID || d.CreatedBy != "user-1" {
		t.Errorf("stored %+v, returned %+v", store.created, d)
	}
	if !bytes.Contains(logs.Bytes(), []byte("document created")) {
		t.Errorf("no log line: %s", logs.String())
	}
}

func TestCreateDocumentUnknownUnits(t *testing.T) {
	store := &fakeStore{}
	dir := &fakeDirectory{known: map[string]bool{"ubnd": true, "snv": true, "stp": true}}
	_, err := newService(store, dir, &bytes.Buffer{}).CreateDocument(t.Context(), draft(), "user-1")
	ves, ok := tracking.AsValidation(err)
	if !ok {
		t.Fatalf("CreateDocument = %v, want ValidationErrors", err)
	}
	if diff := cmp.Diff(tracking.ValidationErrors{{Field: "tasks[1].cooperating_unit_ids[1]", Reason: "Đơn vị không có trong danh mục đơn vị"}}, ves); diff != "" {
		t.Errorf("violations (-want +got):\n%s", diff)
	}
	if len(store.created) != 0 {
		t.Error("document stored despite unknown units")
	}
}

func TestCreateDocumentFailures(t *testing.T) {
	unavailable := fmt.Errorf("dial: %w", app.ErrUnavailable)
	tests := []struct {
		name      string
		dirErr    error
		storeErr  error
		draft     func() tracking.Document
		wantIs    error
		wantStore int
		wantAsked int
	}{
		{name: "invalid draft asks nobody", draft: func() tracking.Document { d := draft(); d.Title = ""; return d }},
		{name: "directory down", dirErr: unavailable, wantIs: app.ErrUnavailable, wantAsked: 1},
		{name: "number taken", storeErr: tracking.ErrNumberTaken, wantIs: tracking.ErrConflict, wantStore: 1, wantAsked: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := &fakeStore{err: tt.storeErr}
			dir := &fakeDirectory{known: map[string]bool{"ubnd": true, "snv": true, "stp": true, "stc": true}, err: tt.dirErr}
			d := draft()
			if tt.draft != nil {
				d = tt.draft()
			}
			_, err := newService(store, dir, &bytes.Buffer{}).CreateDocument(t.Context(), d, "u")
			if err == nil {
				t.Fatal("CreateDocument succeeded")
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("error %v, want one wrapping %v", err, tt.wantIs)
			}
			if len(store.created) != tt.wantStore || len(dir.asked) != tt.wantAsked {
				t.Errorf("store called %d times, directory %d; want %d and %d", len(store.created), len(dir.asked), tt.wantStore, tt.wantAsked)
			}
		})
	}
}
