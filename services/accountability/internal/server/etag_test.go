package server_test

import (
	"sync"
	"testing"

	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	accountabilityv1 "github.com/parindex/platform/proto/gen/go/par/accountability/v1"
	directoryv1 "github.com/parindex/platform/proto/gen/go/par/directory/v1"
	"github.com/parindex/platform/services/kit/auth"
)

// race runs the calls at the same moment and returns their errors in order.
func race(calls ...func() error) []error {
	errs := make([]error, len(calls))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, call := range calls {
		wg.Go(func() {
			<-start
			errs[i] = call()
		})
	}
	close(start)
	wg.Wait()
	return errs
}

// oneWins checks that exactly one of two racing writers succeeded and the other was
// refused with ABORTED, and returns the index of the winner.
func oneWins(t *testing.T, errs []error) int {
	t.Helper()
	switch {
	case errs[0] == nil && status.Code(errs[1]) == codes.Aborted:
		return 0
	case errs[1] == nil && status.Code(errs[0]) == codes.Aborted:
		return 1
	}
	t.Fatalf("racing writers: %v, %v; want one success and one ABORTED", errs[0], errs[1])
	return -1
}

func draft(direction string) *accountabilityv1.ExplanationContent {
	return &accountabilityv1.ExplanationContent{Direction: direction}
}

