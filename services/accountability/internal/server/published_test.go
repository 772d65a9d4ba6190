package server_test

import (
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	accountabilityv1 "github.com/parindex/platform/proto/gen/go/par/accountability/v1"
	"github.com/parindex/platform/services/kit/auth"
)

// TestPublishedExplanationsArePublic: once concluded and published, an explanation is
// readable without a token (002 Art. 12.2: giải trình công khai, minh bạch), without what
// belongs to the work on it; a concluded but unpublished one and an open request are not,
// listed or asked for by id.
func TestPublishedExplanationsArePublic(t *testing.T) {
	h := start(t, startDirectory(t, thaiBinhDirectory()))
	secretariat := h.tokenFor(t, "u-snv", homeAffair, auth.RoleSecretariat)
	importDefaultMatrix(t, h, secretariat, 2024)
	publishResult(t, h.js, "0190b000-0000-7000-8000-0000000000a1", provincial2024())
	var e3, e8 string
	for _, e := range waitExplanations(t, h, secretariat, 2024, 2) {
		switch e.GetNodeCode() {
		case "3":
			e3 = e.GetId()
		case "8":
			e8 = e.GetId()
		}
	}
	public := func() map[string]*accountabilityv1.Explanation {
		t.Helper()
		res, err := h.explanations.ListPublishedExplanations(ctx(t, ""), &accountabilityv1.ListPublishedExplanationsRequest{ProvinceUnitId: province, Year: 2024})
		if err != nil {
			t.Fatalf("public list: %v", err)
		}
		out := map[string]*accountabilityv1.Explanation{}
		for _, e := range res.GetExplanations() {
			out[e.GetId()] = e
		}
		return out
	}
	get := func(id string) (*accountabilityv1.Explanation, error) {
		res, err := h.explanations.GetPublishedExplanation(ctx(t, ""), &accountabilityv1.GetPublishedExplanationRequest{Id: id})
		return res.GetExplanation(), err
	}

	// Field 8 concluded, field 3 still open: nothing public yet.
	conclude(t, h, secretariat, 2024, "8", planInvest, accountabilityv1.CauseKind_CAUSE_KIND_SUBJECTIVE)
	if got := public(); len(got) != 0 {
		t.Errorf("public before publication: %v", got)
	}
	for _, id := range []string{e3, e8} {
		if _, err := get(id); status.Code(err) != codes.NotFound {
			t.Errorf("unpublished %s by id: %v, want NotFound", id, err)
		}
	}
	if _, err := h.explanations.PublishExplanation(ctx(t, secretariat), &accountabilityv1.PublishExplanationRequest{Id: e8}); err != nil {
		t.Fatal(err)
	}
	got := public()
	if len(got) != 1 || got[e8] == nil {
		t.Fatalf("public after publishing field 8: %v", got)
	}
	e, err := get(e8)
	if err != nil {
		t.Fatalf("published by id: %v", err)
	}
	if e.GetConclusion() == "" || len(e.GetDeterminedCauses()) != 1 || len(e.GetContent().GetShortcomings()) != 1 {
		t.Errorf("the public reads no conclusion, cause or content: %v", e)
	}
	if e.GetHeadUserId() != "" || e.GetEtag() != "" || e.GetReviewComment() != "" {
		t.Errorf("the public reads internal fields: head user %q, etag %q, review %q", e.GetHeadUserId(), e.GetEtag(), e.GetReviewComment())
	}
	if _, err := get(e3); status.Code(err) != codes.NotFound {
		t.Errorf("the open request by id: %v, want NotFound", err)
	}
	res, err := h.explanations.ListPublishedExplanations(ctx(t, ""), &accountabilityv1.ListPublishedExplanationsRequest{ProvinceUnitId: province, Year: 2024, UnitId: ppcOffice})
	if err != nil || len(res.GetExplanations()) != 0 {
		t.Errorf("filtered by another unit: %v, %v", res.GetExplanations(), err)
	}
	_, err = h.explanations.ListPublishedExplanations(ctx(t, ""), &accountabilityv1.ListPublishedExplanationsRequest{ProvinceUnitId: "x", Year: 1990})
	if got := violationFields(err); len(got) != 2 {
		t.Errorf("bad province and year: %v, want two field violations", err)
	}
}
