package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/parindex/platform/services/accountability/internal/evaluation"
	"github.com/parindex/platform/services/accountability/internal/explanation"
	"github.com/parindex/platform/services/accountability/internal/responsibility"
)

// UnitIndex is a unit's published index of a year.
type UnitIndex struct {
	UnitID string
	Kind   string
	Index  string // decimal text, "" when not published
}

// EvaluationTx is what the evaluation use cases need of a transaction.
type EvaluationTx interface {
	Tx
	LatestPolicy(ctx context.Context, province string) ([]byte, int, time.Time, error)
	InsertPolicy(ctx context.Context, province string, policy []byte, actor Actor, at time.Time) (int, error)
	DeterminedCause(ctx context.Context, year int, node, unit string) (cause, explanationID string, err error)
	// ReplaceDraftEvaluations deletes the year's draft evaluations of the given units and
	// stores evs: each evaluator replaces only the drafts it evaluates (Art. 17.2).
	ReplaceDraftEvaluations(ctx context.Context, province string, year int, units []string, evs []evaluation.HeadEvaluation, actor Actor) error
	Evaluations(ctx context.Context, province string, year int) ([]evaluation.HeadEvaluation, error)
	PublishEvaluation(ctx context.Context, e evaluation.HeadEvaluation, actor Actor, at time.Time) error
	PublishedTier(ctx context.Context, year int, unit string) (string, error)
	InsertProposal(ctx context.Context, p evaluation.SanctionProposal, actor Actor) (bool, error)
	Proposals(ctx context.Context, province string, year int) ([]evaluation.SanctionProposal, error)
	DecideProposal(ctx context.Context, id string, approve bool, note string, actor Actor, at time.Time) (evaluation.SanctionProposal, error)
	// ProposalForUpdate returns a proposal locked until the transaction ends, or
	// evaluation.ErrNotFound.
	ProposalForUpdate(ctx context.Context, id string) (evaluation.SanctionProposal, error)
	// PutDistrictReport stores a district's report of a year, replacing an earlier one
	// (revision + 1), with its audit record and event; it returns the report as stored.
	PutDistrictReport(ctx context.Context, r evaluation.DistrictReport, actor Actor) (evaluation.DistrictReport, error)
	// DistrictReports returns a province's reports of a year.
	DistrictReports(ctx context.Context, province string, year int) ([]evaluation.DistrictReport, error)
}

// evalTx runs fn in a transaction of the store, which must offer EvaluationTx.
func (s *Explanations) evalTx(ctx context.Context, fn func(EvaluationTx) error) error {
	return s.store.InTx(ctx, func(tx Tx) error {
		etx, ok := tx.(EvaluationTx)
		if !ok {
			return errors.New("store does not support evaluations")
		}
		return fn(etx)
	})
}

// PolicyInForce returns the province's latest policy, or the built-in Thái Bình default
// (version 0), with its JSON and when it was stored.
func (s *Explanations) PolicyInForce(ctx context.Context, province string) (evaluation.Policy, []byte, time.Time, error) {
	var p evaluation.Policy
	var raw []byte
	var at time.Time
	err := s.evalTx(ctx, func(tx EvaluationTx) error {
		var err error
		p, raw, at, err = policyInForce(ctx, tx, strings.ToLower(province))
		return err
	})
	return p, raw, at, err
}

func policyInForce(ctx context.Context, tx EvaluationTx, province string) (evaluation.Policy, []byte, time.Time, error) {
	raw, v, at, err := tx.LatestPolicy(ctx, province)
	if err != nil {
		return evaluation.Policy{}, nil, at, err
	}
	if raw == nil {
		raw = evaluation.DefaultPolicyJSON()
	}
	p, err := evaluation.ParsePolicy(raw)
	p.Version = v
	return p, raw, at, err
}