// TestConcurrentEdits: writers that send the etag they read never overwrite each other
// unseen (AIP-154); the owning unit and the cooperating units, each with its own etag, edit
// at the same time without refusing each other.
func TestConcurrentEdits(t *testing.T) {
	dir := thaiBinhDirectory()
	dir.tenures = map[string][]*directoryv1.HeadTenure{planInvest: {{UnitId: planInvest, PersonName: "Trần Văn C", UserId: "u-c", StartDate: "2019-06-01"}}}
	h := start(t, startDirectory(t, dir))
	secretariat := h.tokenFor(t, "u-snv", homeAffair, auth.RoleSecretariat)
	importDefaultMatrix(t, h, secretariat, 2024)
	publishResult(t, h.js, uuid.NewString(), provincial2024())
	var id string
	for _, e := range waitExplanations(t, h, secretariat, 2024, 2) {
		if e.GetNodeCode() == "8" {
			id = e.GetId()
		}
	}
	if id == "" {
		t.Fatal("no request for node 8")
	}
	head := h.tokenFor(t, "u-c", planInvest, auth.RoleUnitHead)
	staff := h.tokenFor(t, "u-kh", planInvest, auth.RoleUnitStaff)
	finA := h.tokenFor(t, "u-tc1", finance, auth.RoleUnitStaff)
	finB := h.tokenFor(t, "u-tc2", finance, auth.RoleUnitHead)
	tax := h.tokenFor(t, "u-thue", taxDept, auth.RoleUnitStaff)
	get := func() *accountabilityv1.Explanation {
		t.Helper()
		res, err := h.explanations.GetExplanation(ctx(t, head), &accountabilityv1.GetExplanationRequest{Id: id})
		if err != nil {
			t.Fatal(err)
		}
		return res.GetExplanation()
	}
	partETag := func(e *accountabilityv1.Explanation, unit string) string {
		for _, p := range e.GetParts() {
			if p.GetUnitId() == unit {
				return p.GetEtag()
			}
		}
		t.Fatalf("no part of %s", unit)
		return ""
	}

	read := get()
	if read.GetEtag() == "" || partETag(read, finance) == "" {
		t.Fatalf("etags missing: %v", read)
	}

	t.Run("two owners' drafts", func(t *testing.T) {
		contents := []string{"Bản của Giám đốc", "Bản của chuyên viên"}
		errs := race(
			func() error {
				_, err := h.explanations.SaveExplanationDraft(ctx(t, head), &accountabilityv1.SaveExplanationDraftRequest{Id: id, Etag: read.GetEtag(), Content: draft(contents[0])})
				return err
			},
			func() error {
				_, err := h.explanations.SaveExplanationDraft(ctx(t, staff), &accountabilityv1.SaveExplanationDraftRequest{Id: id, Etag: read.GetEtag(), Content: draft(contents[1])})
				return err
			},
		)
		winner := oneWins(t, errs)
		now := get()
		if got := now.GetContent().GetDirection(); got != contents[winner] {
			t.Errorf("stored draft %q, want the winner's %q", got, contents[winner])
		}
		if now.GetEtag() == read.GetEtag() {
			t.Error("etag unchanged by a save")
		}
		// The loser reads again and saves over what it has now seen.
		if _, err := h.explanations.SaveExplanationDraft(ctx(t, staff), &accountabilityv1.SaveExplanationDraftRequest{Id: id, Etag: now.GetEtag(), Content: draft("Bản đã hợp nhất")}); err != nil {
			t.Fatalf("save with the current etag: %v", err)
		}
		read = get()
	})

	t.Run("parts beside the owner", func(t *testing.T) {
		// Finance, the Tax Department and the owner save at once, each on what it read:
		// none refuses another.
		errs := race(
			func() error {
				_, err := h.explanations.SaveExplanationPart(ctx(t, finA), &accountabilityv1.SaveExplanationPartRequest{Id: id, UnitId: finance, Etag: partETag(read, finance), Content: draft("Sở Tài chính")})
				return err
			},
			func() error {
				_, err := h.explanations.SaveExplanationPart(ctx(t, tax), &accountabilityv1.SaveExplanationPartRequest{Id: id, UnitId: taxDept, Etag: partETag(read, taxDept), Content: draft("Cục Thuế")})
				return err
			},
			func() error {
				_, err := h.explanations.SaveExplanationDraft(ctx(t, head), &accountabilityv1.SaveExplanationDraftRequest{Id: id, Etag: read.GetEtag(), Content: draft("Bản chính")})
				return err
			},
		)
		for i, err := range errs {
			if err != nil {
				t.Errorf("writer %d: %v", i, err)
			}
		}
		read = get()
	})

	t.Run("two writers of one part", func(t *testing.T) {
		etag := partETag(read, finance)
		errs := race(
			func() error {
				_, err := h.explanations.SaveExplanationPart(ctx(t, finA), &accountabilityv1.SaveExplanationPartRequest{Id: id, UnitId: finance, Etag: etag, Content: draft("A")})
				return err
			},
			func() error {
				_, err := h.explanations.SaveExplanationPart(ctx(t, finB), &accountabilityv1.SaveExplanationPartRequest{Id: id, UnitId: finance, Etag: etag, Content: draft("B")})
				return err
			},
		)
		winner := oneWins(t, errs)
		for _, p := range get().GetParts() {
			if p.GetUnitId() == finance && p.GetContent().GetDirection() != []string{"A", "B"}[winner] {
				t.Errorf("stored part %q, want the winner's", p.GetContent().GetDirection())
			}
		}
	})

	t.Run("submit on a stale read", func(t *testing.T) {
		stale := read.GetEtag()
		if _, err := h.explanations.SaveExplanationDraft(ctx(t, staff), &accountabilityv1.SaveExplanationDraftRequest{Id: id, Etag: stale, Content: draft("Sửa cuối")}); err != nil {
			t.Fatal(err)
		}
		_, err := h.explanations.SubmitExplanation(ctx(t, head), &accountabilityv1.SubmitExplanationRequest{Id: id, Etag: stale})
		if status.Code(err) != codes.Aborted {
			t.Fatalf("submit on a stale etag: %v, want ABORTED", err)
		}
		if got := get().GetStatus(); got != accountabilityv1.ExplanationStatus_EXPLANATION_STATUS_REQUESTED {
			t.Errorf("status after the refused submit: %v", got)
		}
	})
	// The secretariat's steps take the etag too (AIP-154: optional; stale is ABORTED): a
	// reviewer who concludes or publishes what another reviewer has changed since is refused.
	t.Run("review on a stale read", func(t *testing.T) {
		content := &accountabilityv1.ExplanationContent{Shortcomings: []*accountabilityv1.Shortcoming{{NodeCode: "8", Description: "Điểm giảm",
			Causes: []*accountabilityv1.Cause{{Kind: accountabilityv1.CauseKind_CAUSE_KIND_SUBJECTIVE, Description: "Chậm giải quyết hồ sơ"}}}}}
		if _, err := h.explanations.SaveExplanationDraft(ctx(t, head), &accountabilityv1.SaveExplanationDraftRequest{Id: id, Content: content}); err != nil {
			t.Fatal(err)
		}
		if _, err := h.explanations.SubmitExplanation(ctx(t, head), &accountabilityv1.SubmitExplanationRequest{Id: id}); err != nil {
			t.Fatal(err) // no etag: no check
		}
		seen := get().GetEtag()
		if _, err := h.explanations.ReturnExplanation(ctx(t, secretariat), &accountabilityv1.ReturnExplanationRequest{Id: id, Etag: seen, Comment: "Bổ sung số liệu"}); err != nil {
			t.Fatal(err)
		}
		causes := []*accountabilityv1.DeterminedCause{{NodeCode: "8", Cause: accountabilityv1.CauseKind_CAUSE_KIND_SUBJECTIVE}}
		_, err := h.explanations.ConcludeExplanation(ctx(t, secretariat), &accountabilityv1.ConcludeExplanationRequest{Id: id, Etag: seen, Conclusion: "Kết luận", DeterminedCauses: causes})
		if status.Code(err) != codes.Aborted {
			t.Errorf("conclude on the etag read before the return: %v, want ABORTED", err)
		}
		if _, err := h.explanations.SubmitExplanation(ctx(t, head), &accountabilityv1.SubmitExplanationRequest{Id: id}); err != nil {
			t.Fatal(err)
		}
		seen = get().GetEtag()
		if _, err := h.explanations.ConcludeExplanation(ctx(t, secretariat), &accountabilityv1.ConcludeExplanationRequest{Id: id, Etag: seen, Conclusion: "Kết luận", DeterminedCauses: causes}); err != nil {
			t.Fatalf("conclude on the current etag: %v", err)
		}
		_, err = h.explanations.PublishExplanation(ctx(t, secretariat), &accountabilityv1.PublishExplanationRequest{Id: id, Etag: seen})
		if status.Code(err) != codes.Aborted {
			t.Errorf("publish on the etag read before the conclusion: %v, want ABORTED", err)
		}
		if e := get(); e.GetPublishTime() != nil {
			t.Error("published after the refused call")
		}
		if _, err := h.explanations.PublishExplanation(ctx(t, secretariat), &accountabilityv1.PublishExplanationRequest{Id: id, Etag: get().GetEtag()}); err != nil {
			t.Errorf("publish on the current etag: %v", err)
		}
	})
}
