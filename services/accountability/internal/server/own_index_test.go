package server_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/google/uuid"
	"google.golang.org/protobuf/types/known/timestamppb"

	accountabilityv1 "github.com/parindex/platform/proto/gen/go/par/accountability/v1"
	directoryv1 "github.com/parindex/platform/proto/gen/go/par/directory/v1"
	parscoringv1 "github.com/parindex/platform/proto/gen/go/par/parscoring/v1"
	"github.com/parindex/platform/services/kit/auth"
)

// Units below the province for the Art. 15.7 scenario.
const (
	vuThu  = "0190a000-0000-7000-8000-000000000030" // UBND huyện Vũ Thư
	tanHoa = "0190a000-0000-7000-8000-000000000031" // UBND xã Tân Hòa, under the district
)

// unitIndex2024 is a unit's own index for 2024 as the province (or district) published it
// on 20/02/2025, with nodes "fallen" falling and the others rising.
func unitIndex2024(kind, unit string, fallen ...string) *parscoringv1.SubjectResultPublished {
	ev := &parscoringv1.SubjectResultPublished{
		SnapshotId: uuid.NewString(), Year: 2024, SubjectKind: kind, Source: parscoringv1.ResultSource_RESULT_SOURCE_APPRAISED,
		Decision: "45/QĐ-UBND", PublishTime: timestamppb.New(time.Date(2025, 2, 20, 3, 0, 0, 0, time.UTC)), UnitId: unit,
		Total: "82.00", MaxPoints: "100.00", IndexPercent: "82.00", PreviousTotal: "84.00",
	}
	fell := map[string]bool{}
	for _, c := range fallen {
		fell[c] = true
	}
	for _, code := range []string{"1", "2", "2.1", "3"} {
		n := &parscoringv1.NodeResult{Code: code, Score: "5.00", MaxPoints: "10.00", PreviousScore: "4.00"}
		if fell[code] {
			n.PreviousScore, n.Fell = "6.50", true
		}
		if i := strings.LastIndexByte(code, '.'); i > 0 {
			n.ParentCode = code[:i]
		}
		ev.Nodes = append(ev.Nodes, n)
	}
	return ev
}

