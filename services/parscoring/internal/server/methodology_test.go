package server_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	parscoringv1 "github.com/parindex/platform/proto/gen/go/par/parscoring/v1"
	"github.com/parindex/platform/services/kit/auth"
	"github.com/parindex/platform/services/parscoring/methodologies"
)

func TestMethodologyFiles(t *testing.T) {
	h := start(t)
	m := parscoringv1.NewMethodologyServiceClient(h.conn)
	sec := h.as(t, auth.RoleSecretariat)
	yaml := methodologies.All()[0].Content // QĐ 2948 (2017)

	dry, err := m.ImportCriteriaSet(sec, &parscoringv1.ImportCriteriaSetRequest{Format: parscoringv1.CriteriaSetFormat_CRITERIA_SET_FORMAT_YAML, Content: yaml, DryRun: true}, grpc.WaitForReady(true))
	if err != nil || len(dry.GetProblems()) != 0 || dry.GetCriteriaSet().GetId() != "" || len(dry.GetCriteriaSet().GetNodes()) != 8 {
		t.Fatalf("dry run: %v, %v", dry, err)
	}
	if list, _ := h.client.ListCriteriaSets(sec, &parscoringv1.ListCriteriaSetsRequest{}); len(list.GetCriteriaSets()) != 0 {
		t.Fatalf("dry run stored %v", list)
	}
	if _, err := m.ImportCriteriaSet(h.as(t, auth.RoleUnitHead), &parscoringv1.ImportCriteriaSetRequest{Format: parscoringv1.CriteriaSetFormat_CRITERIA_SET_FORMAT_YAML, Content: yaml}); code(err) != codes.PermissionDenied {
		t.Errorf("unit head imports: %v", err)
	}
	res, err := m.ImportCriteriaSet(sec, &parscoringv1.ImportCriteriaSetRequest{Format: parscoringv1.CriteriaSetFormat_CRITERIA_SET_FORMAT_YAML, Content: yaml})
	if err != nil || res.GetCriteriaSet().GetId() == "" || !res.GetCriteriaSet().GetIncomplete() {
		t.Fatalf("import: %v, %v", res, err)
	}
	stored := res.GetCriteriaSet()
	if stored.GetNodes()[7].GetName() != "Tác động của cải cách hành chính đến người dân, tổ chức và các chỉ tiêu phát triển kinh tế - xã hội của tỉnh" {
		t.Errorf("name of field 8 = %q", stored.GetNodes()[7].GetName())
	}

	// Export in each format and read it back (dry run: the set exists, which is the one
	// problem reported); the set read is the stored one, Vietnamese intact.
	for _, f := range []parscoringv1.CriteriaSetFormat{parscoringv1.CriteriaSetFormat_CRITERIA_SET_FORMAT_YAML, parscoringv1.CriteriaSetFormat_CRITERIA_SET_FORMAT_CSV, parscoringv1.CriteriaSetFormat_CRITERIA_SET_FORMAT_XLSX} {
		exp, err := m.ExportCriteriaSet(h.as(t, auth.RoleUnitStaff), &parscoringv1.ExportCriteriaSetRequest{CriteriaSetId: stored.GetId(), Format: f})
		if err != nil {
			t.Fatalf("export %v: %v", f, err)
		}
		back, err := m.ImportCriteriaSet(sec, &parscoringv1.ImportCriteriaSetRequest{Format: f, Content: exp.GetContent(), DryRun: true})
		if err != nil {
			t.Fatal(err)
		}
		if p := back.GetProblems(); len(p) != 1 || !strings.Contains(p[0].GetMessage(), "đã có bộ tiêu chí") {
			t.Errorf("%v: problems %v", f, p)
		}
		want := proto.Clone(stored).(*parscoringv1.CriteriaSet)
		want.Id, want.CreateTime = "", nil
		if diff := cmp.Diff(want, back.GetCriteriaSet(), protocmp.Transform()); diff != "" {
			t.Errorf("%v round trip (-want +got):\n%s", f, diff)
		}
	}

	// A table with bad rows: every problem, nothing stored.
	bad := "#Năm,2019\n#Loại đơn vị,province\n#Tên bộ tiêu chí,Thử\n#Điểm tối đa,10\nMã,Tên,Điểm tối đa\n1,Lĩnh vực một,4\n2,,abc\n"
	res, err = m.ImportCriteriaSet(sec, &parscoringv1.ImportCriteriaSetRequest{Format: parscoringv1.CriteriaSetFormat_CRITERIA_SET_FORMAT_CSV, Content: []byte(bad)})
	if err != nil || len(res.GetProblems()) < 3 || res.GetCriteriaSet().GetId() != "" {
		t.Errorf("bad import: %v, %v", res, err)
	}

	// Clone 2017 into 2018: the name follows the year.
	cl, err := m.CloneCriteriaSet(sec, &parscoringv1.CloneCriteriaSetRequest{CriteriaSetId: stored.GetId(), Year: 2018, Decision: "2636/QĐ-BNV"})
	if err != nil {
		t.Fatal(err)
	}
	if got := cl.GetCriteriaSet(); got.GetYear() != 2018 || got.GetName() != "Chỉ số cải cách hành chính cấp tỉnh năm 2018" || len(got.GetNodes()) != 8 || got.GetId() == stored.GetId() {
		t.Errorf("clone = %v", got)
	}
}

