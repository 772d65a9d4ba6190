// Package assessment holds the yearly scoring cycle of the units a province scores
// (DOMAIN.md, "The PAR index and scoring"): a round per year, level and criteria set, each
// unit's self-assessment (tự đánh giá) of the leaf items with evidence, appraisal (thẩm
// định) that accepts or adjusts each item with a reason, an optional answer of the unit, and
// a second review that fixes the final scores. Every change of a score is kept.
//
// The rules are plain functions on an Assessment loaded by the caller; the store applies the
// result in one transaction. It imports only the standard library and methodology.
package assessment

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/parindex/platform/services/parscoring/internal/methodology"
)

// Points is methodology.Points, re-exported for brevity.
type Points = methodology.Points

// State is where a unit stands in a round.
type State string

// The states, in order.
const (
	StateDraft     State = "draft"
	StateSubmitted State = "submitted"
	StateAppraised State = "appraised"
	StateFinalised State = "finalised"
)

// Decision is the appraiser's decision on an item.
type Decision string

// The decisions; the zero value means none yet.
const (
	DecisionNone     Decision = ""
	DecisionAccepted Decision = "accepted"
	DecisionAdjusted Decision = "adjusted"
)

// Stage says which step changed a score, in the history.
type Stage string

// The stages of the history.
const (
	StageSelf      Stage = "self"
	StageAppraisal Stage = "appraisal"
	StageResponse  Stage = "response"
	StageFinal     Stage = "final"
	StageSurvey    Stage = "survey"
)

// Errors of the cycle; the gRPC layer maps them to codes.
var (
	// ErrRoundNotFound: no round with this id.
	ErrRoundNotFound = errors.New("không tìm thấy đợt đánh giá")
	// ErrNotSubject: the unit is not scored in the round (or the caller may not see it).
	ErrNotSubject = errors.New("đơn vị không thuộc đợt đánh giá này")
	// ErrDeadlinePassed: the step's deadline is over.
	ErrDeadlinePassed = errors.New("đã quá hạn")
	// ErrWrongState: the step does not apply where the unit stands.
	ErrWrongState = errors.New("thao tác không phù hợp với trạng thái đánh giá hiện tại")
	// ErrIncompleteSet: the criteria set has incomplete nodes and cannot be scored against.
	ErrIncompleteSet = errors.New("bộ tiêu chí chưa đầy đủ số liệu, không thể dùng để chấm điểm")
	// ErrNoSubjects: the directory has no unit of the round's level and kind.
	ErrNoSubjects = errors.New("không có đơn vị nào thuộc cấp và loại đơn vị của bộ tiêu chí")
	// ErrUnfinished: a step needs items that are still missing (listed in the message).
	ErrUnfinished = errors.New("còn mục chưa hoàn thành")
)

// Round is one year's scoring of the units of one level against one criteria set.
type Round struct {
	ID            string
	Year          int
	Level         string
	CriteriaSetID string
	SubjectKind   string
	Name          string
	// SelfDeadline ends the self-assessment.
	SelfDeadline time.Time
	// AppraisalDeadline ends the appraisers' first review (decisions and their completion).
	// Zero only on rounds opened before the deadline existed: those have none.
	AppraisalDeadline time.Time
	// ResponseDeadline ends the unit's answers; zero means no response round.
	ResponseDeadline time.Time
	OpenedBy         string
	CreateTime       time.Time
	Subjects         []Subject
}

// Subject is a unit scored in a round and where it stands.
type Subject struct {
	UnitID, UnitCode, UnitName string
	State                      State
	SubmitTime                 time.Time
	SubmittedBy                string
	AppraiseTime               time.Time
	FinaliseTime               time.Time
	FinalisedBy                string
}

// Item is one leaf item as scored for one unit. Absent scores are nil.
type Item struct {
	Code            string
	SelfScore       *Points
	DeclaredFigures string
	Evidence        []string
	Explanation     string
	Decision        Decision
	AppraisedScore  *Points
	AppraisalReason string
	UnitResponse    string
	FinalScore      *Points
}

// Change is one entry of the history of an item's score.
type Change struct {
	Code     string
	Stage    Stage
	Actor    string
	At       time.Time
	Old, New *Points
	Reason   string
}

// Assessment is one unit's scoring in a round, as loaded for a step.
type Assessment struct {
	Round   Round
	Subject Subject
	// Items by code; only items touched so far.
	Items map[string]*Item
}