// PutPolicy stores a new version of a province's policy; secretariat only.
func (s *Explanations) PutPolicy(ctx context.Context, actor Actor, province string, raw []byte) (evaluation.Policy, time.Time, error) {
	if !actor.Has(roleSecretariat) {
		return evaluation.Policy{}, time.Time{}, ErrForbidden
	}
	p, err := evaluation.ParsePolicy(raw)
	if err != nil {
		return evaluation.Policy{}, time.Time{}, err
	}
	at := s.clock()
	err = s.evalTx(ctx, func(tx EvaluationTx) error {
		p.Version, err = tx.InsertPolicy(ctx, strings.ToLower(province), raw, actor, at)
		return err
	})
	return p, at, err
}

// trend compares a node's published score with the previous year's.
func trend(n explanation.NodeFigure) (evaluation.Trend, bool) {
	cur, ok1 := explanation.Cents(n.Score)
	prev, ok2 := explanation.Cents(n.PreviousScore)
	max, ok3 := explanation.Cents(n.MaxPoints)
	// A maximum of 0 is an unknown one (every known maximum is non-zero; events written
	// before PAR scoring marked unknown maxima sent 0): nothing is at it (Art. 17.1.a).
	atMax := ok1 && ok3 && max != 0 && cur >= max
	switch {
	case !ok1 || !ok2:
		return evaluation.TrendUnknown, atMax
	case cur > prev:
		return evaluation.TrendRose, atMax
	case cur < prev:
		return evaluation.TrendFell, atMax
	}
	return evaluation.TrendHeld, atMax
}

// historyYears is how far back item histories go: enough for Art. 19.1.c (three years).
const historyYears = 3

// EvaluateHeads evaluates the head of every unit with a published index for the year
// (Art. 17), storing draft results: the secretariat those of the heads of departments and
// districts (Art. 20.3) and, in two-tier government, of communes under the province; the
// head of a district those of the chairmen of the communes under it (Art. 17.2, 21.4).
// Anyone else, and a head with no commune index to evaluate, gets ErrForbidden. The units'
// places in the tree and their heads come from the directory before the transaction.
func (s *Explanations) EvaluateHeads(ctx context.Context, actor Actor, province string, year int) ([]evaluation.HeadEvaluation, error) {
	if !actor.Has(roleSecretariat, roleUnitHead, roleLeadership) {
		return nil, ErrForbidden
	}
	province = strings.ToLower(province)
	var out []evaluation.HeadEvaluation
	// The head in office at the end of the year evaluated answers for it (policy "head_on":
	// "year_end"; Art. 2.4: an acting head counts).
	err := s.withFacts(ctx, fmt.Sprintf("%d-12-31", year), func(f *unitFacts) error {
		out = nil
		return s.evalTx(ctx, func(tx EvaluationTx) error {
			var err error
			out, err = s.evaluateHeads(ctx, tx, f, actor, province, year)
			return err
		})
	})
	return out, err
}

