package methodology

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// fixtureSet is the protojson shape of testdata/*.json (snake_case names), read here with
// encoding/json so the domain test needs no generated code.
type fixtureSet struct {
	Year        int    `json:"year"`
	SubjectKind string `json:"subject_kind"`
	Name        string `json:"name"`
	Decision    string `json:"decision"`
	MaxPoints   string `json:"max_points"`
	Nodes       []struct {
		Code       string `json:"code"`
		ParentCode string `json:"parent_code"`
		Name       string `json:"name"`
		MaxPoints  string `json:"max_points"`
	} `json:"nodes"`
}

// loadQD2948Fields reads the 2017 provincial index of QĐ 2948/QĐ-BNV at field level: the
// eight field maxima from DOMAIN.md "Reference facts", adding up to 100.
func loadQD2948Fields(t *testing.T) CriteriaSet {
	t.Helper()
	raw, err := os.ReadFile("testdata/qd2948_2017_province_fields.json")
	if err != nil {
		t.Fatal(err)
	}
	var f fixtureSet
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	s := CriteriaSet{Year: f.Year, SubjectKind: f.SubjectKind, Name: f.Name, Decision: f.Decision, MaxPoints: MustParsePoints(f.MaxPoints)}
	for _, n := range f.Nodes {
		s.Nodes = append(s.Nodes, Node{Code: n.Code, ParentCode: n.ParentCode, Name: n.Name, MaxPoints: MustParsePoints(n.MaxPoints)})
	}
	return s
}

func TestQD2948FieldLevelValidates(t *testing.T) {
	draft := loadQD2948Fields(t)
	got, err := NewCriteriaSet(draft)
	if err != nil {
		t.Fatalf("NewCriteriaSet: %v", err)
	}
	want := map[string]string{"1": "10.00", "2": "10.00", "3": "14.50", "4": "11.00", "5": "16.00", "6": "7.00", "7": "16.00", "8": "15.50"}
	if len(got.Nodes) != len(want) {
		t.Fatalf("got %d fields, want %d", len(got.Nodes), len(want))
	}
	var total Points
	for i, n := range got.Nodes {
		if n.MaxPoints.String() != want[n.Code] {
			t.Errorf("field %s max = %s, want %s", n.Code, n.MaxPoints, want[n.Code])
		}
		if n.Position != i+1 {
			t.Errorf("field %s position = %d, want its order of appearance %d", n.Code, n.Position, i+1)
		}
		if n.PointSource != SourceAppraised {
			t.Errorf("field %s point source = %q, want the default %q", n.Code, n.PointSource, SourceAppraised)
		}
		total += n.MaxPoints
	}
	if total != MustParsePoints("100") {
		t.Errorf("fields add up to %s, want 100.00", total)
	}
	if draft.Nodes[0].Position != 0 {
		t.Error("NewCriteriaSet modified the draft's nodes")
	}
}

func TestQD2948BrokenFieldIsRejected(t *testing.T) {
	// Field 3 (administrative procedures, 14.50) given two criteria adding to 14.00. The
	// criteria are made up for the test; only the field maxima come from the source.
	broken := loadQD2948Fields(t)
	broken.Nodes = append(broken.Nodes,
		Node{Code: "3.1", ParentCode: "3", Name: "Tiêu chí thử nghiệm 3.1", MaxPoints: MustParsePoints("7.00")},
		Node{Code: "3.2", ParentCode: "3", Name: "Tiêu chí thử nghiệm 3.2", MaxPoints: MustParsePoints("7.00")},
	)
	_, err := NewCriteriaSet(broken)
	var ve ValidationErrors
	if !errors.As(err, &ve) {
		t.Fatalf("err = %v, want ValidationErrors", err)
	}
	want := ValidationErrors{{
		Field:  "nodes[2].max_points",
		Reason: "điểm tối đa 14.50 khác tổng điểm tối đa của các mục con (14.00); nếu đây là chủ ý, đánh dấu max_not_sum",
	}}
	if diff := cmp.Diff(want, ve); diff != "" {
		t.Errorf("violations (-want +got):\n%s", diff)
	}

	// The same children adding up to 14.50 are accepted.
	fixed := loadQD2948Fields(t)
	fixed.Nodes = append(fixed.Nodes,
		Node{Code: "3.1", ParentCode: "3", Name: "Tiêu chí thử nghiệm 3.1", MaxPoints: MustParsePoints("7.25")},
		Node{Code: "3.2", ParentCode: "3", Name: "Tiêu chí thử nghiệm 3.2", MaxPoints: MustParsePoints("7.25")},
	)
	if _, err := NewCriteriaSet(fixed); err != nil {
		t.Errorf("children adding up: %v", err)
	}
}

// set builds a valid-header draft around nodes; n is shorthand for a node.
func set(max string, nodes ...Node) CriteriaSet {
	return CriteriaSet{Year: 2024, SubjectKind: "department", Name: "Chỉ số CCHC cấp sở 2024", MaxPoints: MustParsePoints(max), Nodes: nodes}
}

func n(code, parent, max string) Node {
	return Node{Code: code, ParentCode: parent, Name: "Mục " + code, MaxPoints: MustParsePoints(max)}
}

func with(node Node, edit func(*Node)) Node {
	edit(&node)
	return node
}

