package app

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/parindex/platform/services/kit/page"
	"github.com/parindex/platform/services/parscoring/internal/methodology"
)

// fakeStore records what the use cases ask of storage and answers from memory.
type fakeStore struct {
	created []methodology.CriteriaSet
	queries []ListQuery
	list    []methodology.CriteriaSet
	err     error
}

func (f *fakeStore) CreateCriteriaSet(_ context.Context, s methodology.CriteriaSet) error {
	if f.err != nil {
		return f.err
	}
	f.created = append(f.created, s)
	return nil
}

func (f *fakeStore) CriteriaSet(_ context.Context, id string) (methodology.CriteriaSet, error) {
	for _, s := range f.created {
		if s.ID == id {
			return s, nil
		}
	}
	return methodology.CriteriaSet{}, methodology.ErrNotFound
}

func (f *fakeStore) ListCriteriaSets(_ context.Context, q ListQuery) ([]methodology.CriteriaSet, error) {
	f.queries = append(f.queries, q)
	return f.list[:min(q.Limit, len(f.list))], nil
}

var fixedNow = time.Date(2025, 3, 28, 9, 30, 0, 123456789, time.FixedZone("ICT", 7*3600))

func draft() methodology.CriteriaSet {
	return methodology.CriteriaSet{
		Year: 2017, SubjectKind: "province", Name: "Chỉ số CCHC cấp tỉnh 2017", Decision: "2948/QĐ-BNV",
		MaxPoints: methodology.MustParsePoints("10"),
		Nodes:     []methodology.Node{{Code: "1", Name: "Công tác chỉ đạo, điều hành CCHC", MaxPoints: methodology.MustParsePoints("10")}},
	}
}

func TestCreateCriteriaSet(t *testing.T) {
	store := &fakeStore{}
	svc := New(store, func() time.Time { return fixedNow })
	got, err := svc.CreateCriteriaSet(t.Context(), draft())
	if err != nil {
		t.Fatal(err)
	}
	if len(store.created) != 1 {
		t.Fatalf("store got %d sets", len(store.created))
	}
	if diff := cmp.Diff(store.created[0], got); diff != "" {
		t.Errorf("returned set differs from stored (-stored +returned):\n%s", diff)
	}
	if got.ID == "" || got.Nodes[0].Position != 1 {
		t.Errorf("not completed: id %q, position %d", got.ID, got.Nodes[0].Position)
	}
	// Stored in UTC at PostgreSQL's precision, so what is returned is what is read back.
	if want := time.Date(2025, 3, 28, 2, 30, 0, 123456000, time.UTC); !got.CreateTime.Equal(want) || got.CreateTime.Location() != time.UTC {
		t.Errorf("create time %v, want %v", got.CreateTime, want)
	}
}

func TestCreateCriteriaSetInvalidStoresNothing(t *testing.T) {
	store := &fakeStore{}
	bad := draft()
	bad.Nodes[0].MaxPoints = methodology.MustParsePoints("9")
	_, err := New(store, nil).CreateCriteriaSet(t.Context(), bad)
	var ve methodology.ValidationErrors
	if !errors.As(err, &ve) {
		t.Fatalf("err = %v, want ValidationErrors", err)
	}
	if len(store.created) != 0 {
		t.Error("an invalid set reached the store")
	}
}

func TestCreateCriteriaSetKeepsStoreError(t *testing.T) {
	store := &fakeStore{err: methodology.ErrAlreadyExists}
	if _, err := New(store, nil).CreateCriteriaSet(t.Context(), draft()); !errors.Is(err, methodology.ErrAlreadyExists) {
		t.Errorf("err = %v, want ErrAlreadyExists", err)
	}
}

func TestGetCriteriaSetMalformedID(t *testing.T) {
	if _, err := New(&fakeStore{}, nil).GetCriteriaSet(t.Context(), "not-a-uuid"); !errors.Is(err, methodology.ErrNotFound) {
		t.Errorf("err = %v, want ErrNotFound", err)
	}
}

func TestListCriteriaSetsPages(t *testing.T) {
	store := &fakeStore{list: []methodology.CriteriaSet{
		{ID: "0190a000-0000-7000-8000-000000000003", Year: 2024},
		{ID: "0190a000-0000-7000-8000-000000000002", Year: 2023},
		{ID: "0190a000-0000-7000-8000-000000000001", Year: 2023},
	}}
	svc := New(store, nil)
	first, err := svc.ListCriteriaSets(t.Context(), ListCriteriaSetsQuery{Year: 0, SubjectKind: "province", PageSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(first.Sets) != 2 || first.NextPageToken == "" {
		t.Fatalf("first page: %d sets, token %q", len(first.Sets), first.NextPageToken)
	}
	if _, err := svc.ListCriteriaSets(t.Context(), ListCriteriaSetsQuery{SubjectKind: "province", PageSize: 2, PageToken: first.NextPageToken}); err != nil {
		t.Fatal(err)
	}
	want := []ListQuery{
		{SubjectKind: "province", Limit: 3},
		{SubjectKind: "province", Limit: 3, After: &ListCursor{Year: 2023, ID: "0190a000-0000-7000-8000-000000000002"}},
	}
	if diff := cmp.Diff(want, store.queries); diff != "" {
		t.Errorf("store queries (-want +got):\n%s", diff)
	}

	last, err := svc.ListCriteriaSets(t.Context(), ListCriteriaSetsQuery{PageSize: 5})
	if err != nil || last.NextPageToken != "" {
		t.Errorf("last page: token %q, err %v", last.NextPageToken, err)
	}
}

func TestListCriteriaSetsBadToken(t *testing.T) {
	svc := New(&fakeStore{}, nil)
	for _, tok := range []string{"%%%", page.Encode(map[string]any{"other": 1}), page.Encode(ListCursor{Year: 2024, ID: "x"})} {
		var bad *page.InvalidTokenError
		if _, err := svc.ListCriteriaSets(t.Context(), ListCriteriaSetsQuery{PageToken: tok}); !errors.As(err, &bad) {
			t.Errorf("token %q: err = %v, want *page.InvalidTokenError", tok, err)
		}
	}
}