// evaluateHeads is EvaluateHeads within its transaction, on resolved facts.
func (s *Explanations) evaluateHeads(ctx context.Context, tx EvaluationTx, f *unitFacts, actor Actor, province string, year int) ([]evaluation.HeadEvaluation, error) {
	units, err := tx.UnitResults(ctx, year)
	if err != nil {
		return nil, err
	}
	existing, err := tx.Evaluations(ctx, province, year)
	if err != nil {
		return nil, err
	}
	if units, err = f.settle(evaluationUnits(existing), units); err != nil {
		return nil, err
	}
	if units, err = s.unitsOf(ctx, f, province, units); err != nil {
		return nil, err
	}
	var mine []UnitIndex
	var replace, mineIDs []string
	for _, u := range units {
		ok, err := mayEvaluate(f, actor, province, u.UnitID, u.Kind)
		if err != nil {
			return nil, err
		}
		if ok {
			mine = append(mine, u)
			mineIDs = append(mineIDs, u.UnitID)
			replace = append(replace, u.UnitID)
		}
	}
	if lacking := f.lackingHeads(mineIDs...); len(lacking) > 0 {
		return nil, &unresolvedError{heads: lacking}
	}
	seen := 0
	for _, e := range existing {
		ok, err := mayEvaluate(f, actor, province, e.UnitID, e.UnitKind)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		seen++
		if !e.PublishTime.IsZero() {
			return nil, evaluation.ErrAlreadyPublished
		}
		replace = append(replace, e.UnitID)
	}
	if len(mine) == 0 && seen == 0 && !actor.Has(roleSecretariat) {
		return nil, ErrForbidden
	}
	policy, _, _, err := policyInForce(ctx, tx, province)
	if err != nil {
		return nil, err
	}
	m, err := tx.MatrixInForce(ctx, province, year)
	if err != nil && !errors.Is(err, responsibility.ErrNotFound) {
		return nil, err
	}
	// The provincial index of the year and the years before, as the Ministry published it.
	prov := map[int]map[string]explanation.NodeFigure{}
	for y := year; y > year-historyYears; y-- {
		r, err := tx.Result(ctx, y, "province", province)
		if errors.Is(err, explanation.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		prov[y] = map[string]explanation.NodeFigure{}
		for _, n := range r.Nodes {
			prov[y][n.Code] = n
		}
	}
	now := s.clock()
	var out []evaluation.HeadEvaluation
	for _, u := range mine {
		in := evaluation.Input{Year: year, UnitKind: u.Kind}
		if c, ok := explanation.Cents(u.Index); ok {
			in.Index, in.HasIndex = float64(c)/100, true
		}
		if u.Kind != unitKindCommune {
			for _, e := range m.Entries {
				if e.OwnerUnitID != u.UnitID {
					continue
				}
				it := evaluation.Item{NodeCode: e.NodeCode}
				for y := year; y > year-historyYears; y-- {
					n, ok := prov[y][e.NodeCode]
					if !ok {
						continue
					}
					it.Bonus = it.Bonus || n.Bonus
					tr, atMax := trend(n)
					h := evaluation.ItemYear{Year: y, Trend: tr, AtMax: atMax}
					if tr == evaluation.TrendFell {
						if h.Cause, h.ExplanationID, err = tx.DeterminedCause(ctx, y, e.NodeCode, u.UnitID); err != nil {
							return nil, err
						}
					}
					it.History = append(it.History, h)
				}
				in.Items = append(in.Items, it)
			}
		}
		res, err := policy.Evaluate(in)
		if errors.Is(err, evaluation.ErrNoIndex) {
			continue
		}
		if err != nil {
			return nil, err
		}
		head := f.head(u.UnitID)
		out = append(out, evaluation.HeadEvaluation{
			ID: uuid.NewString(), ProvinceUnitID: province, Year: year, UnitID: u.UnitID, UnitKind: u.Kind,
			HeadUserID: head.UserID, HeadName: head.Name, Result: res, Input: in, PolicyVersion: policy.Version, CreateTime: now,
		})
	}
	return out, tx.ReplaceDraftEvaluations(ctx, province, year, replace, out, actor)
}

// unitsOf keeps the units of the province: results of every province arrive on one
// stream, and a head is evaluated by their own province's committee on its policy (Art. 4).
// A unit the directory does not know is left out with a warning: nobody could be named.
func (s *Explanations) unitsOf(ctx context.Context, f *unitFacts, province string, units []UnitIndex) ([]UnitIndex, error) {
	var out []UnitIndex
	for _, u := range units {
		p, err := f.provinceOf(u.UnitID)
		if errors.Is(err, ErrUnknownUnit) {
			s.log.WarnContext(ctx, "published index of a unit the directory does not know", slog.String("unit", u.UnitID))
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("province of %s: %w", u.UnitID, err)
		}
		if p == province {
			out = append(out, u)
		}
	}
	return out, nil
}

// evaluationUnits returns the unit ids of evaluations.
func evaluationUnits(evs []evaluation.HeadEvaluation) []string {
	var ids []string
	for _, e := range evs {
		ids = append(ids, e.UnitID)
	}
	return ids
}

// proposalUnits returns the unit ids of proposals.
func proposalUnits(ps []evaluation.SanctionProposal) []string {
	var ids []string
	for _, p := range ps {
		ids = append(ids, p.UnitID)
	}
	return ids
}

// ListEvaluations returns a year's evaluations: all of them to the secretariat and the
// provincial leadership (Art. 21.4: the district chairman sends the communes' results to the
// Department of Home Affairs, which reports them to the province); to the head of a
// district also those of the communes under it, drafts included, which that head evaluates
// (Art. 17.2); to anyone else only the published evaluation of their own unit.
func (s *Explanations) ListEvaluations(ctx context.Context, actor Actor, province string, year int) ([]evaluation.HeadEvaluation, error) {
	province = strings.ToLower(province)
	var evs []evaluation.HeadEvaluation
	err := s.evalTx(ctx, func(tx EvaluationTx) error {
		var err error
		evs, err = tx.Evaluations(ctx, province, year)
		return err
	})
	if err != nil || actor.Has(roleSecretariat, roleLeadership) {
		return evs, err
	}
	var communes []string
	if actor.Has(roleUnitHead) {
		for _, e := range evs {
			if e.UnitKind == unitKindCommune {
				communes = append(communes, e.UnitID)
			}
		}
	}
	f := newUnitFacts("")
	if err := s.resolve(ctx, f, communes); err != nil {
		return nil, err
	}
	var out []evaluation.HeadEvaluation
	for _, e := range evs {
		if !e.PublishTime.IsZero() && e.UnitID == actor.UnitID {
			out = append(out, e)
			continue
		}
		if e.UnitKind != unitKindCommune || !actor.Has(roleUnitHead) {
			continue
		}
		ok, err := mayEvaluate(f, actor, province, e.UnitID, e.UnitKind)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, e)
		}
	}
	return out, nil
}

