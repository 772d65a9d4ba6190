// Package methodology holds PAR index methodologies (bộ tiêu chí) as versioned data: a
// criteria set per year and kind of scored unit, a tree of fields → criteria →
// sub-criteria, each with a maximum (DOMAIN.md, "The PAR index and scoring").
//
// It is the base of the scoring domain: assessment rounds, appraisal, publication and
// rankings are scored against a criteria set and will live in sibling packages that import
// this one for Points, the tree and the validation error types. It imports only the
// standard library.
package methodology

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Years a criteria set may be for. The PAR index exists since 2012; the upper bound only
// catches typing mistakes.
const (
	MinYear = 2000
	MaxYear = 2200
)

// MaxCodeLen is the longest node code accepted (a code like "10.3.12.b" is 9 characters).
const MaxCodeLen = 30

// codePattern is the shape of a node code: dotted segments of letters and digits, as
// written in the decisions ("3", "3.1", "3.1.2", "1.1.d"). The dots carry the hierarchy
// other services rely on (accountability resolves an owner by code prefix).
var codePattern = regexp.MustCompile(`^[0-9A-Za-z]+(\.[0-9A-Za-z]+)*$`)

// PointSource says where a node's points come from.
type PointSource string

// The point sources. An unset source is read as SourceAppraised, where most points come
// from (68 of 100 under QĐ 876; DOMAIN.md, "Reference facts").
const (
	// SourceAppraised: self-assessed with evidence, then appraised (thẩm định).
	SourceAppraised PointSource = "appraised"
	// SourceSurvey: from the social survey (điều tra xã hội học).
	SourceSurvey PointSource = "survey"
	// SourceImported: imported as published by another body (e.g. MOHA).
	SourceImported PointSource = "imported"
)

// Valid reports whether s is one of the known sources.
func (s PointSource) Valid() bool {
	switch s {
	case SourceAppraised, SourceSurvey, SourceImported:
		return true
	}
	return false
}

// Node is a field, criterion or sub-criterion (lĩnh vực / tiêu chí / tiêu chí thành phần).
type Node struct {
	// Code is unique in the set, e.g. "3" or "3.1.2".
	Code string
	// ParentCode is empty for a field (a root).
	ParentCode string
	// Name is the Vietnamese name.
	Name string
	// MaxPoints is the maximum score; negative for a penalty item (điểm trừ).
	MaxPoints Points
	// Guidance says how to score the node.
	Guidance string
	// RequiredEvidence lists the evidence documents (tài liệu kiểm chứng) required.
	RequiredEvidence string
	// PointSource says where the points come from.
	PointSource PointSource
	// Bonus marks a bonus item (điểm khuyến khích), excluded from some penalty rules
	// (002 Art. 17.1.d).
	Bonus bool
	// MaxNotSum says the maximum is not the sum of the children's (e.g. pick-one
	// alternatives).
	MaxNotSum bool
	// Position orders the node among its siblings, from 1.
	Position int
	// Incomplete says the node's figures are not fully known (a maximum, or sub-criteria
	// the source does not state). Its maximum may then be zero (unknown), and the sum rule
	// is not applied where it would need the unknown figure: data shipped from incomplete
	// sources says so rather than inventing numbers.
	Incomplete bool
	// Note is a Vietnamese remark, e.g. why the node is incomplete.
	Note string
}

// Penalty reports whether the node is a penalty item: its maximum is negative, so it can
// only take points away.
func (n Node) Penalty() bool { return n.MaxPoints < 0 }

// CriteriaSet is a methodology for one year and one kind of scored unit. It is created
// once and never edited: a new decision makes a new set.
type CriteriaSet struct {
	// ID is a UUID assigned on creation.
	ID string
	// Year is the year scored.
	Year int
	// SubjectKind is the directory unit kind scored, e.g. "province" or "department".
	SubjectKind string
	// Name is the Vietnamese name, e.g. "Chỉ số CCHC cấp tỉnh 2017".
	Name string
	// Decision is the decision that set it, e.g. "2948/QĐ-BNV"; may be empty.
	Decision string
	// MaxPoints is the maximum total, e.g. 100.
	MaxPoints Points
	// Nodes is the tree as a flat list, parents before children.
	Nodes []Node
	// CreateTime is when the set was created.
	CreateTime time.Time
	// Note is a Vietnamese remark on the set, e.g. its sources.
	Note string
}