// item returns the item with code, creating it when absent.
func (a *Assessment) item(code string) *Item {
	if a.Items == nil {
		a.Items = map[string]*Item{}
	}
	it, ok := a.Items[code]
	if !ok {
		it = &Item{Code: code}
		a.Items[code] = it
	}
	return it
}

// Step is what one step did: the items it changed (to be written) and the history entries.
type Step struct {
	Items   []*Item
	Changes []Change
}

func (s *Step) touch(it *Item) {
	for _, x := range s.Items {
		if x == it {
			return
		}
	}
	s.Items = append(s.Items, it)
}

// ptr returns a pointer to a copy of p.
func ptr(p Points) *Points { return &p }

func samePoints(a, b *Points) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}

// leafIndex maps the codes of the set's leaves to their nodes.
func leafIndex(set methodology.CriteriaSet) map[string]methodology.Node {
	leaves := set.Leaves()
	m := make(map[string]methodology.Node, len(leaves))
	for _, n := range leaves {
		m[n.Code] = n
	}
	return m
}

// CheckRange reports whether score fits the node: between 0 and the maximum, or between
// the (negative) maximum and 0 for a penalty item.
func CheckRange(n methodology.Node, score Points) error {
	lo, hi := Points(0), n.MaxPoints
	if n.Penalty() {
		lo, hi = n.MaxPoints, 0
	}
	if score < lo || score > hi {
		return fmt.Errorf("điểm %s nằm ngoài khoảng cho phép của mục %s (từ %s đến %s)", score, n.Code, lo, hi)
	}
	return nil
}

// vietnamTime is the province's local time (UTC+7, no daylight saving), in which people
// read deadlines.
var vietnamTime = time.FixedZone("ICT", 7*60*60)

// deadlinePassed says which step's deadline is over and when it was, as people read it:
// "đã quá hạn: hạn thẩm định là 17:00 ngày 15/02/2025 (giờ Việt Nam)".
func deadlinePassed(step string, deadline time.Time) error {
	return fmt.Errorf("%w: hạn %s là %s (giờ Việt Nam)", ErrDeadlinePassed, step, deadline.In(vietnamTime).Format("15:04 ngày 02/01/2006"))
}

// checkAppraisalDeadline refuses the first review's steps after the round's appraisal
// deadline. Rounds opened before appraisal deadlines existed have none.
func checkAppraisalDeadline(r Round, now time.Time) error {
	if !r.AppraisalDeadline.IsZero() && now.After(r.AppraisalDeadline) {
		return deadlinePassed("thẩm định", r.AppraisalDeadline)
	}
	return nil
}

// SelfInput is one item of a self-assessment draft.
type SelfInput struct {
	Code            string
	Score           Points
	DeclaredFigures string
	Evidence        []string
	Explanation     string
}

// NewRound checks a round to open against its criteria set. Subjects are filled by the
// caller from the directory.
func NewRound(r Round, set methodology.CriteriaSet) (Round, error) {
	var v methodology.ValidationErrors
	r.Level = strings.TrimSpace(r.Level)
	r.Name = strings.TrimSpace(r.Name)
	if r.Year < methodology.MinYear || r.Year > methodology.MaxYear {
		v = append(v, methodology.ValidationError{Field: "year", Reason: fmt.Sprintf("năm phải từ %d đến %d", methodology.MinYear, methodology.MaxYear)})
	}
	if r.Year != set.Year {
		v = append(v, methodology.ValidationError{Field: "criteria_set_id", Reason: fmt.Sprintf("bộ tiêu chí dành cho năm %d, không phải năm %d", set.Year, r.Year)})
	}
	if r.Level == "" {
		v = append(v, methodology.ValidationError{Field: "level", Reason: "cần cấp đơn vị được đánh giá"})
	}
	if r.Name == "" {
		v = append(v, methodology.ValidationError{Field: "name", Reason: "cần tên đợt đánh giá"})
	}
	if r.SelfDeadline.IsZero() {
		v = append(v, methodology.ValidationError{Field: "self_assessment_deadline", Reason: "cần hạn tự đánh giá"})
	}
	switch {
	case r.AppraisalDeadline.IsZero():
		v = append(v, methodology.ValidationError{Field: "appraisal_deadline", Reason: "cần hạn thẩm định"})
	case !r.SelfDeadline.IsZero() && !r.AppraisalDeadline.After(r.SelfDeadline):
		v = append(v, methodology.ValidationError{Field: "appraisal_deadline", Reason: "hạn thẩm định phải sau hạn tự đánh giá"})
	}
	switch {
	case r.ResponseDeadline.IsZero():
	case !r.AppraisalDeadline.IsZero() && !r.ResponseDeadline.After(r.AppraisalDeadline):
		v = append(v, methodology.ValidationError{Field: "response_deadline", Reason: "hạn giải trình của đơn vị phải sau hạn thẩm định"})
	case !r.ResponseDeadline.After(r.SelfDeadline):
		v = append(v, methodology.ValidationError{Field: "response_deadline", Reason: "hạn giải trình của đơn vị phải sau hạn tự đánh giá"})
	}
	if len(v) > 0 {
		return Round{}, v
	}
	if set.Incomplete() {
		return Round{}, ErrIncompleteSet
	}
	r.CriteriaSetID, r.SubjectKind = set.ID, set.SubjectKind
	return r, nil
}

