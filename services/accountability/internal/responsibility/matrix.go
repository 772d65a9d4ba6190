// Package responsibility holds the responsibility matrix of seed 002 (QĐ 3373/QĐ-UBND Thái
// Bình) Art. 15: which unit's head answers for each field, criterion or sub-criterion of
// the provincial PAR index, and who cooperates. It is the base of the accountability
// domain: explanations (Art. 14, 16), evaluation of heads (Art. 17) and sanctions
// (Art. 19) start from "who owns this item", answered by Matrix.Resolve, and will live in
// sibling packages. It imports only the standard library.
package responsibility

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Years a matrix may be for; the upper bound only catches typing mistakes.
const (
	MinYear = 2000
	MaxYear = 2200
)

// MaxCodeLen is the longest node code accepted.
const MaxCodeLen = 30

// codePattern is the shape of a PAR index node code ("3", "3.1", "3.1.2", "1.1.d"): the
// dots carry the hierarchy Resolve walks up.
var codePattern = regexp.MustCompile(`^[0-9A-Za-z]+(\.[0-9A-Za-z]+)*$`)

// Entry says which unit's head answers for a node (chủ trì) and which units' heads help
// (phối hợp). Units are directory unit ids; the head in office for the period concerned
// is looked up when it matters, since heads change (002 Art. 2).
type Entry struct {
	// NodeCode is a node of the provincial criteria set, e.g. "3" or "3.1.2".
	NodeCode string
	// OwnerUnitID is the owning unit.
	OwnerUnitID string
	// CooperatingUnitIDs are the cooperating units, without the owner.
	CooperatingUnitIDs []string
	// LegalBasis is the article the entry implements, e.g. "Điều 15 khoản 6 Quyết định
	// 3373/QĐ-UBND", carried into every request the entry decides.
	LegalBasis string
}

// Matrix is Art. 15 as data for one province and one year of the index. The default
// matrix of Art. 15.1–15.6 (Home Affairs for direction, organisation and civil service;
// Justice for institutions; the PPC Office for procedures; Finance; Information and
// Communications; Planning and Investment with Finance and the Tax Department for impact)
// is typical, but a province may assign differently and change it yearly.
type Matrix struct {
	// ProvinceUnitID is the province (a directory unit id).
	ProvinceUnitID string
	// Year is the year of the index the matrix applies to.
	Year int
	// UnitsOwnIndex: every department head and district chairman also answers for the
	// items of their own unit's index (Art. 15.7).
	UnitsOwnIndex bool
	// Entries are the owners per node, node codes unique.
	Entries []Entry
	// UpdateTime is when the matrix was last replaced.
	UpdateTime time.Time
}

// NewMatrix checks a draft matrix and returns it normalised (codes trimmed, unit ids in
// lower case). The draft is not modified. On failure the error is ValidationErrors
// listing every problem, with fields named as in the API ("entries[3].node_code").
// Whether the units exist is the directory's to say: see CheckUnitsExist.
func NewMatrix(draft Matrix) (Matrix, error) {
	m := draft
	m.ProvinceUnitID = normID(m.ProvinceUnitID)
	m.Entries = make([]Entry, len(draft.Entries))
	for i, e := range draft.Entries {
		e.NodeCode = strings.TrimSpace(e.NodeCode)
		e.LegalBasis = strings.TrimSpace(e.LegalBasis)
		e.OwnerUnitID = normID(e.OwnerUnitID)
		// nil, not empty, when there are none: one representation for "nobody".
		var coop []string
		for _, id := range e.CooperatingUnitIDs {
			coop = append(coop, normID(id))
		}
		e.CooperatingUnitIDs = coop
		m.Entries[i] = e
	}

	var v ValidationErrors
	if !isUUID(m.ProvinceUnitID) {
		v.Add("province_unit_id", "cần mã định danh (UUID) của tỉnh")
	}
	if m.Year < MinYear || m.Year > MaxYear {
		v.Add("year", fmt.Sprintf("năm phải từ %d đến %d", MinYear, MaxYear))
	}
	if len(m.Entries) == 0 {
		v.Add("entries", "ma trận cần ít nhất một mục")
	}
	first := make(map[string]int, len(m.Entries))
	for i, e := range m.Entries {
		switch {
		case e.NodeCode == "":
			v.Add(entryField(i, "node_code"), "cần mã mục của bộ chỉ số")
		case len(e.NodeCode) > MaxCodeLen || !codePattern.MatchString(e.NodeCode):
			v.Add(entryField(i, "node_code"), fmt.Sprintf("mã %q không hợp lệ: chỉ gồm chữ, số và dấu chấm, tối đa %d ký tự, ví dụ 3.1.2", e.NodeCode, MaxCodeLen))
		default:
			if j, dup := first[e.NodeCode]; dup {
				v.Add(entryField(i, "node_code"), fmt.Sprintf("mã %q trùng với entries[%d]", e.NodeCode, j))
			} else {
				first[e.NodeCode] = i
			}
		}
		if len([]rune(e.LegalBasis)) > 300 {
			v.Add(entryField(i, "legal_basis"), "căn cứ pháp lý tối đa 300 ký tự")
		}
		if !isUUID(e.OwnerUnitID) {
			v.Add(entryField(i, "owner_unit_id"), "cần mã định danh (UUID) của đơn vị chủ trì")
		}
		seen := make(map[string]int, len(e.CooperatingUnitIDs))
		for j, id := range e.CooperatingUnitIDs {
			field := fmt.Sprintf("entries[%d].cooperating_unit_ids[%d]", i, j)
			switch k, dup := seen[id]; {
			case !isUUID(id):
				v.Add(field, "mã định danh đơn vị phối hợp phải là UUID")
			case id == e.OwnerUnitID:
				v.Add(field, "đơn vị chủ trì không đồng thời là đơn vị phối hợp")
			case dup:
				v.Add(field, fmt.Sprintf("trùng với cooperating_unit_ids[%d]", k))
			default:
				seen[id] = j
			}
		}
	}
	return m, v.Err()
}