// TestOwnIndexTrigger: when a department's or district's own index falls, its head of the
// day of publication explains each fallen node (002 Art. 15.7 with Art. 14.1), once per
// year, index, node and unit however often the results are delivered; a commune index
// opens nothing (Chapter III does not name commune chairmen).
func TestOwnIndexTrigger(t *testing.T) {
	dir := thaiBinhDirectory()
	dir.units[vuThu], dir.units[tanHoa] = true, true
	dir.parents[vuThu], dir.parents[tanHoa] = province, vuThu
	// Justice changed heads on 01/04/2025: the department index was published on 20/02/2025,
	// the provincial index on 10/05/2025, so each is explained by a different person.
	dir.tenures = map[string][]*directoryv1.HeadTenure{
		justice: {
			{UnitId: justice, PersonName: "Nguyễn Văn Đức", UserId: "u-duc", StartDate: "2019-01-01", EndDate: "2025-03-31"},
			{UnitId: justice, PersonName: "Hoàng Thị Én", UserId: "u-en", StartDate: "2025-04-01"},
		},
		vuThu:  {{UnitId: vuThu, PersonName: "Vũ Văn Phúc", UserId: "u-phuc", StartDate: "2021-07-01"}},
		tanHoa: {{UnitId: tanHoa, PersonName: "Đỗ Thị Giang", UserId: "u-giang", StartDate: "2021-07-01"}},
	}
	h := start(t, startDirectory(t, dir))
	secretariat := h.tokenFor(t, "u-snv", homeAffair, auth.RoleSecretariat)
	importDefaultMatrix(t, h, secretariat, 2024)

	// The provincial index: field 2 (institutions, Justice) fell.
	prov := provincial2024()
	prov.Nodes = append(prov.Nodes, &parscoringv1.NodeResult{Code: "2", Score: "8.00", MaxPoints: "10.00", PreviousScore: "9.00"})
	publishResult(t, h.js, uuid.NewString(), prov)
	// Justice's own index: nodes 2 and 2.1 fell. Delivered twice under one event id
	// (JetStream drops the repeat) and once more under another (a republication).
	dept := unitIndex2024("department", justice, "2", "2.1")
	id := uuid.NewString()
	publishResult(t, h.js, id, dept)
	publishResult(t, h.js, id, dept)
	publishResult(t, h.js, uuid.NewString(), dept)
	publishResult(t, h.js, uuid.NewString(), unitIndex2024("district", vuThu, "1"))
	publishResult(t, h.js, uuid.NewString(), unitIndex2024("commune", tanHoa, "1", "3"))

	// Provincial: 3 and 8 (see provincial2024) and 2; own indexes: Justice 2, 2.1; Vũ Thư 1.
	const want = 6
	if n := countEvents(t, h.js, "accountability.v1.explanation.requested", want); n != want {
		t.Errorf("%d ExplanationRequested events, want %d", n, want)
	}
	type key struct{ Index, Node, Unit, Head, Kind string }
	var got []key
	byKey := map[key]*accountabilityv1.Explanation{}
	for _, e := range waitExplanations(t, h, secretariat, 2024, want) {
		k := key{e.GetIndexUnitId(), e.GetNodeCode(), e.GetUnitId(), e.GetHeadName(), e.GetIndexKind()}
		got = append(got, k)
		byKey[k] = e
	}
	wantKeys := []key{
		{province, "3", ppcOffice, "", "province"},
		{province, "8", planInvest, "", "province"},
		{province, "2", justice, "Hoàng Thị Én", "province"},
		{justice, "2", justice, "Nguyễn Văn Đức", "department"},
		{justice, "2.1", justice, "Nguyễn Văn Đức", "department"},
		{vuThu, "1", vuThu, "Vũ Văn Phúc", "district"},
	}
	less := func(a, b key) bool { return a.Index+a.Node+a.Unit < b.Index+b.Node+b.Unit }
	if diff := cmp.Diff(wantKeys, got, cmpopts.SortSlices(less)); diff != "" {
		t.Fatalf("requests (-want +got):\n%s", diff)
	}
	// The ground of each request, for the Art. 20.2 report's sections.
	for k, e := range byKey {
		want := accountabilityv1.ExplanationScope_EXPLANATION_SCOPE_OWN_INDEX
		if k.Index == province {
			want = accountabilityv1.ExplanationScope_EXPLANATION_SCOPE_PROVINCIAL_INDEX
		}
		if e.GetScope() != want {
			t.Errorf("%v: scope %v, want %v", k, e.GetScope(), want)
		}
	}
	e := byKey[key{justice, "2.1", justice, "Nguyễn Văn Đức", "department"}]
	if !strings.Contains(e.GetLegalBasis(), "Điều 14 khoản 1") || !strings.Contains(e.GetLegalBasis(), "Điều 15 khoản 7") {
		t.Errorf("legal basis %q", e.GetLegalBasis())
	}
	if e.GetProvinceUnitId() != province || e.GetHeadUserId() != "u-duc" || e.GetDueDate() != "2025-03-12" ||
		e.GetScore() != "5.00" || e.GetPreviousScore() != "6.50" || len(e.GetCooperatingUnitIds()) != 0 {
		t.Errorf("request = %v", e)
	}

	// A re-run opens nothing more: the requests exist.
	res, err := h.explanations.RunExplanationTriggers(ctx(t, secretariat), &accountabilityv1.RunExplanationTriggersRequest{ProvinceUnitId: province, Year: 2024})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.GetOpened()) != 0 {
		t.Errorf("re-run opened %v", res.GetOpened())
	}
	if n := len(waitExplanations(t, h, secretariat, 2024, want)); n != want {
		t.Errorf("%d requests after the re-run, want %d", n, want)
	}
}
