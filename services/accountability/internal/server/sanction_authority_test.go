package server_test

import (
	"testing"

	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	accountabilityv1 "github.com/parindex/platform/proto/gen/go/par/accountability/v1"
	"github.com/parindex/platform/services/kit/auth"
)

// TestSanctionAuthority: a proposal on a commune chairman is the district chairman's to
// decide (002 Art. 19.2), one on a department head the provincial committee's (Art. 19.1);
// a district head sees and decides only the proposals on the communes under the district.
func TestSanctionAuthority(t *testing.T) {
	const kienXuong = "0190a000-0000-7000-8000-000000000032" // UBND huyện Kiến Xương, another district
	dir := thaiBinhDirectory()
	for _, id := range []string{vuThu, tanHoa, kienXuong} {
		dir.units[id] = true
	}
	dir.parents[vuThu], dir.parents[kienXuong], dir.parents[tanHoa] = province, province, vuThu
	h := start(t, startDirectory(t, dir))
	eval := accountabilityv1.NewEvaluationServiceClient(h.conn)
	secretariat := h.tokenFor(t, "u-snv", homeAffair, auth.RoleSecretariat)
	importDefaultMatrix(t, h, secretariat, 2024)
	// Both not completed: 55.00 is below 60 (Art. 17.1.d; for the commune Art. 17.2 with the
	// policy's bands).
	publishResult(t, h.js, uuid.NewString(), unitIndex(2024, tanHoa, "commune", "55.00"))
	publishResult(t, h.js, uuid.NewString(), unitIndex(2024, planInvest, "department", "55.00"))
	// The department head is the province's to evaluate (Art. 20.3), the commune chairman
	// the district's (Art. 17.2, 21.4).
	vuThuHead := h.tokenFor(t, "u-vt", vuThu, auth.RoleUnitHead)
	for _, tok := range []string{secretariat, vuThuHead} {
		evaluateOne(t, eval, tok)
		if _, err := eval.PublishEvaluations(ctx(t, tok), &accountabilityv1.PublishEvaluationsRequest{ProvinceUnitId: province, Year: 2024}); err != nil {
			t.Fatal(err)
		}
	}
	all, err := eval.ListSanctionProposals(ctx(t, secretariat), &accountabilityv1.ListSanctionProposalsRequest{ProvinceUnitId: province, Year: 2024})
	if err != nil {
		t.Fatal(err)
	}
	var communeID, deptID string
	for _, p := range all.GetProposals() {
		switch {
		case p.GetUnitId() == tanHoa && p.GetKind() == "commune_criticism":
			communeID = p.GetId()
		case p.GetUnitId() == planInvest && p.GetKind() == "written_notice":
			deptID = p.GetId()
		}
	}
	if communeID == "" || deptID == "" {
		t.Fatalf("proposals = %v", all.GetProposals())
	}

	leadership := h.tokenFor(t, "u-ct", province, auth.RoleLeadership)
	kienXuongHead := h.tokenFor(t, "u-kx", kienXuong, auth.RoleUnitHead)
	decide := func(tok, id string) error {
		_, err := eval.DecideSanctionProposal(ctx(t, tok), &accountabilityv1.DecideSanctionProposalRequest{Id: id, Approve: true, Note: "Đồng ý"})
		return err
	}

	listed, err := eval.ListSanctionProposals(ctx(t, vuThuHead), &accountabilityv1.ListSanctionProposalsRequest{ProvinceUnitId: province, Year: 2024})
	if err != nil {
		t.Fatal(err)
	}
	if ps := listed.GetProposals(); len(ps) != 1 || ps[0].GetId() != communeID {
		t.Errorf("the district head lists %v, want only the commune's proposal", ps)
	}
	for _, c := range []struct {
		name, tok, id string
		want          codes.Code
	}{
		{"provincial leadership on a commune chairman", leadership, communeID, codes.PermissionDenied},
		{"another district's head", kienXuongHead, communeID, codes.NotFound},
		{"a district head on a department head", vuThuHead, deptID, codes.NotFound},
		{"the commune's district head", vuThuHead, communeID, codes.OK},
		{"provincial leadership on a department head", leadership, deptID, codes.OK},
	} {
		if err := decide(c.tok, c.id); status.Code(err) != c.want {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	all, err = eval.ListSanctionProposals(ctx(t, secretariat), &accountabilityv1.ListSanctionProposalsRequest{ProvinceUnitId: province, Year: 2024})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range all.GetProposals() {
		if (p.GetId() == communeID || p.GetId() == deptID) && p.GetStatus() != "approved" {
			t.Errorf("%s on %s: %s", p.GetKind(), p.GetUnitId(), p.GetStatus())
		}
	}
}