// Incomplete reports whether some node of the set is incomplete; such a set documents a
// methodology but cannot be scored against.
func (s CriteriaSet) Incomplete() bool {
	for _, n := range s.Nodes {
		if n.Incomplete {
			return true
		}
	}
	return false
}

// Leaves returns the nodes without children, in the order of the set: the items a unit
// scores.
func (s CriteriaSet) Leaves() []Node {
	parents := make(map[string]bool, len(s.Nodes))
	for _, n := range s.Nodes {
		if n.ParentCode != "" {
			parents[n.ParentCode] = true
		}
	}
	var out []Node
	for _, n := range s.Nodes {
		if !parents[n.Code] {
			out = append(out, n)
		}
	}
	return out
}

// Node returns the node with the given code.
func (s CriteriaSet) Node(code string) (Node, bool) {
	for _, n := range s.Nodes {
		if n.Code == code {
			return n, true
		}
	}
	return Node{}, false
}

// NewCriteriaSet checks a draft set and returns it normalised: text trimmed, an unset
// point source read as appraised, unset positions filled with the order of appearance
// among siblings. The draft is not modified. On failure the error is ValidationErrors
// listing every problem found, with fields named as in the API ("nodes[12].parent_code").
//
// The rules:
//
//   - year in [MinYear, MaxYear]; subject kind and name present; the set's maximum positive;
//   - each node has a well-formed code, unique in the set, a name, a non-zero maximum, a
//     known point source; a bonus item cannot have a negative maximum;
//   - a parent code names a node of the set that appears before the child, and following
//     parents never comes back to the node (no cycles);
//   - positions are unique among siblings;
//   - the sum rule below, for every node with children and for the roots.
//
// The sum rule. DOMAIN.md ("The PAR index and scoring") describes a tree of fields →
// criteria → sub-criteria, each with a maximum, where "some items are bonus items"; the
// reference facts give field maxima that add up to the index's 100 points. So:
//
//   - A node with children has a maximum equal to the sum of the maxima of the children
//     that count towards it, unless it is marked MaxNotSum (alternatives, or a maximum
//     capped below its parts).
//   - Under an ordinary node only ordinary children count. A bonus item (điểm khuyến
//     khích) is earned on top of the regular maximum — 002 Art. 17.1.d treats bonus items
//     apart from the items a head is judged on — and a penalty item (negative maximum,
//     điểm trừ) only takes points away; neither is part of what the parent is scored out
//     of, so counting them would make every methodology with bonuses look inconsistent.
//   - Under a bonus node every non-penalty child counts: the parts of a bonus make up
//     that bonus whether or not each is flagged.
//   - Under a penalty node the penalty children count: a group of deductions adds up to
//     the group's (negative) maximum.
//   - The roots (fields) obey the same rule against the set's maximum: the ordinary fields
//     add up to it (100 for the provincial index); bonus and penalty fields do not count.
func NewCriteriaSet(draft CriteriaSet) (CriteriaSet, error) {
	s := draft
	s.SubjectKind = strings.TrimSpace(s.SubjectKind)
	s.Name = strings.TrimSpace(s.Name)
	s.Decision = strings.TrimSpace(s.Decision)
	s.Note = strings.TrimSpace(s.Note)
	s.Nodes = make([]Node, len(draft.Nodes))
	for i, n := range draft.Nodes {
		n.Code = strings.TrimSpace(n.Code)
		n.ParentCode = strings.TrimSpace(n.ParentCode)
		n.Name = strings.TrimSpace(n.Name)
		n.Note = strings.TrimSpace(n.Note)
		if n.PointSource == "" {
			n.PointSource = SourceAppraised
		}
		s.Nodes[i] = n
	}

	var v ValidationErrors
	if s.Year < MinYear || s.Year > MaxYear {
		v.Add("year", fmt.Sprintf("năm phải từ %d đến %d", MinYear, MaxYear))
	}
	if s.SubjectKind == "" {
		v.Add("subject_kind", "cần loại đơn vị được chấm điểm, ví dụ province")
	}
	if s.Name == "" {
		v.Add("name", "cần tên bộ tiêu chí")
	}
	if s.MaxPoints <= 0 {
		v.Add("max_points", "điểm tối đa của bộ tiêu chí phải lớn hơn 0")
	}
	if len(s.Nodes) == 0 {
		v.Add("nodes", "bộ tiêu chí cần ít nhất một mục")
		return s, v.Err()
	}

	t := checkNodes(s.Nodes, &v)
	if len(t.roots) == 0 {
		v.Add("nodes", "bộ tiêu chí cần ít nhất một lĩnh vực (mục không có mục cha)")
	}
	t.fillPositions(s.Nodes, &v)
	t.checkSums(s, &v)
	return s, v.Err()
}

