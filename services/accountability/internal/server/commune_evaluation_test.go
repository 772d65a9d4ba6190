package server_test

import (
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	accountabilityv1 "github.com/parindex/platform/proto/gen/go/par/accountability/v1"
	"github.com/parindex/platform/services/kit/auth"
)

// evaluateOne calls EvaluateHeads with tok until the one unit index it evaluates has been
// consumed, and returns that evaluation.
func evaluateOne(t *testing.T, eval accountabilityv1.EvaluationServiceClient, tok string) *accountabilityv1.HeadEvaluation {
	t.Helper()
	deadline := time.Now().Add(callTimeout)
	for {
		res, err := eval.EvaluateHeads(ctx(t, tok), &accountabilityv1.EvaluateHeadsRequest{ProvinceUnitId: province, Year: 2024})
		// Until its commune's index arrives a district head has nothing to evaluate.
		if err != nil && status.Code(err) != codes.PermissionDenied {
			t.Fatal(err)
		}
		if evs := res.GetEvaluations(); len(evs) == 1 {
			return evs[0]
		} else if len(evs) > 1 {
			t.Fatalf("evaluations = %v, want one", evs)
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing to evaluate: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// unitsOf lists the unit ids of evaluations, sorted.
func unitsOf(evs []*accountabilityv1.HeadEvaluation) []string {
	var out []string
	for _, e := range evs {
		out = append(out, e.GetUnitId())
	}
	slices.Sort(out)
	return out
}

// sorted returns the ids sorted, to compare with unitsOf.
func sorted(ids ...string) []string {
	slices.Sort(ids)
	return ids
}

// TestCommuneEvaluationAuthority: the chairman of a commune is evaluated by the chairman of
// the district above it from the commune index (002 Art. 17.2), who publishes the results
// and sends them to the Department of Home Affairs (Art. 21.4): a district head evaluates,
// lists and publishes only the communes under the district, the secretariat reads them all
// but evaluates only the heads of departments and, in two-tier government, the communes
// directly under the province.
func TestCommuneEvaluationAuthority(t *testing.T) {
	const (
		kienXuong = "0190a000-0000-7000-8000-000000000032" // UBND huyện Kiến Xương, another district
		quangBinh = "0190a000-0000-7000-8000-000000000033" // UBND xã Quang Bình, under Kiến Xương
	)
	dir := thaiBinhDirectory()
	for _, id := range []string{vuThu, tanHoa, kienXuong, quangBinh, commune} {
		dir.units[id] = true
	}
	dir.parents = map[string]string{vuThu: province, kienXuong: province, tanHoa: vuThu, quangBinh: kienXuong, commune: province, planInvest: province, justice: province}
	h := start(t, startDirectory(t, dir))
	eval := accountabilityv1.NewEvaluationServiceClient(h.conn)
	secretariat := h.tokenFor(t, "u-snv", homeAffair, auth.RoleSecretariat)
	leadership := h.tokenFor(t, "u-ct", province, auth.RoleLeadership)
	vuThuHead := h.tokenFor(t, "u-vt", vuThu, auth.RoleUnitHead)
	kienXuongHead := h.tokenFor(t, "u-kx", kienXuong, auth.RoleUnitHead)
	justiceHead := h.tokenFor(t, "u-tp", justice, auth.RoleUnitHead)
	tanHoaHead := h.tokenFor(t, "u-th", tanHoa, auth.RoleUnitHead)
	importDefaultMatrix(t, h, secretariat, 2024)
	for _, r := range []struct{ unit, kind, index string }{
		{tanHoa, "commune", "55.00"}, {quangBinh, "commune", "92.00"}, {commune, "commune", "85.00"}, {planInvest, "department", "55.00"},
	} {
		publishResult(t, h.js, uuid.NewString(), unitIndex(2024, r.unit, r.kind, r.index))
	}
	if ev := evaluateOne(t, eval, vuThuHead); ev.GetUnitId() != tanHoa || ev.GetRule() != "art17.2" {
		t.Errorf("Vũ Thư's head evaluated %s by %s, want Tân Hòa by art17.2", ev.GetUnitId(), ev.GetRule())
	}
	if ev := evaluateOne(t, eval, kienXuongHead); ev.GetUnitId() != quangBinh {
		t.Errorf("Kiến Xương's head evaluated %s, want Quang Bình", ev.GetUnitId())
	}
	// The secretariat: the department and the commune under the province, not the districts'
	// communes; evaluating again leaves the districts' drafts alone.
	deadline := time.Now().Add(callTimeout)
	for {
		res, err := eval.EvaluateHeads(ctx(t, secretariat), &accountabilityv1.EvaluateHeadsRequest{ProvinceUnitId: province, Year: 2024})
		if err != nil {
			t.Fatal(err)
		}
		got := unitsOf(res.GetEvaluations())
		if slices.Equal(got, sorted(commune, planInvest)) {
			break
		}
		if len(got) > 2 || time.Now().After(deadline) {
			t.Fatalf("the secretariat evaluated %v, want the commune under the province and Planning and Investment", got)
		}
		time.Sleep(50 * time.Millisecond)
	}
	list := func(tok string) []string {
		t.Helper()
		res, err := eval.ListEvaluations(ctx(t, tok), &accountabilityv1.ListEvaluationsRequest{ProvinceUnitId: province, Year: 2024})
		if err != nil {
			t.Fatal(err)
		}
		return unitsOf(res.GetEvaluations())
	}
	if got, want := list(secretariat), sorted(commune, tanHoa, quangBinh, planInvest); !slices.Equal(got, want) {
		t.Errorf("the secretariat lists %v, want %v", got, want)
	}
	if got := list(vuThuHead); !slices.Equal(got, []string{tanHoa}) {
		t.Errorf("Vũ Thư's head lists %v, want only Tân Hòa", got)
	}
	if got := list(tanHoaHead); len(got) != 0 {
		t.Errorf("Tân Hòa's chairman lists the draft %v", got)
	}
	for _, c := range []struct{ name, tok string }{{"provincial leadership", leadership}, {"a department head", justiceHead}} {
		_, err := eval.EvaluateHeads(ctx(t, c.tok), &accountabilityv1.EvaluateHeadsRequest{ProvinceUnitId: province, Year: 2024})
		if status.Code(err) != codes.PermissionDenied {
			t.Errorf("%s evaluates: %v, want PermissionDenied", c.name, err)
		}
		_, err = eval.PublishEvaluations(ctx(t, c.tok), &accountabilityv1.PublishEvaluationsRequest{ProvinceUnitId: province, Year: 2024})
		if status.Code(err) != codes.PermissionDenied {
			t.Errorf("%s publishes: %v, want PermissionDenied", c.name, err)
		}
	}

	pub, err := eval.PublishEvaluations(ctx(t, secretariat), &accountabilityv1.PublishEvaluationsRequest{ProvinceUnitId: province, Year: 2024})
	if err != nil {
		t.Fatal(err)
	}
	if got := unitsOf(pub.GetEvaluations()); !slices.Equal(got, sorted(commune, planInvest)) {
		t.Errorf("the secretariat published %v", got)
	}
	pub, err = eval.PublishEvaluations(ctx(t, vuThuHead), &accountabilityv1.PublishEvaluationsRequest{ProvinceUnitId: province, Year: 2024})
	if err != nil {
		t.Fatal(err)
	}
	if got := unitsOf(pub.GetEvaluations()); !slices.Equal(got, []string{tanHoa}) {
		t.Errorf("Vũ Thư's head published %v, want only Tân Hòa", got)
	}
	// Not completed (Art. 17.2, policy bands): criticism by the district chairman (Art. 19.2.a),
	// the only proposal the district head is answered.
	if ps := pub.GetProposals(); len(ps) != 1 || ps[0].GetUnitId() != tanHoa || ps[0].GetKind() != "commune_criticism" {
		t.Errorf("Vũ Thư's head is answered the proposals %v", ps)
	}
	if got := list(tanHoaHead); !slices.Equal(got, []string{tanHoa}) {
		t.Errorf("Tân Hòa's chairman lists %v, want the published evaluation", got)
	}
	_, err = eval.EvaluateHeads(ctx(t, vuThuHead), &accountabilityv1.EvaluateHeadsRequest{ProvinceUnitId: province, Year: 2024})
	if status.Code(err) != codes.FailedPrecondition {
		t.Errorf("Vũ Thư's head evaluates again after publishing: %v, want FailedPrecondition", err)
	}
	// Kiến Xương has not published: its commune is still a draft, only it may re-evaluate it.
	res, err := eval.ListEvaluations(ctx(t, secretariat), &accountabilityv1.ListEvaluationsRequest{ProvinceUnitId: province, Year: 2024})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range res.GetEvaluations() {
		if published := e.GetPublished(); published != (e.GetUnitId() != quangBinh) {
			t.Errorf("%s published: %v", e.GetUnitId(), published)
		}
	}
	if ev := evaluateOne(t, eval, kienXuongHead); ev.GetUnitId() != quangBinh {
		t.Errorf("Kiến Xương's head re-evaluated %s", ev.GetUnitId())
	}
}