// PublishEvaluations publishes the year's evaluations the actor makes — the secretariat's
// (Art. 20.3) or, for the chairmen of the communes under a district, the district head's
// (Art. 17.2, 21.4) — and proposes sanctions and commendation from them and the determined
// causes (Art. 18, 19; Art. 20.4, 20.5: the Department of Home Affairs proposes, the
// committee decides). It returns the published evaluations and the year's proposals the
// actor may list. Anyone else, and a head with no evaluation to publish, gets ErrForbidden.
// The units' places in the tree come from the directory before the transaction.
func (s *Explanations) PublishEvaluations(ctx context.Context, actor Actor, province string, year int) ([]evaluation.HeadEvaluation, []evaluation.SanctionProposal, error) {
	if !actor.Has(roleSecretariat, roleUnitHead, roleLeadership) {
		return nil, nil, ErrForbidden
	}
	province = strings.ToLower(province)
	var evs []evaluation.HeadEvaluation
	var props []evaluation.SanctionProposal
	err := s.withFacts(ctx, "", func(f *unitFacts) error {
		evs, props = nil, nil
		return s.evalTx(ctx, func(tx EvaluationTx) error {
			all, err := tx.Evaluations(ctx, province, year)
			if err != nil {
				return err
			}
			// Proposals listed at the end are of these units or of units proposed before.
			before, err := tx.Proposals(ctx, province, year)
			if err != nil {
				return err
			}
			if lacking := f.lacking(append(evaluationUnits(all), proposalUnits(before)...)...); len(lacking) > 0 {
				return &unresolvedError{units: lacking}
			}
			for _, e := range all {
				ok, err := mayEvaluate(f, actor, province, e.UnitID, e.UnitKind)
				if err != nil {
					return err
				}
				if ok {
					evs = append(evs, e)
				}
			}
			if len(evs) == 0 && !actor.Has(roleSecretariat) {
				return ErrForbidden
			}
			policy, _, _, err := policyInForce(ctx, tx, province)
			if err != nil {
				return err
			}
			now := s.clock()
			for i, e := range evs {
				if err := tx.PublishEvaluation(ctx, e, actor, now); err != nil {
					return err
				}
				if evs[i].PublishTime.IsZero() {
					evs[i].PublishTime = now
				}
				prev, err := tx.PublishedTier(ctx, year-1, e.UnitID)
				if err != nil {
					return err
				}
				for _, p := range policy.Propose(e.Input, e.Result, prev) {
					sp := evaluation.SanctionProposal{
						ID: uuid.NewString(), ProvinceUnitID: province, Year: year, UnitID: e.UnitID, EvaluationID: e.ID,
						HeadUserID: e.HeadUserID, HeadName: e.HeadName, Proposal: p, Status: evaluation.StatusProposed, CreateTime: now,
					}
					if _, err := tx.InsertProposal(ctx, sp, actor); err != nil {
						return err
					}
				}
			}
			if props, err = tx.Proposals(ctx, province, year); err != nil {
				return err
			}
			props, err = proposalsFor(f, actor, props)
			return err
		})
	})
	return evs, props, err
}