// tree is the parent/child structure worked out while validating.
type tree struct {
	first    map[string]int // code → index of its first occurrence
	parent   []int          // index of the parent; -1 for a root or an unresolved parent
	inCycle  []bool
	roots    []int
	children map[int][]int // parent index → child indexes in order of appearance
}

func nodeField(i int, name string) string { return fmt.Sprintf("nodes[%d].%s", i, name) }

// checkNodes checks each node on its own and its link to its parent.
func checkNodes(nodes []Node, v *ValidationErrors) tree {
	t := tree{
		first:    make(map[string]int, len(nodes)),
		parent:   make([]int, len(nodes)),
		inCycle:  make([]bool, len(nodes)),
		children: make(map[int][]int),
	}
	for i, n := range nodes {
		switch {
		case n.Code == "":
			v.Add(nodeField(i, "code"), "cần mã mục")
		case len(n.Code) > MaxCodeLen || !codePattern.MatchString(n.Code):
			v.Add(nodeField(i, "code"), fmt.Sprintf("mã %q không hợp lệ: chỉ gồm chữ, số và dấu chấm, tối đa %d ký tự, ví dụ 3.1.2", n.Code, MaxCodeLen))
		}
		if j, dup := t.first[n.Code]; dup && n.Code != "" {
			v.Add(nodeField(i, "code"), fmt.Sprintf("mã %q trùng với mục nodes[%d]", n.Code, j))
		} else if !dup {
			t.first[n.Code] = i
		}
		if n.Name == "" {
			v.Add(nodeField(i, "name"), "cần tên mục")
		}
		if n.MaxPoints == 0 && !n.Incomplete {
			v.Add(nodeField(i, "max_points"), "điểm tối đa phải khác 0 (âm với mục điểm trừ); nếu chưa biết, đánh dấu incomplete và ghi chú")
		}
		if n.Incomplete && n.Note == "" {
			v.Add(nodeField(i, "note"), "mục chưa đầy đủ số liệu cần ghi chú lý do")
		}
		if n.Bonus && n.Penalty() {
			v.Add(nodeField(i, "bonus"), "mục điểm khuyến khích không thể có điểm tối đa âm")
		}
		if !n.PointSource.Valid() {
			v.Add(nodeField(i, "point_source"), fmt.Sprintf("nguồn điểm %q không hợp lệ", n.PointSource))
		}
	}

	for i, n := range nodes {
		t.parent[i] = -1
		if n.ParentCode == "" {
			continue
		}
		p, ok := t.first[n.ParentCode]
		if !ok {
			v.Add(nodeField(i, "parent_code"), fmt.Sprintf("không có mục nào mã %q", n.ParentCode))
			continue
		}
		t.parent[i] = p
	}

	// Cycles first: a node in a cycle necessarily has an ancestor after it, and "the
	// parent must come first" would hide the real mistake.
	for i := range nodes {
		if path, ok := t.cycleFrom(nodes, i); ok {
			t.inCycle[i] = true
			if len(path) == 2 {
				v.Add(nodeField(i, "parent_code"), "mục không thể là mục cha của chính nó")
			} else {
				v.Add(nodeField(i, "parent_code"), "quan hệ cha con tạo thành vòng lặp: "+strings.Join(path, " → "))
			}
		}
	}
	for i, n := range nodes {
		switch p := t.parent[i]; {
		case p < 0 && n.ParentCode == "":
			t.roots = append(t.roots, i)
		case p < 0 || t.inCycle[i]:
			// Unattached: already reported.
		default:
			if p > i {
				v.Add(nodeField(i, "parent_code"), fmt.Sprintf("mục cha %q (nodes[%d]) phải đứng trước mục con", n.ParentCode, p))
			}
			t.children[p] = append(t.children[p], i)
		}
	}
	return t
}

