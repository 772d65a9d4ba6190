package app

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/google/uuid"

	"github.com/parindex/platform/services/kit/vntime"

	"github.com/parindex/platform/services/parscoring/internal/assessment"
	"github.com/parindex/platform/services/parscoring/internal/methodology"
)

// ErrUnavailable marks a failure of a peer service worth retrying later.
var ErrUnavailable = errors.New("dịch vụ danh mục đơn vị tạm thời không phản hồi, hãy thử lại")

// ErrUnitNotFound: the directory has no unit with this id.
var ErrUnitNotFound = errors.New("không có đơn vị này trong danh mục đơn vị")

// Directory resolves units: those a round scores, and single units that other records
// (feedback codes) point to.
type Directory interface {
	// Units returns the units in force of a level and kind, with id, code and name.
	Units(ctx context.Context, level, kind string) ([]assessment.Subject, error)
	// GetUnit returns one unit, or ErrUnitNotFound; a directory that does not answer
	// gives an error wrapping ErrUnavailable.
	GetUnit(ctx context.Context, id string) (Unit, error)
}

// Unit is a directory unit as PAR scoring needs it.
type Unit struct {
	ID, Code, Name, Kind, Level string
	// ValidTo is the last local day the unit exists (merged or dissolved); zero while
	// it exists.
	ValidTo vntime.Date
}

// AssessmentStore persists rounds and assessments. Writes record their events in the same
// transaction (RoundOpened, SelfAssessmentSubmitted, AppraisalFinalised).
type AssessmentStore interface {
	// CreateRound stores a round with its subjects and records RoundOpened.
	CreateRound(ctx context.Context, r assessment.Round) error
	// Round returns a round with its subjects, or assessment.ErrRoundNotFound.
	Round(ctx context.Context, id string) (assessment.Round, error)
	// ListRounds returns rounds without subjects, newest year first; year 0 means all.
	ListRounds(ctx context.Context, year int) ([]assessment.Round, error)
	// Assessment returns a unit's assessment, or ErrRoundNotFound / ErrNotSubject.
	Assessment(ctx context.Context, roundID, unitID string) (assessment.Assessment, error)
	// UpdateAssessment loads a unit's assessment under a lock, calls fn, and writes the
	// items and history fn returns together with the subject's new state, recording
	// SelfAssessmentSubmitted or AppraisalFinalised when the state moves there.
	UpdateAssessment(ctx context.Context, roundID, unitID string, fn func(*assessment.Assessment) (assessment.Step, error)) (assessment.Assessment, error)
	// ScoreChanges returns a unit's history, oldest first.
	ScoreChanges(ctx context.Context, roundID, unitID string) ([]assessment.Change, error)
	// ApplySurveyScores stores survey-sourced scores in one transaction; it fails with
	// assessment.ErrWrongState, storing nothing, if a unit concerned is finalised.
	ApplySurveyScores(ctx context.Context, roundID string, scores []SurveyScore, actor string, at time.Time) error
	// FinalisedAssessments returns the finalised assessments of a round.
	FinalisedAssessments(ctx context.Context, roundID string) ([]assessment.Assessment, error)
}

// SurveyScore is one survey-sourced score to store.
type SurveyScore struct {
	UnitID string
	Code   string
	Score  methodology.Points
}

// Assessments runs the scoring cycle: rounds, self-assessment, appraisal, survey scores.
type Assessments struct {
	store AssessmentStore
	sets  Store
	dir   Directory
	now   func() time.Time
}

// NewAssessments returns the use cases on store, the criteria sets of sets and the
// directory. now is the clock (nil means time.Now).
func NewAssessments(store AssessmentStore, sets Store, dir Directory, now func() time.Time) *Assessments {
	if now == nil {
		now = time.Now
	}
	return &Assessments{store: store, sets: sets, dir: dir, now: now}
}

func (s *Assessments) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// criteriaSet loads a set by id; a malformed id is simply not found.
func (s *Assessments) criteriaSet(ctx context.Context, id string) (methodology.CriteriaSet, error) {
	if _, err := uuid.Parse(id); err != nil {
		return methodology.CriteriaSet{}, methodology.ErrNotFound
	}
	return s.sets.CriteriaSet(ctx, id)
}

