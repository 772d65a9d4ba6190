package methodology

import (
	"errors"
	"slices"
	"testing"
)

// TestIncompleteNodes: a node whose maximum is not known may say so with a note; the sum
// rule is then skipped where it would need the unknown figure, and nowhere else.
func TestIncompleteNodes(t *testing.T) {
	p := MustParsePoints
	base := func() CriteriaSet {
		return CriteriaSet{Year: 2022, SubjectKind: "province", Name: "Chỉ số CCHC cấp tỉnh 2022", MaxPoints: p("100"), Nodes: []Node{
			{Code: "1", Name: "Công tác chỉ đạo, điều hành", Incomplete: true, Note: "Chưa rõ điểm tối đa"},
			{Code: "3", Name: "Cải cách thủ tục hành chính", MaxPoints: p("13")},
			{Code: "3.1", ParentCode: "3", Name: "Tiêu chí đã biết", MaxPoints: p("13")},
		}}
	}
	set, err := NewCriteriaSet(base())
	if err != nil {
		t.Fatalf("incomplete set refused: %v", err)
	}
	if !set.Incomplete() {
		t.Error("Incomplete() = false")
	}
	if got := set.Leaves(); len(got) != 2 || got[0].Code != "1" || got[1].Code != "3.1" {
		t.Errorf("Leaves() = %v", got)
	}

	// Without a note, and a known sum that is wrong, are both still reported.
	bad := base()
	bad.Nodes[0].Note = ""
	bad.Nodes[2].MaxPoints = p("12")
	_, err = NewCriteriaSet(bad)
	var v ValidationErrors
	if !errors.As(err, &v) {
		t.Fatalf("err = %v", err)
	}
	var fields []string
	for _, e := range v {
		fields = append(fields, e.Field)
	}
	if !slices.Equal(fields, []string{"nodes[0].note", "nodes[1].max_points"}) {
		t.Errorf("fields = %v", fields)
	}

	// A zero maximum on a complete node is still an error.
	bad = base()
	bad.Nodes[0].Incomplete = false
	if _, err := NewCriteriaSet(bad); err == nil {
		t.Error("zero maximum accepted on a complete node")
	}
}