// SaveSelf applies draft items. Only appraised-source leaf items are self-assessed; survey
// and imported items come from imports. Every bad item is reported.
func SaveSelf(a *Assessment, set methodology.CriteriaSet, in []SelfInput, actor string, now time.Time) (Step, error) {
	if a.Subject.State != StateDraft {
		return Step{}, fmt.Errorf("%w: bản tự đánh giá đã nộp và bị khóa", ErrWrongState)
	}
	if now.After(a.Round.SelfDeadline) {
		return Step{}, deadlinePassed("tự đánh giá", a.Round.SelfDeadline)
	}
	leaves := leafIndex(set)
	var v methodology.ValidationErrors
	seen := map[string]bool{}
	for i, x := range in {
		field := func(f string) string { return fmt.Sprintf("items[%d].%s", i, f) }
		n, ok := leaves[x.Code]
		switch {
		case !ok:
			v = append(v, methodology.ValidationError{Field: field("code"), Reason: fmt.Sprintf("không có mục lá mã %q trong bộ tiêu chí", x.Code)})
			continue
		case n.PointSource != methodology.SourceAppraised:
			v = append(v, methodology.ValidationError{Field: field("code"), Reason: fmt.Sprintf("mục %s lấy điểm từ %s, đơn vị không tự chấm", x.Code, n.PointSource)})
			continue
		case seen[x.Code]:
			v = append(v, methodology.ValidationError{Field: field("code"), Reason: fmt.Sprintf("mục %s xuất hiện hai lần", x.Code)})
			continue
		}
		seen[x.Code] = true
		if err := CheckRange(n, x.Score); err != nil {
			v = append(v, methodology.ValidationError{Field: field("score"), Reason: err.Error()})
		}
	}
	if len(v) > 0 {
		return Step{}, v
	}
	var st Step
	for _, x := range in {
		it := a.item(x.Code)
		old := it.SelfScore
		it.SelfScore = ptr(x.Score)
		it.DeclaredFigures = x.DeclaredFigures
		it.Evidence = append([]string(nil), x.Evidence...)
		it.Explanation = x.Explanation
		st.touch(it)
		if !samePoints(old, it.SelfScore) {
			st.Changes = append(st.Changes, Change{Code: x.Code, Stage: StageSelf, Actor: actor, At: now, Old: old, New: it.SelfScore, Reason: x.Explanation})
		}
	}
	return st, nil
}

// Submit locks the self-assessment: every appraised leaf item is scored, and those
// without evidence carry an explanation.
func Submit(a *Assessment, set methodology.CriteriaSet, actor string, now time.Time) error {
	if a.Subject.State != StateDraft {
		return fmt.Errorf("%w: bản tự đánh giá đã nộp", ErrWrongState)
	}
	if now.After(a.Round.SelfDeadline) {
		return deadlinePassed("tự đánh giá", a.Round.SelfDeadline)
	}
	var v methodology.ValidationErrors
	for _, n := range set.Leaves() {
		if n.PointSource != methodology.SourceAppraised {
			continue
		}
		it := a.Items[n.Code]
		switch {
		case it == nil || it.SelfScore == nil:
			v = append(v, methodology.ValidationError{Field: "items." + n.Code, Reason: fmt.Sprintf("mục %s chưa được chấm điểm", n.Code)})
		case len(it.Evidence) == 0 && strings.TrimSpace(it.Explanation) == "":
			v = append(v, methodology.ValidationError{Field: "items." + n.Code + ".explanation", Reason: fmt.Sprintf("mục %s không có tài liệu kiểm chứng: cần giải thích", n.Code)})
		}
	}
	if len(v) > 0 {
		return v
	}
	a.Subject.State = StateSubmitted
	a.Subject.SubmitTime = now
	a.Subject.SubmittedBy = actor
	return nil
}

