package app

import (
	"context"
	"strings"

	"github.com/google/uuid"

	"github.com/parindex/platform/services/accountability/internal/explanation"
)

// isPublic says whether anyone, signed in or not, may read e: it was concluded by the
// secretariat and then published (Art. 12.2: explanations are public and transparent —
// once they are final; a request still open, a draft or an unpublished conclusion is not).
func isPublic(e explanation.Explanation) bool {
	return e.Status == explanation.StatusConcluded && !e.PublishTime.IsZero()
}

// ListPublishedExplanations returns, to anyone, a page of the concluded and published
// explanations matching f (Art. 12.2). Drafts are filtered out by the store and checked
// again here.
func (s *Explanations) ListPublishedExplanations(ctx context.Context, f ExplanationFilter) ([]explanation.Explanation, error) {
	f.PublishedOnly, f.Status, f.VisibleToUnit = true, explanation.StatusConcluded, ""
	es, err := s.store.ListExplanations(ctx, f)
	if err != nil {
		return nil, err
	}
	out := es[:0]
	for _, e := range es {
		if isPublic(e) {
			out = append(out, e)
		}
	}
	return out, nil
}

// GetPublishedExplanation returns, to anyone, one concluded and published explanation
// (Art. 12.2); explanation.ErrNotFound for any other, not revealing it exists.
func (s *Explanations) GetPublishedExplanation(ctx context.Context, id string) (explanation.Explanation, error) {
	if _, err := uuid.Parse(id); err != nil {
		return explanation.Explanation{}, explanation.ErrNotFound
	}
	e, err := s.store.Explanation(ctx, strings.ToLower(id))
	if err != nil {
		return explanation.Explanation{}, err
	}
	if !isPublic(e) {
		return explanation.Explanation{}, explanation.ErrNotFound
	}
	return e, nil
}