// UnitIDs returns every unit id the matrix names (province, owners, cooperating units),
// each once, in order of first appearance: what must exist in the directory.
func (m Matrix) UnitIDs() []string {
	seen := make(map[string]bool)
	var ids []string
	add := func(id string) {
		if id != "" && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	add(m.ProvinceUnitID)
	for _, e := range m.Entries {
		add(e.OwnerUnitID)
		for _, id := range e.CooperatingUnitIDs {
			add(id)
		}
	}
	return ids
}

// CheckUnitsExist reports, as ValidationErrors naming each place it appears, every unit id
// of the matrix for which exists returns false; nil when all exist.
func (m Matrix) CheckUnitsExist(exists func(unitID string) bool) error {
	var v ValidationErrors
	reason := func(id string) string { return fmt.Sprintf("không có đơn vị %s trong danh bạ", id) }
	if !exists(m.ProvinceUnitID) {
		v.Add("province_unit_id", reason(m.ProvinceUnitID))
	}
	for i, e := range m.Entries {
		if !exists(e.OwnerUnitID) {
			v.Add(entryField(i, "owner_unit_id"), reason(e.OwnerUnitID))
		}
		for j, id := range e.CooperatingUnitIDs {
			if !exists(id) {
				v.Add(fmt.Sprintf("entries[%d].cooperating_unit_ids[%d]", i, j), reason(id))
			}
		}
	}
	return v.Err()
}

// Assignment is who answers for one node, and which entry of the matrix decided it, so a
// result can always be traced to the rule that produced it.
type Assignment struct {
	// NodeCode is the node asked about.
	NodeCode string
	// ListedCode is the entry that applies: NodeCode itself, or its nearest listed
	// ancestor when NodeCode is not listed.
	ListedCode string
	// OwnerUnitID is the unit whose head answers (and must explain a fall, Art. 14).
	OwnerUnitID string
	// CooperatingUnitIDs are the units whose heads help.
	CooperatingUnitIDs []string
	// LegalBasis is the listed entry's article.
	LegalBasis string
}

// Inherited reports whether the assignment comes from an ancestor of the node.
func (a Assignment) Inherited() bool { return a.ListedCode != a.NodeCode }

// Resolve returns who answers for nodeCode. A node not listed inherits the entry of its
// nearest listed ancestor, found by dropping the last dotted segment of the code in turn
// (3.1.2 → 3.1 → 3): Art. 15 assigns whole fields, and a criterion belongs to its field's
// owner unless the matrix says otherwise. When nothing matches the error wraps
// ErrUnassigned.
func (m Matrix) Resolve(nodeCode string) (Assignment, error) {
	code := strings.TrimSpace(nodeCode)
	for candidate := code; candidate != ""; candidate = parentCode(candidate) {
		for _, e := range m.Entries {
			if e.NodeCode == candidate {
				return Assignment{
					NodeCode:           code,
					ListedCode:         e.NodeCode,
					OwnerUnitID:        e.OwnerUnitID,
					CooperatingUnitIDs: e.CooperatingUnitIDs,
					LegalBasis:         e.LegalBasis,
				}, nil
			}
		}
	}
	return Assignment{}, fmt.Errorf("node %q: %w", nodeCode, ErrUnassigned)
}

// parentCode drops the last dotted segment: "3.1.2" → "3.1", "3" → "".
func parentCode(code string) string {
	i := strings.LastIndexByte(code, '.')
	if i < 0 {
		return ""
	}
	return code[:i]
}

func entryField(i int, name string) string { return fmt.Sprintf("entries[%d].%s", i, name) }

func normID(id string) string { return strings.ToLower(strings.TrimSpace(id)) }

// isUUID reports whether s is a UUID in the canonical 8-4-4-4-12 hex form.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, r := range s {
		switch i {
		case 8, 13, 18, 23:
			if r != '-' {
				return false
			}
		default:
			if !('0' <= r && r <= '9' || 'a' <= r && r <= 'f' || 'A' <= r && r <= 'F') {
				return false
			}
		}
	}
	return true
}
