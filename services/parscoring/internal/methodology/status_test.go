package methodology

import (
	"slices"
	"testing"
)

func TestStatus(t *testing.T) {
	p := MustParsePoints
	complete := CriteriaSet{Year: 2025, SubjectKind: "department", Name: "Chỉ số CCHC cấp sở", MaxPoints: p("10"), Nodes: []Node{
		{Code: "1", Name: "Lĩnh vực 1", MaxPoints: p("10")},
		{Code: "1.1", ParentCode: "1", Name: "a", MaxPoints: p("6")},
		{Code: "1.2", ParentCode: "1", Name: "b", MaxPoints: p("4")},
	}}
	if st := complete.Status(); !st.Complete() || len(st.Messages()) != 0 {
		t.Errorf("complete set: %+v", st)
	}

	// A field whose maximum is unknown: valid, but its sum and the total are unchecked.
	incomplete := complete
	incomplete.Nodes = slices.Clone(complete.Nodes)
	incomplete.Nodes[0] = Node{Code: "1", Name: "Lĩnh vực 1", Incomplete: true, Note: "QĐ chưa nêu điểm tối đa"}
	st := incomplete.Status()
	if !st.Valid() || st.Complete() || !slices.Equal(st.IncompleteNodes, []string{"1"}) || !slices.Equal(st.UncheckedSums, []string{"1", ""}) {
		t.Errorf("incomplete set: %+v", st)
	}
	if m := st.Messages(); len(m) != 3 {
		t.Errorf("messages = %q", m)
	}

	// Stored without validation (an older rule, another path): the broken sum is reported.
	broken := complete
	broken.Nodes = slices.Clone(complete.Nodes)
	broken.Nodes[2].MaxPoints = p("3.5")
	st = broken.Status()
	if st.Valid() || st.Complete() || len(st.Problems) != 1 || st.Problems[0].Field != "nodes[0].max_points" {
		t.Errorf("broken set: %+v", st)
	}
}