// ListProposals returns a year's proposals: all of them to the secretariat and the
// provincial leadership; to the head of a unit, those on the chairmen of the communes
// directly under it, which that head decides (Art. 19.2).
func (s *Explanations) ListProposals(ctx context.Context, actor Actor, province string, year int) ([]evaluation.SanctionProposal, error) {
	if !actor.Has(roleSecretariat, roleLeadership, roleUnitHead) {
		return nil, ErrForbidden
	}
	var all []evaluation.SanctionProposal
	err := s.evalTx(ctx, func(tx EvaluationTx) error {
		var err error
		all, err = tx.Proposals(ctx, strings.ToLower(province), year)
		return err
	})
	if err != nil || actor.Has(roleSecretariat, roleLeadership) {
		return all, err
	}
	f := newUnitFacts("")
	if err := s.resolve(ctx, f, proposalUnits(all)); err != nil {
		return nil, err
	}
	return proposalsFor(f, actor, all)
}

// proposalsFor keeps the proposals the actor may list: all of them for the secretariat and
// the provincial leadership, for a unit head those it decides (Art. 19.2).
func proposalsFor(f *unitFacts, actor Actor, all []evaluation.SanctionProposal) ([]evaluation.SanctionProposal, error) {
	if actor.Has(roleSecretariat, roleLeadership) {
		return all, nil
	}
	var out []evaluation.SanctionProposal
	for _, p := range all {
		d, err := decider(f, p)
		if err != nil {
			return nil, err
		}
		if d.unitID != "" && d.unitID == actor.UnitID {
			out = append(out, p)
		}
	}
	return out, nil
}

// deciderRule is who decides a proposal: the head (or the leadership) of a unit, or the
// provincial leadership when unitID is empty.
type deciderRule struct {
	unitID string
}

// decider says who decides p (Art. 19). On the chairman of a commune it is the chairman of
// the district above it (Art. 19.2 a, b: "Chủ tịch Ủy ban nhân dân cấp huyện phê bình … xem
// xét, áp dụng hình thức xử lý"), found in the directory as the commune's parent unit (in
// two-tier government, where communes sit under the province, that is the province). On
// the heads of departments and districts, and on every commendation (Art. 18 names no
// authority; the committee proposes under Art. 20.4), the provincial committee decides
// (Art. 19.1: "Ủy ban nhân dân tỉnh …").
func decider(f *unitFacts, p evaluation.SanctionProposal) (deciderRule, error) {
	if p.Kind != evaluation.KindCommuneCriticism && p.Kind != evaluation.KindCommuneDiscipl {
		return deciderRule{}, nil
	}
	return districtAbove(f, p.ProvinceUnitID, p.UnitID)
}