// AppraisalInput is one appraisal decision.
type AppraisalInput struct {
	Code     string
	Decision Decision
	// Score is the appraised score when adjusting.
	Score  Points
	Reason string
}

// Appraise records decisions on submitted appraised-source items.
func Appraise(a *Assessment, set methodology.CriteriaSet, in []AppraisalInput, actor string, now time.Time) (Step, error) {
	if a.Subject.State != StateSubmitted {
		return Step{}, fmt.Errorf("%w: chỉ thẩm định bản tự đánh giá đã nộp", ErrWrongState)
	}
	if err := checkAppraisalDeadline(a.Round, now); err != nil {
		return Step{}, err
	}
	leaves := leafIndex(set)
	var v methodology.ValidationErrors
	for i, x := range in {
		field := func(f string) string { return fmt.Sprintf("items[%d].%s", i, f) }
		n, ok := leaves[x.Code]
		if !ok || n.PointSource != methodology.SourceAppraised {
			v = append(v, methodology.ValidationError{Field: field("code"), Reason: fmt.Sprintf("không có mục lá thẩm định mã %q", x.Code)})
			continue
		}
		switch x.Decision {
		case DecisionAccepted:
		case DecisionAdjusted:
			if err := CheckRange(n, x.Score); err != nil {
				v = append(v, methodology.ValidationError{Field: field("score"), Reason: err.Error()})
			}
			if strings.TrimSpace(x.Reason) == "" {
				v = append(v, methodology.ValidationError{Field: field("reason"), Reason: "điều chỉnh điểm cần nêu lý do"})
			}
		default:
			v = append(v, methodology.ValidationError{Field: field("decision"), Reason: "cần chấp nhận hoặc điều chỉnh"})
		}
	}
	if len(v) > 0 {
		return Step{}, v
	}
	var st Step
	for _, x := range in {
		it := a.item(x.Code)
		old := it.AppraisedScore
		if old == nil {
			old = it.SelfScore
		}
		it.Decision = x.Decision
		if x.Decision == DecisionAccepted {
			it.AppraisedScore = it.SelfScore
			it.AppraisalReason = x.Reason
		} else {
			it.AppraisedScore = ptr(x.Score)
			it.AppraisalReason = x.Reason
		}
		st.touch(it)
		st.Changes = append(st.Changes, Change{Code: x.Code, Stage: StageAppraisal, Actor: actor, At: now, Old: old, New: it.AppraisedScore, Reason: string(x.Decision) + ": " + x.Reason})
	}
	return st, nil
}

