package directory

import (
	"fmt"
	"regexp"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/parindex/platform/services/kit/vntime"
)

// Field limits shared with the contract (directory.proto); the domain checks them again so
// that loaders calling the use cases directly get the same answers as gRPC clients.
const (
	maxCodeLen      = 64
	maxUnitNameLen  = 300
	maxShortNameLen = 100
	maxLevelNameLen = 200
	maxRank         = 20
)

var (
	unitCodePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
	dataCodePattern = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
)

// Level is an administrative tier (cấp). Levels are data: the 3-tier history and the
// 2-tier structure in force since 1/7/2025 use the same rows.
type Level struct {
	// Code, e.g. "province".
	Code string
	// Name, e.g. "Cấp tỉnh".
	Name string
	// Rank orders tiers from the top (1 = province).
	Rank int
}

// Validate reports every problem of a new level.
func (l Level) Validate() error {
	var v ValidationErrors
	checkDataCode(&v, "code", l.Code, "Mã cấp hành chính")
	checkName(&v, "name", l.Name, maxLevelNameLen, "Tên cấp hành chính")
	if l.Rank < 1 || l.Rank > maxRank {
		v.Add("rank", fmt.Sprintf("Thứ bậc phải từ 1 đến %d", maxRank))
	}
	return v.Err()
}

// Kind is what a unit is (sở, huyện, xã, ...); units of one kind form a ranking peer group.
type Kind struct {
	// Code, e.g. "department".
	Code string
	// Name, e.g. "Sở, ban, ngành".
	Name string
}

// Validate reports every problem of a new kind.
func (k Kind) Validate() error {
	var v ValidationErrors
	checkDataCode(&v, "code", k.Code, "Mã loại đơn vị")
	checkName(&v, "name", k.Name, maxLevelNameLen, "Tên loại đơn vị")
	return v.Err()
}

// Unit is an agency or local government in the tree (tỉnh → sở / huyện → xã).
type Unit struct {
	// ID is assigned by the store.
	ID string
	// Code is stable and unique, e.g. "SNV".
	Code string
	// Name is the full Vietnamese name, NFC, e.g. "Sở Nội vụ".
	Name string
	// ShortName is used in tables; may be empty.
	ShortName string
	// Kind is a kind code.
	Kind string
	// Level is a level code.
	Level string
	// ParentID is empty for a root.
	ParentID string
	// ValidFrom is the first day the unit exists; zero when unknown.
	ValidFrom vntime.Date
	// ValidTo is the last day (merged or dissolved); zero while the unit exists.
	ValidTo vntime.Date
	// CreateTime and UpdateTime are set by the store.
	CreateTime, UpdateTime time.Time
}

// Validate reports every problem of the unit's own fields at once. The unit's place in the
// tree is checked by Placement, which needs the rows around it.
func (u Unit) Validate() error {
	var v ValidationErrors
	switch {
	case u.Code == "":
		v.Add("code", "Mã đơn vị là bắt buộc")
	case len(u.Code) > maxCodeLen:
		v.Add("code", fmt.Sprintf("Mã đơn vị dài tối đa %d ký tự", maxCodeLen))
	case !unitCodePattern.MatchString(u.Code):
		v.Add("code", "Mã đơn vị chỉ gồm chữ cái không dấu, chữ số và các dấu . _ -, bắt đầu bằng chữ hoặc số")
	}
	checkName(&v, "name", u.Name, maxUnitNameLen, "Tên đơn vị")
	if utf8.RuneCountInString(u.ShortName) > maxShortNameLen {
		v.Add("short_name", fmt.Sprintf("Tên viết tắt dài tối đa %d ký tự", maxShortNameLen))
	}
	if u.Kind == "" {
		v.Add("kind", "Loại đơn vị là bắt buộc")
	}
	if u.Level == "" {
		v.Add("level", "Cấp hành chính là bắt buộc")
	}
	if u.ID != "" && u.ParentID == u.ID {
		v.Add("parent_id", "Đơn vị không thể là đơn vị cấp trên của chính nó")
	}
	if !u.ValidFrom.IsZero() && !u.ValidTo.IsZero() && u.ValidTo.Before(u.ValidFrom) {
		v.Add("valid_to", fmt.Sprintf("Ngày kết thúc hoạt động không được trước ngày bắt đầu (%s)", formatDate(u.ValidFrom)))
	}
	return v.Err()
}