// OpenRound checks a round against its criteria set, resolves its subjects in the directory
// and stores it with its RoundOpened event.
func (s *Assessments) OpenRound(ctx context.Context, draft assessment.Round, actor string) (assessment.Round, error) {
	set, err := s.criteriaSet(ctx, draft.CriteriaSetID)
	if errors.Is(err, methodology.ErrNotFound) {
		return assessment.Round{}, fmt.Errorf("open round: %w", methodology.ValidationErrors{{Field: "criteria_set_id", Reason: methodology.ErrNotFound.Error()}})
	}
	if err != nil {
		return assessment.Round{}, fmt.Errorf("open round: %w", err)
	}
	r, err := assessment.NewRound(draft, set)
	if err != nil {
		return assessment.Round{}, fmt.Errorf("open round: %w", err)
	}
	units, err := s.dir.Units(ctx, r.Level, r.SubjectKind)
	if err != nil {
		return assessment.Round{}, fmt.Errorf("open round: units of level %q kind %q: %w", r.Level, r.SubjectKind, err)
	}
	if len(units) == 0 {
		return assessment.Round{}, fmt.Errorf("open round: %w", assessment.ErrNoSubjects)
	}
	for i := range units {
		units[i].State = assessment.StateDraft
	}
	id, err := uuid.NewV7()
	if err != nil {
		return assessment.Round{}, fmt.Errorf("open round: new id: %w", err)
	}
	r.ID, r.OpenedBy, r.CreateTime, r.Subjects = id.String(), actor, s.clock(), units
	if err := s.store.CreateRound(ctx, r); err != nil {
		return assessment.Round{}, fmt.Errorf("open round: %w", err)
	}
	return r, nil
}

// Round returns a round with its subjects.
func (s *Assessments) Round(ctx context.Context, id string) (assessment.Round, error) {
	if _, err := uuid.Parse(id); err != nil {
		return assessment.Round{}, assessment.ErrRoundNotFound
	}
	return s.store.Round(ctx, id)
}

// ListRounds returns rounds without subjects, newest year first.
func (s *Assessments) ListRounds(ctx context.Context, year int) ([]assessment.Round, error) {
	return s.store.ListRounds(ctx, year)
}

// View is an assessment with the criteria set it is scored against, for display.
type View struct {
	Assessment assessment.Assessment
	Set        methodology.CriteriaSet
}

func (s *Assessments) view(ctx context.Context, a assessment.Assessment) (View, error) {
	set, err := s.sets.CriteriaSet(ctx, a.Round.CriteriaSetID)
	if err != nil {
		return View{}, fmt.Errorf("criteria set of round %s: %w", a.Round.ID, err)
	}
	return View{Assessment: a, Set: set}, nil
}

// Assessment returns a unit's assessment in a round.
func (s *Assessments) Assessment(ctx context.Context, roundID, unitID string) (View, error) {
	if _, err := uuid.Parse(roundID); err != nil {
		return View{}, assessment.ErrRoundNotFound
	}
	a, err := s.store.Assessment(ctx, roundID, unitID)
	if err != nil {
		return View{}, err
	}
	return s.view(ctx, a)
}

// update runs one step of the cycle on a unit's assessment. The criteria set is loaded
// from the round before the lock: sets never change.
func (s *Assessments) update(ctx context.Context, roundID, unitID string, step func(*assessment.Assessment, methodology.CriteriaSet, time.Time) (assessment.Step, error)) (View, error) {
	r, err := s.Round(ctx, roundID)
	if err != nil {
		return View{}, err
	}
	set, err := s.sets.CriteriaSet(ctx, r.CriteriaSetID)
	if err != nil {
		return View{}, fmt.Errorf("criteria set of round %s: %w", r.ID, err)
	}
	now := s.clock()
	a, err := s.store.UpdateAssessment(ctx, roundID, unitID, func(a *assessment.Assessment) (assessment.Step, error) {
		return step(a, set, now)
	})
	if err != nil {
		return View{}, err
	}
	return View{Assessment: a, Set: set}, nil
}

// SaveSelfAssessment saves draft items.
func (s *Assessments) SaveSelfAssessment(ctx context.Context, roundID, unitID string, in []assessment.SelfInput, actor string) (View, error) {
	return s.update(ctx, roundID, unitID, func(a *assessment.Assessment, set methodology.CriteriaSet, now time.Time) (assessment.Step, error) {
		return assessment.SaveSelf(a, set, in, actor, now)
	})
}

