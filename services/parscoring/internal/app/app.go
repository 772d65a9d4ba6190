// Package app holds the PAR scoring use cases on one Service, with the storage port they
// need. Authorisation is the gRPC layer's; invariants are the domain's.
package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/parindex/platform/services/kit/page"
	"github.com/parindex/platform/services/parscoring/internal/methodology"
)

// Store persists criteria sets. Writes record their events in the same transaction.
type Store interface {
	// CreateCriteriaSet stores a validated set and records CriteriaSetCreated with it.
	// It returns methodology.ErrAlreadyExists when the year, subject kind and decision
	// are taken.
	CreateCriteriaSet(ctx context.Context, set methodology.CriteriaSet) error
	// CriteriaSet returns a set with its nodes, or methodology.ErrNotFound.
	CriteriaSet(ctx context.Context, id string) (methodology.CriteriaSet, error)
	// ListCriteriaSets returns sets with their nodes, newest year first, then newest set.
	ListCriteriaSets(ctx context.Context, q ListQuery) ([]methodology.CriteriaSet, error)
}

// ListQuery selects a page of criteria sets in the store.
type ListQuery struct {
	// Year, when non-zero, keeps only sets for that year.
	Year int
	// SubjectKind, when not empty, keeps only sets for that kind.
	SubjectKind string
	// After, when set, starts the page after this position of the order.
	After *ListCursor
	// Limit is the most sets to return.
	Limit int
}

// ListCursor is a position in the order of ListCriteriaSets (year descending, then id
// descending); it travels inside the opaque page token.
type ListCursor struct {
	Year int    `json:"y"`
	ID   string `json:"id"`
}

// Service runs the PAR scoring use cases.
type Service struct {
	store Store
	now   func() time.Time
}

// New returns a Service on store. now is the clock (nil means time.Now), replaceable so
// tests can pin creation times.
func New(store Store, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{store: store, now: now}
}

// CreateCriteriaSet validates a draft set, gives it an id and a creation time, and stores
// it together with its CriteriaSetCreated event. A draft with problems fails with
// methodology.ValidationErrors listing all of them.
func (s *Service) CreateCriteriaSet(ctx context.Context, draft methodology.CriteriaSet) (methodology.CriteriaSet, error) {
	set, err := methodology.NewCriteriaSet(draft)
	if err != nil {
		return methodology.CriteriaSet{}, fmt.Errorf("create criteria set: %w", err)
	}
	// UUIDv7 ids sort by creation time, which is the list order within a year.
	id, err := uuid.NewV7()
	if err != nil {
		return methodology.CriteriaSet{}, fmt.Errorf("create criteria set: new id: %w", err)
	}
	set.ID = id.String()
	// PostgreSQL keeps microseconds: the returned time is the one read back later.
	set.CreateTime = s.now().UTC().Truncate(time.Microsecond)
	if err := s.store.CreateCriteriaSet(ctx, set); err != nil {
		return methodology.CriteriaSet{}, fmt.Errorf("create criteria set %d/%s/%q: %w", set.Year, set.SubjectKind, set.Decision, err)
	}
	return set, nil
}

// GetCriteriaSet returns one set with its nodes, or methodology.ErrNotFound.
func (s *Service) GetCriteriaSet(ctx context.Context, id string) (methodology.CriteriaSet, error) {
	if _, err := uuid.Parse(id); err != nil {
		// No set can have this id; the store would only fail on the cast.
		return methodology.CriteriaSet{}, fmt.Errorf("get criteria set %q: %w", id, methodology.ErrNotFound)
	}
	set, err := s.store.CriteriaSet(ctx, id)
	if err != nil {
		return methodology.CriteriaSet{}, fmt.Errorf("get criteria set %s: %w", id, err)
	}
	return set, nil
}

// ListCriteriaSetsQuery is a page request of ListCriteriaSets.
type ListCriteriaSetsQuery struct {
	Year        int
	SubjectKind string
	PageSize    int32
	PageToken   string
}

// CriteriaSetPage is one page of sets, with their nodes so that each set's Status can be
// worked out.
type CriteriaSetPage struct {
	Sets []methodology.CriteriaSet
	// NextPageToken is empty on the last page.
	NextPageToken string
}

// ListCriteriaSets returns a page of sets, newest year first. A token that
// is not one of ours fails with *page.InvalidTokenError.
func (s *Service) ListCriteriaSets(ctx context.Context, q ListCriteriaSetsQuery) (CriteriaSetPage, error) {
	var after *ListCursor
	if q.PageToken != "" {
		var c ListCursor
		if err := page.Decode(q.PageToken, &c); err != nil {
			return CriteriaSetPage{}, fmt.Errorf("list criteria sets: %w", err)
		}
		if _, err := uuid.Parse(c.ID); err != nil {
			return CriteriaSetPage{}, fmt.Errorf("list criteria sets: %w", &page.InvalidTokenError{Err: errors.New("cursor id is not a UUID")})
		}
		after = &c
	}
	size := page.Size(q.PageSize)
	// One more than asked tells whether a next page exists without a count query.
	sets, err := s.store.ListCriteriaSets(ctx, ListQuery{Year: q.Year, SubjectKind: q.SubjectKind, After: after, Limit: size + 1})
	if err != nil {
		return CriteriaSetPage{}, fmt.Errorf("list criteria sets: %w", err)
	}
	var res CriteriaSetPage
	if len(sets) > size {
		sets = sets[:size]
		last := sets[size-1]
		res.NextPageToken = page.Encode(ListCursor{Year: last.Year, ID: last.ID})
	}
	res.Sets = sets
	return res, nil
}