// CompleteAppraisal ends the first review once every appraised leaf item has a decision.
func CompleteAppraisal(a *Assessment, set methodology.CriteriaSet, now time.Time) error {
	if a.Subject.State != StateSubmitted {
		return fmt.Errorf("%w: chỉ kết thúc thẩm định bản đã nộp", ErrWrongState)
	}
	if err := checkAppraisalDeadline(a.Round, now); err != nil {
		return err
	}
	var missing []string
	for _, n := range set.Leaves() {
		if n.PointSource != methodology.SourceAppraised {
			continue
		}
		if it := a.Items[n.Code]; it == nil || it.Decision == DecisionNone {
			missing = append(missing, n.Code)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: chưa thẩm định các mục %s", ErrUnfinished, strings.Join(missing, ", "))
	}
	a.Subject.State = StateAppraised
	a.Subject.AppraiseTime = now
	return nil
}

// ResponseInput is the unit's answer to one adjusted item.
type ResponseInput struct {
	Code     string
	Response string
}

// Respond records the unit's answers to adjusted items, within the response round.
func Respond(a *Assessment, in []ResponseInput, actor string, now time.Time) (Step, error) {
	if a.Subject.State != StateAppraised {
		return Step{}, fmt.Errorf("%w: chỉ phản hồi sau khi có kết quả thẩm định", ErrWrongState)
	}
	if a.Round.ResponseDeadline.IsZero() {
		return Step{}, fmt.Errorf("%w: đợt đánh giá này không có vòng phản hồi", ErrWrongState)
	}
	if now.After(a.Round.ResponseDeadline) {
		return Step{}, deadlinePassed("phản hồi kết quả thẩm định", a.Round.ResponseDeadline)
	}
	var v methodology.ValidationErrors
	for i, x := range in {
		if it := a.Items[x.Code]; it == nil || it.Decision != DecisionAdjusted {
			v = append(v, methodology.ValidationError{Field: fmt.Sprintf("items[%d].code", i), Reason: fmt.Sprintf("mục %s không bị điều chỉnh điểm", x.Code)})
		}
		if strings.TrimSpace(x.Response) == "" {
			v = append(v, methodology.ValidationError{Field: fmt.Sprintf("items[%d].response", i), Reason: "cần nội dung phản hồi"})
		}
	}
	if len(v) > 0 {
		return Step{}, v
	}
	var st Step
	for _, x := range in {
		it := a.Items[x.Code]
		it.UnitResponse = x.Response
		st.touch(it)
		st.Changes = append(st.Changes, Change{Code: x.Code, Stage: StageResponse, Actor: actor, At: now, Old: it.AppraisedScore, New: it.AppraisedScore, Reason: x.Response})
	}
	return st, nil
}

// FinalInput changes one item's score at the second review.
type FinalInput struct {
	Code   string
	Score  Points
	Reason string
}

// Finalise is the second review: it applies the adjustments and fixes every leaf's final
// score. Survey and imported items must have their scores.
func Finalise(a *Assessment, set methodology.CriteriaSet, in []FinalInput, actor string, now time.Time) (Step, error) {
	if a.Subject.State != StateAppraised {
		return Step{}, fmt.Errorf("%w: chỉ chốt kết quả sau khi thẩm định xong", ErrWrongState)
	}
	leaves := leafIndex(set)
	var v methodology.ValidationErrors
	adjust := map[string]FinalInput{}
	for i, x := range in {
		n, ok := leaves[x.Code]
		if !ok {
			v = append(v, methodology.ValidationError{Field: fmt.Sprintf("adjustments[%d].code", i), Reason: fmt.Sprintf("không có mục lá mã %q", x.Code)})
			continue
		}
		if err := CheckRange(n, x.Score); err != nil {
			v = append(v, methodology.ValidationError{Field: fmt.Sprintf("adjustments[%d].score", i), Reason: err.Error()})
		}
		if strings.TrimSpace(x.Reason) == "" {
			v = append(v, methodology.ValidationError{Field: fmt.Sprintf("adjustments[%d].reason", i), Reason: "điều chỉnh điểm cần nêu lý do"})
		}
		adjust[x.Code] = x
	}
	if len(v) > 0 {
		return Step{}, v
	}
	var missing []string
	for _, n := range set.Leaves() {
		_, adjusted := adjust[n.Code]
		if it := a.Items[n.Code]; !adjusted && (it == nil || it.AppraisedScore == nil) {
			missing = append(missing, n.Code)
		}
	}
	if len(missing) > 0 {
		return Step{}, fmt.Errorf("%w: chưa có điểm thẩm định hoặc điểm điều tra của các mục %s", ErrUnfinished, strings.Join(missing, ", "))
	}
	var st Step
	for _, n := range set.Leaves() {
		it := a.item(n.Code)
		if x, ok := adjust[n.Code]; ok {
			it.FinalScore = ptr(x.Score)
			st.Changes = append(st.Changes, Change{Code: n.Code, Stage: StageFinal, Actor: actor, At: now, Old: it.AppraisedScore, New: it.FinalScore, Reason: x.Reason})
		} else {
			it.FinalScore = it.AppraisedScore
		}
		st.touch(it)
	}
	a.Subject.State = StateFinalised
	a.Subject.FinaliseTime = now
	a.Subject.FinalisedBy = actor
	return st, nil
}

// Total adds the scores pick returns for every leaf item that has one.
func Total(a Assessment, pick func(*Item) *Points) Points {
	var sum Points
	for _, it := range a.Items {
		if p := pick(it); p != nil {
			sum += *p
		}
	}
	return sum
}

// SurveyRow is one imported survey-sourced score.
type SurveyRow struct {
	// Row is the row number in the file, for problems.
	Row      int
	UnitCode string
	Code     string
	Score    Points
}
