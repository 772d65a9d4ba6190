package methodology

import (
	"errors"
	"fmt"
)

// Status is what an operator needs to know about a stored set before scoring against it:
// whether it still obeys the rules of NewCriteriaSet (a set stored under older rules, or
// written by another path, may not), and what keeps it from being complete.
type Status struct {
	// Problems are the rule violations found by validating the set again; empty for a set
	// created under the current rules.
	Problems ValidationErrors
	// IncompleteNodes are the codes of the nodes whose figures are not known.
	IncompleteNodes []string
	// UncheckedSums are the parents whose sum rule cannot be checked because the maximum
	// of the parent or of a counted child is not known; "" stands for the set's total.
	UncheckedSums []string
}

// Valid reports whether the set obeys every rule that can be checked.
func (st Status) Valid() bool { return len(st.Problems) == 0 }

// Complete reports whether the set is valid, every figure is known and every sum checked:
// only then can units be scored against it.
func (st Status) Complete() bool {
	return st.Valid() && len(st.IncompleteNodes) == 0 && len(st.UncheckedSums) == 0
}

// Messages says in Vietnamese, one line each, what makes the set invalid or incomplete.
func (st Status) Messages() []string {
	var out []string
	for _, p := range st.Problems {
		out = append(out, p.Error())
	}
	for _, c := range st.IncompleteNodes {
		out = append(out, fmt.Sprintf("mục %s chưa đủ số liệu (điểm tối đa hoặc mục con chưa biết)", c))
	}
	for _, c := range st.UncheckedSums {
		if c == "" {
			out = append(out, "chưa kiểm tra được tổng điểm tối đa của bộ tiêu chí: có lĩnh vực chưa biết điểm tối đa")
			continue
		}
		out = append(out, fmt.Sprintf("chưa kiểm tra được điểm tối đa của mục %s bằng tổng các mục con: có điểm tối đa chưa biết", c))
	}
	return out
}

// Status validates the set again and lists what is incomplete.
func (s CriteriaSet) Status() Status {
	var st Status
	if _, err := NewCriteriaSet(s); err != nil {
		var v ValidationErrors
		if !errors.As(err, &v) {
			v = ValidationErrors{{Field: "nodes", Reason: err.Error()}}
		}
		st.Problems = v
	}
	children := make(map[string][]int, len(s.Nodes))
	var roots []int
	for i, n := range s.Nodes {
		if n.Incomplete {
			st.IncompleteNodes = append(st.IncompleteNodes, n.Code)
		}
		if n.ParentCode == "" {
			roots = append(roots, i)
		} else {
			children[n.ParentCode] = append(children[n.ParentCode], i)
		}
	}
	for _, n := range s.Nodes {
		kids := children[n.Code]
		if len(kids) == 0 || n.MaxNotSum {
			continue
		}
		_, _, unknown := sumOf(s.Nodes, kids, n.Bonus, n.Penalty())
		if unknown || (n.Incomplete && n.MaxPoints == 0) {
			st.UncheckedSums = append(st.UncheckedSums, n.Code)
		}
	}
	if _, _, unknown := sumOf(s.Nodes, roots, false, false); unknown {
		st.UncheckedSums = append(st.UncheckedSums, "")
	}
	return st
}
