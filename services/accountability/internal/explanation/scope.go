package explanation

// Scope says on what ground a head was asked to explain, so that the Art. 20.2 report can
// show the provincial committee which is which.
type Scope string

// Scopes.
const (
	// ScopeProvincialIndex: an item of the Ministry's provincial index the head's unit owns
	// in the responsibility matrix fell (Art. 14.1, 15.1–15.6).
	ScopeProvincialIndex Scope = "provincial_index"
	// ScopeOwnIndex: an item of the unit's own index, published by the province, fell
	// (Art. 15.7).
	ScopeOwnIndex Scope = "own_index"
	// ScopeCommittee: the provincial committee asked (Art. 12.2).
	ScopeCommittee Scope = "committee"
	// ScopeConduct: officials' responsibility, conduct or capacity hurt the index (Art. 14.2).
	ScopeConduct Scope = "conduct"
)

// Scope returns the ground of e: for a fallen score the index its node is of — the
// province's (IndexUnitID is the province; requests stored before Art. 15.7 was added name
// no index and were all on it) or the owning unit's own — and for a manual request the
// article it was opened under.
func (e Explanation) Scope() Scope {
	switch {
	case e.Kind == KindScoreFell && e.IndexUnitID != "" && e.IndexUnitID != e.ProvinceUnitID:
		return ScopeOwnIndex
	case e.Kind == KindScoreFell:
		return ScopeProvincialIndex
	case e.LegalBasis == BasisConduct:
		return ScopeConduct
	}
	return ScopeCommittee
}
