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
	HasPublishedEvaluations(ctx context.Context, province string, year int) (bool, error)
	ReplaceDraftEvaluations(ctx context.Context, province string, year int, evs []evaluation.HeadEvaluation, actor Actor) error
	Evaluations(ctx context.Context, province string, year int) ([]evaluation.HeadEvaluation, error)
	PublishEvaluation(ctx context.Context, e evaluation.HeadEvaluation, actor Actor, at time.Time) error
	PublishedTier(ctx context.Context, year int, unit string) (string, error)
	InsertProposal(ctx context.Context, p evaluation.SanctionProposal, actor Actor) (bool, error)
	Proposals(ctx context.Context, province string, year int) ([]evaluation.SanctionProposal, error)
	DecideProposal(ctx context.Context, id string, approve bool, note string, actor Actor, at time.Time) (evaluation.SanctionProposal, error)
	// ProposalForUpdate returns a proposal locked until the transaction ends, or
	// evaluation.ErrNotFound.
	ProposalForUpdate(ctx context.Context, id string) (evaluation.SanctionProposal, error)
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
	atMax := ok1 && ok3 && cur >= max
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
// (Art. 17), storing draft results; secretariat only (Art. 20.3).
func (s *Explanations) EvaluateHeads(ctx context.Context, actor Actor, province string, year int) ([]evaluation.HeadEvaluation, error) {
	if !actor.Has(roleSecretariat) {
		return nil, ErrForbidden
	}
	province = strings.ToLower(province)
	var out []evaluation.HeadEvaluation
	err := s.evalTx(ctx, func(tx EvaluationTx) error {
		published, err := tx.HasPublishedEvaluations(ctx, province, year)
		if err != nil {
			return err
		}
		if published {
			return evaluation.ErrAlreadyPublished
		}
		policy, _, _, err := policyInForce(ctx, tx, province)
		if err != nil {
			return err
		}
		m, err := tx.MatrixInForce(ctx, province, year)
		if err != nil && !errors.Is(err, responsibility.ErrNotFound) {
			return err
		}
		// The provincial index of the year and the years before, as the Ministry published it.
		prov := map[int]map[string]explanation.NodeFigure{}
		for y := year; y > year-historyYears; y-- {
			r, err := tx.Result(ctx, y, "province", province)
			if errors.Is(err, explanation.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			prov[y] = map[string]explanation.NodeFigure{}
			for _, n := range r.Nodes {
				prov[y][n.Code] = n
			}
		}
		units, err := tx.UnitResults(ctx, year)
		if err != nil {
			return err
		}
		if units, err = s.unitsOf(ctx, province, units); err != nil {
			return err
		}
		now := s.clock()
		for _, u := range units {
			in := evaluation.Input{Year: year, UnitKind: u.Kind}
			if c, ok := explanation.Cents(u.Index); ok {
				in.Index, in.HasIndex = float64(c)/100, true
			}
			if u.Kind != "commune" {
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
								return err
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
				return err
			}
			// The head in office at the end of the year evaluated answers for it (policy
			// "head_on": "year_end"; Art. 2.4: an acting head counts).
			head, err := s.heads.HeadOnDate(ctx, u.UnitID, fmt.Sprintf("%d-12-31", year))
			if err != nil && !errors.Is(err, ErrUnknownUnit) {
				return fmt.Errorf("head of %s: %w", u.UnitID, err)
			}
			out = append(out, evaluation.HeadEvaluation{
				ID: uuid.NewString(), ProvinceUnitID: province, Year: year, UnitID: u.UnitID, UnitKind: u.Kind,
				HeadUserID: head.UserID, HeadName: head.Name, Result: res, Input: in, PolicyVersion: policy.Version, CreateTime: now,
			})
		}
		return tx.ReplaceDraftEvaluations(ctx, province, year, out, actor)
	})
	return out, err
}

// unitsOf keeps the units of the province: results of every province arrive on one
// stream, and a head is evaluated by their own province's committee on its policy (Art. 4).
// A unit the directory does not know is left out with a warning: nobody could be named.
func (s *Explanations) unitsOf(ctx context.Context, province string, units []UnitIndex) ([]UnitIndex, error) {
	var out []UnitIndex
	for _, u := range units {
		p, err := s.heads.ProvinceOf(ctx, u.UnitID)
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

// ListEvaluations returns a year's evaluations; the secretariat and leadership see all,
// others only published ones of their own unit.
func (s *Explanations) ListEvaluations(ctx context.Context, actor Actor, province string, year int) ([]evaluation.HeadEvaluation, error) {
	var out []evaluation.HeadEvaluation
	err := s.evalTx(ctx, func(tx EvaluationTx) error {
		evs, err := tx.Evaluations(ctx, strings.ToLower(province), year)
		for _, e := range evs {
			if actor.Has(roleSecretariat, roleLeadership) || (!e.PublishTime.IsZero() && e.UnitID == actor.UnitID) {
				out = append(out, e)
			}
		}
		return err
	})
	return out, err
}

// PublishEvaluations publishes the year's evaluations and proposes sanctions and
// commendation from them and the determined causes (Art. 18, 19; Art. 20.4, 20.5: the
// Department of Home Affairs proposes, the committee decides). Secretariat only.
func (s *Explanations) PublishEvaluations(ctx context.Context, actor Actor, province string, year int) ([]evaluation.HeadEvaluation, []evaluation.SanctionProposal, error) {
	if !actor.Has(roleSecretariat) {
		return nil, nil, ErrForbidden
	}
	province = strings.ToLower(province)
	var evs []evaluation.HeadEvaluation
	var props []evaluation.SanctionProposal
	err := s.evalTx(ctx, func(tx EvaluationTx) error {
		policy, _, _, err := policyInForce(ctx, tx, province)
		if err != nil {
			return err
		}
		if evs, err = tx.Evaluations(ctx, province, year); err != nil {
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
		props, err = tx.Proposals(ctx, province, year)
		return err
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
	var out []evaluation.SanctionProposal
	for _, p := range all {
		d, err := s.decider(ctx, p)
		if err != nil {
			return nil, err
		}
		if d.unitID == actor.UnitID {
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
func (s *Explanations) decider(ctx context.Context, p evaluation.SanctionProposal) (deciderRule, error) {
	if p.Kind != evaluation.KindCommuneCriticism && p.Kind != evaluation.KindCommuneDiscipl {
		return deciderRule{}, nil
	}
	parent, err := s.heads.ParentOf(ctx, p.UnitID)
	if err != nil {
		return deciderRule{}, fmt.Errorf("district of commune %s: %w", p.UnitID, err)
	}
	if parent == p.ProvinceUnitID {
		return deciderRule{}, nil
	}
	return deciderRule{unitID: parent}, nil
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
	err := s.evalTx(ctx, func(tx EvaluationTx) error {
		p, err := tx.ProposalForUpdate(ctx, strings.ToLower(id))
		if err != nil {
			return err
		}
		d, err := s.decider(ctx, p)
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
	return out, err
}