func TestNewCriteriaSetAccepts(t *testing.T) {
	tests := []struct {
		name  string
		draft CriteriaSet
	}{
		{"three levels", set("10", n("1", "", "10"), n("1.1", "1", "6"), n("1.2", "1", "4"), n("1.1.1", "1.1", "2.5"), n("1.1.2", "1.1", "3.5"))},
		{"bonus and penalty children do not count", set("10",
			n("1", "", "10"), n("1.1", "1", "6"), n("1.2", "1", "4"),
			with(n("1.3", "1", "1"), func(n *Node) { n.Bonus = true }),
			n("1.4", "1", "-2"))},
		{"children of a bonus item make up the bonus", set("10",
			n("1", "", "10"),
			with(n("9", "", "2"), func(n *Node) { n.Bonus = true }),
			n("9.1", "9", "1"), with(n("9.2", "9", "1"), func(n *Node) { n.Bonus = true }))},
		{"a penalty group adds up its deductions", set("10", n("1", "", "10"), n("P", "", "-5"), n("P.1", "P", "-2"), n("P.2", "P", "-3"))},
		{"max not sum", set("3", with(n("1", "", "3"), func(n *Node) { n.MaxNotSum = true }), n("1.a", "1", "3"), n("1.b", "1", "3"))},
		{"explicit positions", set("10",
			with(n("1", "", "4"), func(n *Node) { n.Position = 2 }),
			with(n("2", "", "6"), func(n *Node) { n.Position = 1 }))},
		{"survey points", set("10", with(n("1", "", "10"), func(n *Node) { n.PointSource = SourceSurvey }))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewCriteriaSet(tt.draft); err != nil {
				t.Errorf("NewCriteriaSet: %v", err)
			}
		})
	}
}

func TestNewCriteriaSetReportsEveryProblem(t *testing.T) {
	tests := []struct {
		name  string
		draft CriteriaSet
		want  []string // fields, in order
		// reasonHas optionally checks the reason of the first violation.
		reasonHas string
	}{
		{
			name:  "header",
			draft: CriteriaSet{Year: 1999, SubjectKind: " ", Name: "", MaxPoints: 0, Nodes: []Node{n("1", "", "10")}},
			want:  []string{"year", "subject_kind", "name", "max_points"},
		},
		{
			name:  "no nodes",
			draft: set("100"),
			want:  []string{"nodes"},
		},
		{
			name: "node fields",
			draft: set("10",
				with(n("1", "", "10"), func(n *Node) { n.Name = " " }),
				with(n("1.1", "1", "0"), func(n *Node) { n.Code = "1..1" }),
				with(n("2", "", "-1"), func(n *Node) { n.Bonus = true }),
				with(n("3", "", "1"), func(n *Node) { n.PointSource = "guess" }),
				with(n("4", "", "1"), func(n *Node) { n.Code = "" }),
			),
			want: []string{
				"nodes[0].name", "nodes[1].code", "nodes[1].max_points", "nodes[2].bonus",
				"nodes[3].point_source", "nodes[4].code",
				// Roots 3 and the code-less node add 2 to the regular total; field 1's
				// child "1..1" still hangs off 1 and sums to 0.
				"nodes[0].max_points", "max_points",
			},
		},
		{
			name:      "duplicate code",
			draft:     set("10", n("1", "", "5"), n("2", "", "5"), n("1", "", "5")),
			want:      []string{"nodes[2].code", "max_points"},
			reasonHas: `trùng với mục nodes[0]`,
		},
		{
			name:      "missing parent",
			draft:     set("10", n("1", "", "10"), n("1.1", "1", "10"), n("2.1", "2", "1")),
			want:      []string{"nodes[2].parent_code"},
			reasonHas: `không có mục nào mã "2"`,
		},
		{
			name:      "parent after child",
			draft:     set("10", n("1.1", "1", "10"), n("1", "", "10")),
			want:      []string{"nodes[0].parent_code"},
			reasonHas: "phải đứng trước mục con",
		},
		{
			name:      "cycle",
			draft:     set("10", n("1", "", "10"), n("A", "B", "1"), n("B", "A", "1")),
			want:      []string{"nodes[1].parent_code", "nodes[2].parent_code"},
			reasonHas: "vòng lặp: A → B → A",
		},
		{
			name:  "own parent",
			draft: set("10", n("1", "", "10"), n("2", "2", "1")),
			want:  []string{"nodes[1].parent_code"},
		},
		{
			name:  "only cycles, no roots",
			draft: set("10", n("A", "B", "1"), n("B", "A", "1")),
			want:  []string{"nodes[0].parent_code", "nodes[1].parent_code", "nodes"},
		},
		{
			name: "duplicate positions",
			draft: set("10",
				with(n("1", "", "4"), func(n *Node) { n.Position = 2 }),
				n("2", "", "6")), // defaults to 2, its order of appearance
			want: []string{"nodes[1].position"},
		},
		{
			name:      "roots do not add up",
			draft:     set("100", n("1", "", "10"), n("2", "", "80"), with(n("3", "", "10"), func(n *Node) { n.Bonus = true })),
			want:      []string{"max_points"},
			reasonHas: "(90.00), không tính 1 mục",
		},
		{
			name: "several parents at once",
			draft: set("20",
				n("1", "", "10"), n("2", "", "10"),
				n("1.1", "1", "4"), n("1.2", "1", "4"),
				n("2.1", "2", "9"), n("2.1.1", "2.1", "1")),
			want: []string{"nodes[0].max_points", "nodes[1].max_points", "nodes[4].max_points"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewCriteriaSet(tt.draft)
			var ve ValidationErrors
			if !errors.As(err, &ve) {
				t.Fatalf("err = %v, want ValidationErrors", err)
			}
			got := make([]string, len(ve))
			for i, e := range ve {
				got[i] = e.Field
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("fields (-want +got):\n%s\nall: %v", diff, ve)
			}
			if tt.reasonHas != "" && !strings.Contains(ve[0].Reason, tt.reasonHas) {
				t.Errorf("reason %q does not contain %q", ve[0].Reason, tt.reasonHas)
			}
		})
	}
}