// SubmitSelfAssessment submits and locks the self-assessment.
func (s *Assessments) SubmitSelfAssessment(ctx context.Context, roundID, unitID, actor string) (View, error) {
	return s.update(ctx, roundID, unitID, func(a *assessment.Assessment, set methodology.CriteriaSet, now time.Time) (assessment.Step, error) {
		return assessment.Step{}, assessment.Submit(a, set, actor, now)
	})
}

// AppraiseItems records appraisal decisions.
func (s *Assessments) AppraiseItems(ctx context.Context, roundID, unitID string, in []assessment.AppraisalInput, actor string) (View, error) {
	return s.update(ctx, roundID, unitID, func(a *assessment.Assessment, set methodology.CriteriaSet, now time.Time) (assessment.Step, error) {
		return assessment.Appraise(a, set, in, actor, now)
	})
}

// CompleteAppraisal ends the first review.
func (s *Assessments) CompleteAppraisal(ctx context.Context, roundID, unitID string) (View, error) {
	return s.update(ctx, roundID, unitID, func(a *assessment.Assessment, set methodology.CriteriaSet, now time.Time) (assessment.Step, error) {
		return assessment.Step{}, assessment.CompleteAppraisal(a, set, now)
	})
}

// RespondToAppraisal records the unit's answers.
func (s *Assessments) RespondToAppraisal(ctx context.Context, roundID, unitID string, in []assessment.ResponseInput, actor string) (View, error) {
	return s.update(ctx, roundID, unitID, func(a *assessment.Assessment, _ methodology.CriteriaSet, now time.Time) (assessment.Step, error) {
		return assessment.Respond(a, in, actor, now)
	})
}

// FinaliseAppraisal is the second review.
func (s *Assessments) FinaliseAppraisal(ctx context.Context, roundID, unitID string, in []assessment.FinalInput, actor string) (View, error) {
	return s.update(ctx, roundID, unitID, func(a *assessment.Assessment, set methodology.CriteriaSet, now time.Time) (assessment.Step, error) {
		return assessment.Finalise(a, set, in, actor, now)
	})
}

// ScoreChanges returns a unit's history in a round.
func (s *Assessments) ScoreChanges(ctx context.Context, roundID, unitID string) ([]assessment.Change, error) {
	if _, err := s.Assessment(ctx, roundID, unitID); err != nil {
		return nil, err
	}
	return s.store.ScoreChanges(ctx, roundID, unitID)
}

// UnitFinalScores is one unit's final scores in a round.
type UnitFinalScores struct {
	UnitID, UnitCode, UnitName string
	FinaliseTime               time.Time
	// Scores maps each leaf item code to its final score.
	Scores map[string]methodology.Points
}

// FinalisedScores is what publication needs from a round: the round, its criteria set and
// the final leaf scores of every unit whose appraisal is finalised (units not finalised
// yet are left out; compare len(Units) with len(Round.Subjects)).
type FinalisedScores struct {
	Round assessment.Round
	Set   methodology.CriteriaSet
	Units []UnitFinalScores
}

// FinalisedScores returns the final leaf scores of a round's finalised units, ordered by
// unit code.
func (s *Assessments) FinalisedScores(ctx context.Context, roundID string) (FinalisedScores, error) {
	r, err := s.Round(ctx, roundID)
	if err != nil {
		return FinalisedScores{}, err
	}
	set, err := s.sets.CriteriaSet(ctx, r.CriteriaSetID)
	if err != nil {
		return FinalisedScores{}, fmt.Errorf("criteria set of round %s: %w", r.ID, err)
	}
	as, err := s.store.FinalisedAssessments(ctx, roundID)
	if err != nil {
		return FinalisedScores{}, err
	}
	out := FinalisedScores{Round: r, Set: set}
	for _, a := range as {
		u := UnitFinalScores{UnitID: a.Subject.UnitID, UnitCode: a.Subject.UnitCode, UnitName: a.Subject.UnitName,
			FinaliseTime: a.Subject.FinaliseTime, Scores: map[string]methodology.Points{}}
		for code, it := range a.Items {
			if it.FinalScore != nil {
				u.Scores[code] = *it.FinalScore
			}
		}
		out.Units = append(out.Units, u)
	}
	sort.Slice(out.Units, func(i, j int) bool { return out.Units[i].UnitCode < out.Units[j].UnitCode })
	return out, nil
}