// unitKindCommune is the unit kind of a commune People's Committee in published results.
const unitKindCommune = "commune"

// districtAbove finds the district whose chairman is the authority over a commune's
// chairman — evaluation (Art. 17.2, 21.4) and sanctions (Art. 19.2) alike: the commune's
// parent unit in the directory. In two-tier government, where communes sit directly under
// the province, there is no district and the provincial authority keeps it (empty rule).
func districtAbove(f *unitFacts, province, commune string) (deciderRule, error) {
	parent, err := f.parentOf(commune)
	if err != nil {
		return deciderRule{}, fmt.Errorf("district of commune %s: %w", commune, err)
	}
	if parent == province {
		return deciderRule{}, nil
	}
	return deciderRule{unitID: parent}, nil
}

// mayEvaluate says whether the actor evaluates and publishes the evaluation of the head of
// the unit. The chairman of a commune is evaluated by the chairman of the district above it,
// from the commune index the district publishes ("Kết quả thực hiện nhiệm vụ cải cách hành
// chính của Chủ tịch Ủy ban nhân dân cấp xã do Chủ tịch Ủy ban nhân dân cấp huyện đánh giá",
// Art. 17.2; Art. 21.4: the district chairman evaluates, classifies and reports the results
// to the Department of Home Affairs); every other head, and a commune chairman in two-tier
// government, by the province, prepared by the secretariat (Art. 20.3).
func mayEvaluate(f *unitFacts, actor Actor, province, unitID, kind string) (bool, error) {
	rule := deciderRule{}
	if kind == unitKindCommune {
		var err error
		if rule, err = districtAbove(f, province, unitID); err != nil {
			return false, err
		}
	}
	if rule.unitID == "" {
		return actor.Has(roleSecretariat), nil
	}
	return actor.UnitID == rule.unitID && actor.Has(roleUnitHead, roleLeadership), nil
}

// DecideProposal records a person's decision on a proposal: the platform proposes, the
// authority of Art. 19 decides — the provincial leadership, or for a commune chairman the
// head of the district above the commune. Others who may list the proposal get
// ErrForbidden; those who may not, evaluation.ErrNotFound.
func (s *Explanations) DecideProposal(ctx context.Context, actor Actor, id string, approve bool, note string) (evaluation.SanctionProposal, error) {
	if !actor.Has(roleLeadership, roleUnitHead) {
		return evaluation.SanctionProposal{}, ErrForbidden
	}
	if _, err := uuid.Parse(id); err != nil {
		return evaluation.SanctionProposal{}, evaluation.ErrNotFound
	}
	var out evaluation.SanctionProposal
	err := s.withFacts(ctx, "", func(f *unitFacts) error {
		return s.evalTx(ctx, func(tx EvaluationTx) error {
			p, err := tx.ProposalForUpdate(ctx, strings.ToLower(id))
			if err != nil {
				return err
			}
			if lacking := f.lacking(p.UnitID); len(lacking) > 0 && (p.Kind == evaluation.KindCommuneCriticism || p.Kind == evaluation.KindCommuneDiscipl) {
				return &unresolvedError{units: lacking}
			}
			d, err := decider(f, p)
			if err != nil {
				return err
			}
			switch {
			case d.unitID == "" && actor.Has(roleLeadership):
			case d.unitID != "" && actor.UnitID == d.unitID && actor.Has(roleUnitHead, roleLeadership):
			case actor.Has(roleLeadership):
				return ErrForbidden // listed to the leadership, decided by the district chairman
			default:
				return evaluation.ErrNotFound
			}
			out, err = tx.DecideProposal(ctx, p.ID, approve, note, actor, s.clock())
			return err
		})
	})
	return out, err
}