// UnitPatch holds the fields an update changes; nil means "keep". Code and id are not
// here on purpose: other services and documents refer to units by them.
type UnitPatch struct {
	Name, ShortName, Kind, Level, ParentID *string
	ValidFrom, ValidTo                     *vntime.Date
}

// Empty reports whether the patch changes nothing.
func (p UnitPatch) Empty() bool {
	return p.Name == nil && p.ShortName == nil && p.Kind == nil && p.Level == nil &&
		p.ParentID == nil && p.ValidFrom == nil && p.ValidTo == nil
}

// MovesInTree reports whether the patch can change the unit's place in the tree, so that
// the placement has to be checked again.
func (p UnitPatch) MovesInTree() bool { return p.Level != nil || p.ParentID != nil }

// Apply returns the unit with the patch applied.
func (u Unit) Apply(p UnitPatch) Unit {
	set(&u.Name, p.Name)
	set(&u.ShortName, p.ShortName)
	set(&u.Kind, p.Kind)
	set(&u.Level, p.Level)
	set(&u.ParentID, p.ParentID)
	set(&u.ValidFrom, p.ValidFrom)
	set(&u.ValidTo, p.ValidTo)
	return u
}

// Placement is what the tree around a unit looks like; the store reads it in the same
// transaction as the change so the check and the write see the same tree.
type Placement struct {
	// Level is the unit's own level row.
	Level Level
	// Parent is the parent unit; nil for a root.
	Parent *Unit
	// ParentLevel is the parent's level row; ignored for a root.
	ParentLevel Level
	// ParentAncestry holds the ids from the parent up to the root, the parent included.
	ParentAncestry []string
	// ChildRanks holds the level ranks of the unit's children (empty for a new unit).
	ChildRanks []int
}

// Check enforces the tree rules for u: a level rank never smaller than the parent's (a
// department is province-level under the province; since 1/7/2025 a commune may sit
// directly under a province), no cycle when re-parenting, and children that still sit at
// or below the unit's level.
func (p Placement) Check(u Unit) error {
	var v ValidationErrors
	if p.Parent != nil {
		if p.Level.Rank < p.ParentLevel.Rank {
			v.Add("level", fmt.Sprintf("Cấp hành chính %q (thứ bậc %d) cao hơn cấp của đơn vị cấp trên %q (thứ bậc %d)",
				p.Level.Name, p.Level.Rank, p.ParentLevel.Name, p.ParentLevel.Rank))
		}
		if u.ID != "" && slices.Contains(p.ParentAncestry, u.ID) {
			v.Add("parent_id", "Không thể chuyển đơn vị vào dưới chính nó hoặc một đơn vị trực thuộc nó")
		}
	}
	for _, rank := range p.ChildRanks {
		if rank < p.Level.Rank {
			v.Add("level", fmt.Sprintf("Đơn vị có đơn vị trực thuộc ở cấp cao hơn %q", p.Level.Name))
			break
		}
	}
	return v.Err()
}

// checkDataCode checks a level or kind code: lower-case ASCII, since it travels in URLs,
// tokens and other services' rows.
func checkDataCode(v *ValidationErrors, field, code, what string) {
	switch {
	case code == "":
		v.Add(field, what+" là bắt buộc")
	case len(code) > maxCodeLen:
		v.Add(field, fmt.Sprintf("%s dài tối đa %d ký tự", what, maxCodeLen))
	case !dataCodePattern.MatchString(code):
		v.Add(field, what+" chỉ gồm chữ thường không dấu, chữ số và dấu _, bắt đầu bằng chữ")
	}
}

// checkName checks a required, bounded name.
func checkName(v *ValidationErrors, field, name string, maxLen int, what string) {
	switch {
	case name == "":
		v.Add(field, what+" là bắt buộc")
	case utf8.RuneCountInString(name) > maxLen:
		v.Add(field, fmt.Sprintf("%s dài tối đa %d ký tự", what, maxLen))
	}
}

// set copies *src into *dst when src is given.
func set[T any](dst *T, src *T) {
	if src != nil {
		*dst = *src
	}
}