// TestListCriteriaSetsReportsCompleteness: a list shows which sets can be scored against
// and why the others cannot.
func TestListCriteriaSetsReportsCompleteness(t *testing.T) {
	h := start(t)
	sec := h.as(t, auth.RoleSecretariat)
	if _, err := h.client.CreateCriteriaSet(sec, &parscoringv1.CreateCriteriaSetRequest{CriteriaSet: qd2948(t)}, grpc.WaitForReady(true)); err != nil {
		t.Fatal(err)
	}
	// QĐ 876 (2022) states only some field maxima: the others are marked incomplete.
	partial := &parscoringv1.CriteriaSet{Year: 2022, SubjectKind: "province", Name: "Chỉ số CCHC cấp tỉnh 2022", Decision: "876/QĐ-BNV", MaxPoints: "100",
		Nodes: []*parscoringv1.CriteriaNode{
			{Code: "1", Name: "Công tác chỉ đạo, điều hành", Incomplete: true, Note: "Quyết định không nêu điểm tối đa của lĩnh vực này"},
			{Code: "3", Name: "Cải cách thủ tục hành chính", MaxPoints: "13"},
		}}
	if _, err := h.client.CreateCriteriaSet(sec, &parscoringv1.CreateCriteriaSetRequest{CriteriaSet: partial}); err != nil {
		t.Fatal(err)
	}
	list, err := h.client.ListCriteriaSets(h.as(t, auth.RoleUnitStaff), &parscoringv1.ListCriteriaSetsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	sets := list.GetCriteriaSets()
	if len(sets) != 2 {
		t.Fatalf("sets = %v", sets)
	}
	if s := sets[0]; s.GetYear() != 2022 || !s.GetIncomplete() || !s.GetValid() || s.GetComplete() || len(s.GetNodes()) != 0 ||
		!slices.Equal(s.GetProblems(), []string{
			"mục 1 chưa đủ số liệu (điểm tối đa hoặc mục con chưa biết)",
			"chưa kiểm tra được tổng điểm tối đa của bộ tiêu chí: có lĩnh vực chưa biết điểm tối đa",
		}) {
		t.Errorf("2022 set = %v", s)
	}
	if s := sets[1]; s.GetYear() != 2017 || s.GetIncomplete() || !s.GetValid() || !s.GetComplete() || len(s.GetProblems()) != 0 {
		t.Errorf("2017 set = %v", s)
	}
}