// cycleFrom follows parents from node i and reports the codes on the way when it comes
// back to i. At most len(nodes) steps are needed to know.
func (t tree) cycleFrom(nodes []Node, i int) ([]string, bool) {
	path := []string{nodes[i].Code}
	for cur, steps := t.parent[i], 0; cur >= 0 && steps <= len(nodes); cur, steps = t.parent[cur], steps+1 {
		path = append(path, nodes[cur].Code)
		if cur == i {
			return path, true
		}
	}
	return nil, false
}

// fillPositions gives each node without a position its order of appearance among its
// siblings, and reports positions used twice under the same parent.
func (t tree) fillPositions(nodes []Node, v *ValidationErrors) {
	groups := make([][]int, 0, len(t.children)+1)
	groups = append(groups, t.roots)
	for p := range nodes {
		if kids, ok := t.children[p]; ok {
			groups = append(groups, kids)
		}
	}
	for _, group := range groups {
		taken := make(map[int]int, len(group))
		for ordinal, i := range group {
			if nodes[i].Position == 0 {
				nodes[i].Position = ordinal + 1
			}
			if j, dup := taken[nodes[i].Position]; dup {
				v.Add(nodeField(i, "position"), fmt.Sprintf("vị trí %d trùng với mục nodes[%d] cùng cấp", nodes[i].Position, j))
				continue
			}
			taken[nodes[i].Position] = i
		}
	}
}

// counts reports whether child counts towards the maximum of a parent of the given kind
// (see the sum rule on NewCriteriaSet).
func counts(parentBonus, parentPenalty bool, child Node) bool {
	switch {
	case parentPenalty:
		return child.Penalty()
	case parentBonus:
		return !child.Penalty()
	default:
		return !child.Penalty() && !child.Bonus
	}
}

// sumOf adds the maxima of the children that count, and says how many were left out and
// whether a counted child's maximum is unknown (incomplete with no maximum), in which case
// the sum proves nothing.
func sumOf(nodes []Node, kids []int, parentBonus, parentPenalty bool) (sum Points, skipped int, unknown bool) {
	for _, k := range kids {
		if counts(parentBonus, parentPenalty, nodes[k]) {
			if nodes[k].Incomplete && nodes[k].MaxPoints == 0 {
				unknown = true
			}
			sum += nodes[k].MaxPoints
		} else {
			skipped++
		}
	}
	return sum, skipped, unknown
}

// checkSums applies the sum rule to every parent and to the roots.
func (t tree) checkSums(s CriteriaSet, v *ValidationErrors) {
	for p, n := range s.Nodes {
		kids := t.children[p]
		if len(kids) == 0 || n.MaxNotSum || t.inCycle[p] || (n.Incomplete && n.MaxPoints == 0) {
			continue
		}
		sum, skipped, unknown := sumOf(s.Nodes, kids, n.Bonus, n.Penalty())
		if !unknown && sum != n.MaxPoints {
			v.Add(nodeField(p, "max_points"), fmt.Sprintf(
				"điểm tối đa %s khác tổng điểm tối đa của các mục con (%s)%s; nếu đây là chủ ý, đánh dấu max_not_sum",
				n.MaxPoints, sum, skippedNote(skipped)))
		}
	}
	if s.MaxPoints <= 0 || len(t.roots) == 0 {
		return
	}
	if sum, skipped, unknown := sumOf(s.Nodes, t.roots, false, false); !unknown && sum != s.MaxPoints {
		v.Add("max_points", fmt.Sprintf("điểm tối đa %s của bộ tiêu chí khác tổng điểm tối đa của các lĩnh vực (%s)%s",
			s.MaxPoints, sum, skippedNote(skipped)))
	}
}

func skippedNote(skipped int) string {
	if skipped == 0 {
		return ""
	}
	return fmt.Sprintf(", không tính %d mục điểm khuyến khích hoặc điểm trừ", skipped)
}
