package importer

import "strings"

// Directory kind and level codes that collectives expand by.
const (
	kindDepartment     = "department"
	kindDistrict       = "district"
	kindCommune        = "commune"
	kindDistrictOffice = "district_office"
	// levelProvince is both a level code and the kind code of a provincial committee.
	levelProvince = "province"
)

// Scope is the units the collective phrases of one document reach: those of the issuing
// unit's province. "Các sở, ban, ngành" in a plan of Tuyên Quang's committee means Tuyên
// Quang's departments, never another province's.
type Scope struct {
	// units are the province's units in directory order.
	units []Unit
}

// maxDepth bounds walks up the unit tree, so a cycle in bad directory data cannot hang an
// import; real trees are three or four levels deep.
const maxDepth = 64

// ScopeOf returns the scope of documents issued by unit issuerID: every unit under the
// issuer's province, which is the unit of kind "province" at or above the issuer (or, when
// there is none, the topmost of level "province", or the root of the issuer's tree). An issuer the matcher does not know gives an empty scope, in
// which every collective expands to no unit.
func (m *Matcher) ScopeOf(issuerID string) Scope {
	byID := make(map[string]int, len(m.units))
	for i, u := range m.units {
		byID[u.ID] = i
	}
	i, ok := byID[issuerID]
	if !ok {
		return Scope{}
	}
	// The chain from the issuer up to its root. The province is the unit of kind
	// "province" on it; failing that the topmost of level "province" (a department is at
	// province level too, so the nearest is not it); failing that the root.
	chain := []Unit{m.units[i]}
	for len(chain) < maxDepth {
		parent, ok := byID[chain[len(chain)-1].ParentID]
		if !ok {
			break
		}
		chain = append(chain, m.units[parent])
	}
	province := chain[len(chain)-1].ID
	for k := len(chain) - 1; k >= 0; k-- {
		if chain[k].Level == levelProvince {
			province = chain[k].ID
			break
		}
	}
	for _, u := range chain {
		if u.Kind == levelProvince {
			province = u.ID
			break
		}
	}
	// inside memoises "is under the province" per unit; the walk is at most maxDepth long.
	inside := map[string]bool{province: true}
	var under func(id string, depth int) bool
	under = func(id string, depth int) bool {
		if v, ok := inside[id]; ok {
			return v
		}
		j, ok := byID[id]
		if !ok || depth >= maxDepth || m.units[j].ParentID == "" {
			inside[id] = false
			return false
		}
		v := under(m.units[j].ParentID, depth+1)
		inside[id] = v
		return v
	}
	var s Scope
	for _, u := range m.units {
		if under(u.ID, 0) {
			s.units = append(s.units, u)
		}
	}
	return s
}

// ForIssuer returns the matcher and the scope of a document issued by unit issuerID. Names
// are matched only among the units of the issuer's province: "Sở Nội vụ" or "UBND tỉnh"
// exist in every province, and in a plan of Tuyên Quang they mean Tuyên Quang's. An issuer
// not among units gives a matcher over every unit and an empty scope (the import reports
// the unknown issuer).
func ForIssuer(units []Unit, issuerID string) (*Matcher, Scope) {
	all := NewMatcher(units)
	scope := all.ScopeOf(issuerID)
	if len(scope.units) == 0 {
		return all, scope
	}
	return NewMatcher(scope.units), scope
}

// Units returns the units of the scope, in directory order.
func (s Scope) Units() []Unit { return s.units }

// Expand returns the units a collective match stands for, in directory order:
//
//   - CollectiveDepartments ("các sở, ban, ngành"): every unit of kind department;
//   - CollectiveDistricts ("UBND cấp huyện"): kind district;
//   - CollectiveCommunes ("UBND cấp xã"): kind commune;
//   - CollectiveAllLevels ("UBND các cấp"): districts and communes;
//   - CollectiveDistrictOffices ("Phòng Tư pháp"): the district offices whose name starts
//     with the phrase (every district office for "các phòng chuyên môn cấp huyện").
//
// Other collectives ("các cơ quan liên quan", a role such as "cơ quan được giao chủ trì
// soạn thảo", officials, public service units) and unit matches expand to nothing: the
// former name nobody in particular and stay in the cell's text, the latter are units already.
func (s Scope) Expand(m Match) []Unit {
	var keep func(Unit) bool
	switch m.Collective {
	case CollectiveDepartments:
		keep = func(u Unit) bool { return u.Kind == kindDepartment }
	case CollectiveDistricts:
		keep = func(u Unit) bool { return u.Kind == kindDistrict }
	case CollectiveCommunes:
		keep = func(u Unit) bool { return u.Kind == kindCommune }
	case CollectiveAllLevels:
		keep = func(u Unit) bool { return u.Kind == kindDistrict || u.Kind == kindCommune }
	case CollectiveDistrictOffices:
		office := officeKey(m.Text)
		keep = func(u Unit) bool {
			if u.Kind != kindDistrictOffice {
				return false
			}
			if office == "phong" || office == "phong chuyen mon" {
				return true
			}
			name := unitKey(u.Name)
			return name == office || strings.HasPrefix(name, office+" ") || unitKey(u.ShortName) == office
		}
	default:
		return nil
	}
	var out []Unit
	for _, u := range s.units {
		if keep(u) {
			out = append(out, u)
		}
	}
	return out
}

// officeKey is the key of a district-office phrase without "các" in front and "cấp huyện"
// behind: "Các Phòng Tư pháp cấp huyện" → "phong tu phap".
func officeKey(text string) string {
	k := unitKey(text)
	k = strings.TrimPrefix(k, "cac ")
	k = strings.TrimSuffix(k, " cap huyen")
	return k
}

// UnitIDs returns the directory ids of a task's lead and cooperating units with the
// collectives of both cells expanded in s, each unit once and in the table's order.
//
// When a unit reaches both roles the more explicit naming decides: a unit named in both
// cells leads (seed 001, IV.6: Sở Nội vụ leads and cooperates; the domain refuses a unit in
// both roles and the lead owns the whole task); a unit named in the cooperating cell that
// reaches the lead cell only through a collective cooperates (IV.4: "Các sở, ban, ngành"
// lead, "Sở Nội vụ" cooperates, so Sở Nội vụ is not made a lead by the collective).
func (s Scope) UnitIDs(t Task) (lead, cooperating []string) {
	namedLead, namedCoop := map[string]bool{}, map[string]bool{}
	for _, m := range t.Lead {
		if m.UnitID != "" {
			namedLead[m.UnitID] = true
		}
	}
	for _, m := range t.Cooperating {
		if m.UnitID != "" {
			namedCoop[m.UnitID] = true
		}
	}
	isLead, isCoop := map[string]bool{}, map[string]bool{}
	addLead := func(id string) {
		if !isLead[id] {
			isLead[id] = true
			lead = append(lead, id)
		}
	}
	for _, m := range t.Lead {
		if m.UnitID != "" {
			addLead(m.UnitID)
			continue
		}
		for _, u := range s.Expand(m) {
			if !namedCoop[u.ID] || namedLead[u.ID] {
				addLead(u.ID)
			}
		}
	}
	addCoop := func(id string) {
		if !isLead[id] && !isCoop[id] {
			isCoop[id] = true
			cooperating = append(cooperating, id)
		}
	}
	for _, m := range t.Cooperating {
		if m.UnitID != "" {
			addCoop(m.UnitID)
			continue
		}
		for _, u := range s.Expand(m) {
			addCoop(u.ID)
		}
	}
	return lead, cooperating
}
