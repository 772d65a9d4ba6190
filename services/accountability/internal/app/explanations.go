package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/parindex/platform/services/accountability/internal/explanation"
	"github.com/parindex/platform/services/accountability/internal/responsibility"
	"github.com/parindex/platform/services/kit/vntime"
)

// DefaultDueDays is how many calendar days a head has to explain, counted from the
// publication of the results: inside the 30 days within which the Department of Home
// Affairs must report the compiled explanations (Art. 20.2), leaving it ten days to compile.
const DefaultDueDays = 20

// ErrForbidden means the caller may not take this step on this explanation (Art. 12.1: the
// owning unit explains; Art. 21.3: cooperating units contribute their parts; Art. 20.2: the
// Department of Home Affairs compiles and concludes).
var ErrForbidden = errors.New("bạn không có quyền thực hiện thao tác này với yêu cầu giải trình")

// Actor is who makes a change, for authorisation and the audit trail.
type Actor struct {
	UserID string
	Name   string
	UnitID string
	Roles  []string
}

// System is the actor of changes the service makes on its own (triggers, deadlines).
var System = Actor{UserID: "system", Name: "Hệ thống"}

// Has reports whether the actor holds one of roles.
func (a Actor) Has(roles ...string) bool {
	for _, r := range roles {
		if slices.Contains(a.Roles, r) {
			return true
		}
	}
	return false
}

// Roles the rules below name (kit/auth's role claims).
const (
	roleSecretariat = "secretariat"
	roleLeadership  = "leadership"
	roleUnitHead    = "unit_head"
	roleUnitStaff   = "unit_staff"
)

// EventKind names the event a change records.
type EventKind string

// Events of explanations.
const (
	EventRequested EventKind = "requested"
	EventSubmitted EventKind = "submitted"
	EventReturned  EventKind = "returned"
	EventConcluded EventKind = "concluded"
	EventOverdue   EventKind = "overdue"
	EventNone      EventKind = ""
)

// Change describes one state change for the audit trail and the outbox.
type Change struct {
	Action string
	Actor  Actor
	Reason string
	Event  EventKind
	// AssigningUnitID is the unit that assigns remediation tasks, on conclusion.
	AssigningUnitID string
}

// Head is who answered for a unit on a day (002 Art. 2.4: the acting head when there is one).
type Head struct {
	UserID string
	Name   string
}

// HeadDirectory finds heads from the directory's tenure history.
type HeadDirectory interface {
	// HeadOnDate returns who answered for the unit on the local date (ISO); a zero Head when
	// the post was vacant; ErrUnknownUnit or ErrDirectoryUnavailable.
	HeadOnDate(ctx context.Context, unitID, date string) (Head, error)
	// Parents returns the parent id of each of ids that names a unit ("" for a root), in
	// as few calls as the directory allows, and the ids that name none;
	// ErrDirectoryUnavailable.
	Parents(ctx context.Context, ids []string) (parents map[string]string, missing []string, err error)
}

// Tx is the store bound to one transaction: everything a use case changes commits
// together with its audit records and events.
type Tx interface {
	// SaveResult stores (or replaces) a unit's published result.
	SaveResult(ctx context.Context, r explanation.PublishedResult) error
	// Result returns a stored result, or explanation.ErrNotFound.
	Result(ctx context.Context, year int, subjectKind, unitID string) (explanation.PublishedResult, error)
	// UnitResults returns every stored result of a year other than a provincial index.
	UnitResults(ctx context.Context, year int) ([]UnitIndex, error)
	// MatrixInForce returns the matrix of the province for the latest year ≤ year, or
	// responsibility.ErrNotFound.
	MatrixInForce(ctx context.Context, provinceUnitID string, year int) (responsibility.Matrix, error)
	// InsertExplanation stores a new request with its audit record and
	// ExplanationRequested; for an Art. 14.1 request it returns false, changing nothing,
	// when the request for its year, node and unit exists.
	InsertExplanation(ctx context.Context, e explanation.Explanation, c Change) (bool, error)
	// ExplanationForUpdate returns an explanation locked until the transaction ends.
	ExplanationForUpdate(ctx context.Context, id string) (explanation.Explanation, error)
	// UpdateExplanation stores after, with an audit record from before to after and the
	// change's event.
	UpdateExplanation(ctx context.Context, before, after explanation.Explanation, c Change) error
	// DueForOverdue returns, locked, the open or returned explanations whose due date is
	// before today (local) and that were never marked overdue.
	DueForOverdue(ctx context.Context, today string, limit int) ([]explanation.Explanation, error)
	// MarkOverdue sets the overdue time once, with its audit record and ExplanationOverdue.
	MarkOverdue(ctx context.Context, e explanation.Explanation, at time.Time) error
}

// ExplanationFilter narrows ListExplanations.
type ExplanationFilter struct {
	ProvinceUnitID string
	Year           int
	UnitID         string
	Status         explanation.Status
	// VisibleToUnit limits to explanations the unit owns or cooperates on, or published
	// ones; empty for no limit (secretariat, leadership).
	VisibleToUnit string
	// PublishedOnly limits to published explanations.
	PublishedOnly bool
	// After is the id of the last explanation of the previous page.
	After string
	Limit int
}

// ExplanationReader reads outside a transaction.
type ExplanationReader interface {
	// InTx runs fn in one transaction.
	InTx(ctx context.Context, fn func(Tx) error) error
	// Explanation returns one explanation or explanation.ErrNotFound.
	Explanation(ctx context.Context, id string) (explanation.Explanation, error)
	// ListExplanations returns a page ordered by year descending, then id.
	ListExplanations(ctx context.Context, f ExplanationFilter) ([]explanation.Explanation, error)
}

// Explanations runs the explanation use cases.
type Explanations struct {
	store   ExplanationReader
	heads   HeadDirectory
	now     func() time.Time
	dueDays int
	log     *slog.Logger
	tasks   RemediationTracker
}

// NewExplanations returns the use cases; dueDays ≤ 0 means DefaultDueDays.
func NewExplanations(store ExplanationReader, heads HeadDirectory, now func() time.Time, dueDays int, log *slog.Logger) *Explanations {
	if now == nil {
		now = time.Now
	}
	if dueDays <= 0 {
		dueDays = DefaultDueDays
	}
	if log == nil {
		log = slog.Default()
	}
	return &Explanations{store: store, heads: heads, now: now, dueDays: dueDays, log: log}
}

func (s *Explanations) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// TriggerOutcome is what one run of the Art. 14.1 trigger did.
type TriggerOutcome struct {
	Opened     []explanation.Explanation
	Unassigned []string
}

// ApplyPublishedResult stores a published result and runs the Art. 14.1 trigger on it,
// within tx (the consumer's transaction, which also records the event as processed).
//
// The directory is asked before the first write of tx: dry runs of the trigger on the
// event itself, reading only the matrix in force, find the provinces and heads it needs,
// which are resolved between them; only then is the result stored and the trigger run for
// real on those facts. A slow directory thus never holds the result's or the requests' row
// locks. kit/consumer has no hook before its transaction, and records the event in
// processed_events before calling the handler: that one row (the event's own id) is all the
// transaction holds while the directory answers.
func (s *Explanations) ApplyPublishedResult(ctx context.Context, tx Tx, r explanation.PublishedResult) (TriggerOutcome, error) {
	var facts *unitFacts
	err := s.withFacts(ctx, "", func(f *unitFacts) error {
		facts = f
		look := &factLookup{f: f, isDry: true}
		if _, err := s.trigger(ctx, tx, look, r); err != nil {
			return err
		}
		return look.err()
	})
	if err != nil {
		return TriggerOutcome{}, err
	}
	if err := tx.SaveResult(ctx, r); err != nil {
		return TriggerOutcome{}, fmt.Errorf("save result %d/%s/%s: %w", r.Year, r.SubjectKind, r.UnitID, err)
	}
	look := &factLookup{f: facts}
	out, err := s.trigger(ctx, tx, look, r)
	if err != nil {
		return out, err
	}
	// A matrix committed since the dry runs may name units not asked about: the
	// transaction rolls back and the event is retried (an ErrDirectoryUnavailable).
	return out, look.err()
}

// RunTriggers re-runs the Art. 14.1 and 15.7 triggers on the stored results of a year: the
// provincial index and the own indexes of the province's units, e.g. after the year's
// matrix was imported late. Requests already open are kept. Secretariat only.
func (s *Explanations) RunTriggers(ctx context.Context, actor Actor, provinceUnitID string, year int) (TriggerOutcome, error) {
	if !actor.Has(roleSecretariat) {
		return TriggerOutcome{}, ErrForbidden
	}
	province := strings.ToLower(provinceUnitID)
	var out TriggerOutcome
	// The units' provinces and the heads on the days of publication come from the directory
	// before the transaction: a first run finds what it needs, rolls back, and runs again.
	err := s.withFacts(ctx, "", func(f *unitFacts) error {
		out = TriggerOutcome{}
		return s.store.InTx(ctx, func(tx Tx) error {
			look := &factLookup{f: f, isDry: true}
			if err := s.runTriggers(ctx, tx, look, province, year, &TriggerOutcome{}); err != nil {
				return err
			}
			if err := look.err(); err != nil {
				return err
			}
			look = &factLookup{f: f}
			if err := s.runTriggers(ctx, tx, look, province, year, &out); err != nil {
				return err
			}
			return look.err() // a result committed between the two runs
		})
	})
	return out, err
}

// runTriggers is RunTriggers within its transaction.
func (s *Explanations) runTriggers(ctx context.Context, tx Tx, look triggerLookup, province string, year int, out *TriggerOutcome) error {
	// The Ministry may publish the provincial index after the province published its
	// units' indexes: each part runs on what is stored.
	r, err := tx.Result(ctx, year, "province", province)
	switch {
	case errors.Is(err, explanation.ErrNotFound):
	case err != nil:
		return err
	default:
		if *out, err = s.trigger(ctx, tx, look, r); err != nil {
			return err
		}
	}
	units, err := tx.UnitResults(ctx, year)
	if err != nil {
		return err
	}
	for _, u := range units {
		if !explanation.OwnIndexCovered(u.Kind) {
			continue
		}
		r, err := tx.Result(ctx, year, u.Kind, u.UnitID)
		if err != nil {
			return err
		}
		more, err := s.ownIndexTrigger(ctx, tx, look, r, province)
		if err != nil {
			return err
		}
		out.Opened = append(out.Opened, more.Opened...)
		out.Unassigned = append(out.Unassigned, more.Unassigned...)
	}
	return nil
}

// trigger opens the requests a published result calls for: on the provincial index, one
// per fallen node to the head of the owning unit of the matrix (Art. 14.1, 15.1–15.6), with
// the cooperating units invited; on a unit's own index, one per fallen node to the head of
// that unit (Art. 15.7).
func (s *Explanations) trigger(ctx context.Context, tx Tx, look triggerLookup, r explanation.PublishedResult) (TriggerOutcome, error) {
	if r.SubjectKind != "province" {
		return s.ownIndexTrigger(ctx, tx, look, r, "")
	}
	var out TriggerOutcome
	falls := explanation.Falls(r.Year, r.Nodes)
	if len(falls) == 0 {
		return out, nil
	}
	m, err := tx.MatrixInForce(ctx, r.UnitID, r.Year)
	if errors.Is(err, responsibility.ErrNotFound) {
		// Nobody can be asked yet: the results are kept and RunExplanationTriggers asks once
		// the matrix is in.
		for _, f := range falls {
			out.Unassigned = append(out.Unassigned, f.Node.Code)
		}
		if !look.dry() { // said once, by the run that counts
			s.log.WarnContext(ctx, "scores fell but the province has no responsibility matrix",
				slog.String("province", r.UnitID), slog.Int("year", r.Year), slog.Int("falls", len(falls)))
		}
		return out, nil
	}
	if err != nil {
		return out, fmt.Errorf("matrix in force: %w", err)
	}
	for _, f := range falls {
		a, err := m.Resolve(f.Node.Code)
		if errors.Is(err, responsibility.ErrUnassigned) {
			out.Unassigned = append(out.Unassigned, f.Node.Code)
			continue
		}
		if err != nil {
			return out, err
		}
		basis := explanation.BasisScoreFell
		if a.LegalBasis != "" {
			basis += "; phạm vi: " + a.LegalBasis
		}
		if m.Year != r.Year {
			basis += fmt.Sprintf(" (ma trận trách nhiệm năm %d)", m.Year)
		}
		e, inserted, err := s.openScoreFell(ctx, tx, look, r, r.UnitID, f, a.OwnerUnitID, a.CooperatingUnitIDs, basis)
		if err != nil {
			return out, err
		}
		if inserted {
			out.Opened = append(out.Opened, e)
		}
	}
	return out, nil
}

// ownIndexTrigger opens, when the province's matrix in force applies Art. 15.7, one
// request per fallen node of a unit's own index (department, district, … as published by
// the province) to the head of that unit. province is the unit's province when the caller
// knows it, "" to ask the directory.
func (s *Explanations) ownIndexTrigger(ctx context.Context, tx Tx, look triggerLookup, r explanation.PublishedResult, province string) (TriggerOutcome, error) {
	var out TriggerOutcome
	if !explanation.OwnIndexCovered(r.SubjectKind) {
		return out, nil
	}
	falls := explanation.Falls(r.Year, r.Nodes)
	if len(falls) == 0 {
		return out, nil
	}
	if province == "" {
		p, err := look.provinceOf(ctx, r.UnitID)
		if errors.Is(err, ErrUnknownUnit) {
			if !look.dry() { // a dry run also meets units not resolved yet
				s.log.WarnContext(ctx, "own index fell for a unit the directory does not know", slog.String("unit", r.UnitID), slog.Int("year", r.Year))
			}
			return out, nil
		}
		if err != nil {
			return out, fmt.Errorf("province of %s: %w", r.UnitID, err)
		}
		province = p
	} else if p, err := look.provinceOf(ctx, r.UnitID); err != nil || p != province {
		// A re-run for one province passes over the other provinces' units.
		if err != nil && !errors.Is(err, ErrUnknownUnit) {
			return out, fmt.Errorf("province of %s: %w", r.UnitID, err)
		}
		return out, nil
	}
	m, err := tx.MatrixInForce(ctx, province, r.Year)
	if errors.Is(err, responsibility.ErrNotFound) || err == nil && !m.UnitsOwnIndex {
		// Whether Art. 15.7 applies is the province's matrix to say; RunExplanationTriggers
		// asks once it does.
		for _, f := range falls {
			out.Unassigned = append(out.Unassigned, f.Node.Code)
		}
		if !look.dry() {
			s.log.WarnContext(ctx, "own index fell but no matrix in force applies Art. 15.7",
				slog.String("province", province), slog.String("unit", r.UnitID), slog.Int("year", r.Year), slog.Int("falls", len(falls)))
		}
		return out, nil
	}
	if err != nil {
		return out, fmt.Errorf("matrix in force: %w", err)
	}
	basis := explanation.BasisScoreFell + "; phạm vi: " + explanation.BasisOwnIndex
	for _, f := range falls {
		e, inserted, err := s.openScoreFell(ctx, tx, look, r, province, f, r.UnitID, nil, basis)
		if err != nil {
			return out, err
		}
		if inserted {
			out.Opened = append(out.Opened, e)
		}
	}
	return out, nil
}

// openScoreFell opens the request for one fallen node of r to the head of unit on the day
// of publication (Art. 2.4: the acting head when there was one); false when it was open.
func (s *Explanations) openScoreFell(ctx context.Context, tx Tx, look triggerLookup, r explanation.PublishedResult, province string, f explanation.Fall, unit string, coop []string, basis string) (explanation.Explanation, bool, error) {
	published := vntime.DateOf(r.PublishTime)
	head, err := look.headOn(ctx, unit, published.ISO())
	if err != nil && !errors.Is(err, ErrUnknownUnit) {
		return explanation.Explanation{}, false, fmt.Errorf("head of %s on %s: %w", unit, published.ISO(), err)
	}
	if look.dry() {
		return explanation.Explanation{}, false, nil
	}
	title := f.Node.Name
	if title == "" {
		// Results events leave names out (they live in the criteria set).
		title = "Mục " + f.Node.Code
	}
	if r.SubjectKind != "province" {
		title += " (Chỉ số CCHC của đơn vị)"
	}
	now := s.clock()
	e := explanation.Explanation{
		ID: uuid.NewString(), ProvinceUnitID: province, Year: r.Year, Kind: explanation.KindScoreFell,
		IndexUnitID: r.UnitID, IndexKind: r.SubjectKind, Revision: 1,
		NodeCode: f.Node.Code, Title: title, Reason: f.Reason, LegalBasis: basis,
		UnitID: unit, HeadUserID: head.UserID, HeadName: head.Name,
		CooperatingUnitIDs: coop, Score: f.Node.Score, PreviousScore: f.Node.PreviousScore,
		SnapshotID: r.SnapshotID, DueDate: published.AddDays(s.dueDays).ISO(), Status: explanation.StatusRequested,
		CreatedBy: System.UserID, CreateTime: now, UpdateTime: now,
	}
	for _, id := range coop {
		e.Parts = append(e.Parts, explanation.Part{UnitID: id, Revision: 1})
	}
	inserted, err := tx.InsertExplanation(ctx, e, Change{Action: "requested", Actor: System, Reason: f.Reason, Event: EventRequested})
	return e, inserted, err
}

// ManualRequest is a request opened by hand (Art. 12.2, 14.2).
type ManualRequest struct {
	ProvinceUnitID     string
	Year               int
	UnitID             string
	NodeCode           string
	Title              string
	Reason             string
	Ground             string // "art12.2" or "art14.2"
	CooperatingUnitIDs []string
	DueDate            string // ISO, optional
}

// RequestExplanation opens a request by hand. Secretariat only (it prepares what the
// provincial committee asks, Art. 20.2).
func (s *Explanations) RequestExplanation(ctx context.Context, actor Actor, in ManualRequest) (explanation.Explanation, error) {
	if !actor.Has(roleSecretariat) {
		return explanation.Explanation{}, ErrForbidden
	}
	now := s.clock()
	today := vntime.Today(now)
	due := today.AddDays(s.dueDays).ISO()
	var v explanation.ValidationErrors
	if in.DueDate != "" {
		d, err := vntime.ParseISO(in.DueDate)
		switch {
		case err != nil:
			v = append(v, explanation.ValidationError{Field: "due_date", Reason: "ngày không hợp lệ"})
		case d.Before(today):
			v = append(v, explanation.ValidationError{Field: "due_date", Reason: "thời hạn không được trước hôm nay"})
		default:
			due = d.ISO()
		}
	}
	unit := strings.ToLower(in.UnitID)
	head, err := s.heads.HeadOnDate(ctx, unit, today.ISO())
	if errors.Is(err, ErrUnknownUnit) {
		v = append(v, explanation.ValidationError{Field: "unit_id", Reason: "không có đơn vị này trong danh bạ"})
	} else if err != nil {
		return explanation.Explanation{}, fmt.Errorf("head of %s: %w", unit, err)
	}
	if len(v) > 0 {
		return explanation.Explanation{}, v
	}
	basis := explanation.BasisCommittee
	if in.Ground == "art14.2" {
		basis = explanation.BasisConduct
	}
	e := explanation.Explanation{
		ID: uuid.NewString(), ProvinceUnitID: strings.ToLower(in.ProvinceUnitID), Year: in.Year, Kind: explanation.KindManual,
		NodeCode: in.NodeCode, Title: in.Title, Reason: in.Reason, LegalBasis: basis, UnitID: unit,
		HeadUserID: head.UserID, HeadName: head.Name, CooperatingUnitIDs: lower(in.CooperatingUnitIDs),
		DueDate: due, Status: explanation.StatusRequested, CreatedBy: actor.UserID, CreateTime: now, UpdateTime: now, Revision: 1,
	}
	for _, id := range e.CooperatingUnitIDs {
		e.Parts = append(e.Parts, explanation.Part{UnitID: id, Revision: 1})
	}
	err = s.store.InTx(ctx, func(tx Tx) error {
		_, err := tx.InsertExplanation(ctx, e, Change{Action: "requested", Actor: actor, Reason: in.Reason, Event: EventRequested})
		return err
	})
	if err != nil {
		return explanation.Explanation{}, fmt.Errorf("request explanation: %w", err)
	}
	return e, nil
}

func lower(ids []string) []string {
	var out []string
	for _, id := range ids {
		out = append(out, strings.ToLower(id))
	}
	return out
}

// canRead says whether actor may read e: the secretariat and leadership always; the owning
// and cooperating units; everyone once published (Art. 12.2).
func canRead(actor Actor, e explanation.Explanation) bool {
	switch {
	case actor.Has(roleSecretariat, roleLeadership):
		return true
	case !e.PublishTime.IsZero():
		return true
	case actor.UnitID != "" && (actor.UnitID == e.UnitID || slices.Contains(e.CooperatingUnitIDs, actor.UnitID)):
		return true
	}
	return false
}

// visibleTo returns e as actor may see it. Until publication a cooperating unit sees the
// request and its own part, but not the owning unit's draft, the review comments on it, nor
// the other cooperating units' parts: each writes its own part (Art. 21.3) and the owning
// unit compiles them (Art. 12.1); drafts become public only with publication (Art. 12.2).
func visibleTo(actor Actor, e explanation.Explanation) explanation.Explanation {
	if actor.Has(roleSecretariat, roleLeadership) || !e.PublishTime.IsZero() || actor.UnitID == e.UnitID {
		return e
	}
	e.Content = explanation.Content{}
	e.ReviewComment = ""
	var own []explanation.Part
	for _, p := range e.Parts {
		if p.UnitID == actor.UnitID {
			own = append(own, p)
		}
	}
	e.Parts = own
	return e
}

// isOwner says whether actor writes for the owning unit: its head or a delegate of that
// unit (Art. 2.4, 12.1).
func isOwner(actor Actor, e explanation.Explanation) bool {
	return actor.UnitID != "" && actor.UnitID == e.UnitID && actor.Has(roleUnitHead, roleUnitStaff)
}

// GetExplanation returns one explanation the actor may read; explanation.ErrNotFound
// otherwise (not revealing it exists).
func (s *Explanations) GetExplanation(ctx context.Context, actor Actor, id string) (explanation.Explanation, error) {
	if _, err := uuid.Parse(id); err != nil {
		return explanation.Explanation{}, explanation.ErrNotFound
	}
	e, err := s.store.Explanation(ctx, strings.ToLower(id))
	if err != nil {
		return explanation.Explanation{}, err
	}
	if !canRead(actor, e) {
		return explanation.Explanation{}, explanation.ErrNotFound
	}
	return visibleTo(actor, e), nil
}

// ListExplanations lists what the actor may read.
func (s *Explanations) ListExplanations(ctx context.Context, actor Actor, f ExplanationFilter) ([]explanation.Explanation, error) {
	if !actor.Has(roleSecretariat, roleLeadership) {
		if actor.UnitID == "" {
			f.PublishedOnly = true
		} else {
			f.VisibleToUnit = actor.UnitID
		}
	}
	es, err := s.store.ListExplanations(ctx, f)
	for i := range es {
		es[i] = visibleTo(actor, es[i])
	}
	return es, err
}

// change loads id locked, checks who may act and, when etag is given, that the caller read
// the current revision (explanation.ErrStale otherwise: the lock orders concurrent
// writers, the etag keeps the later one from overwriting the earlier unseen), applies fn
// and stores the result with its audit record and event, all in one transaction.
func (s *Explanations) change(ctx context.Context, id, etag string, c Change, allowed func(explanation.Explanation) bool, fn func(*explanation.Explanation) error) (explanation.Explanation, error) {
	if _, err := uuid.Parse(id); err != nil {
		return explanation.Explanation{}, explanation.ErrNotFound
	}
	var out explanation.Explanation
	err := s.store.InTx(ctx, func(tx Tx) error {
		e, err := tx.ExplanationForUpdate(ctx, strings.ToLower(id))
		if err != nil {
			return err
		}
		if !canRead(c.Actor, e) {
			return explanation.ErrNotFound
		}
		if !allowed(e) {
			return ErrForbidden
		}
		if err := e.CheckETag(etag); err != nil {
			return err
		}
		before := e
		before.Parts = slices.Clone(e.Parts)
		if err := fn(&e); err != nil {
			return err
		}
		if err := tx.UpdateExplanation(ctx, before, e, c); err != nil {
			return err
		}
		out = visibleTo(c.Actor, e)
		return nil
	})
	if err != nil {
		return explanation.Explanation{}, fmt.Errorf("%s explanation %s: %w", c.Action, id, err)
	}
	return out, nil
}

// withActionIDs gives every roadmap action without one a stable id, which task tracking
// links its remediation task to.
func withActionIDs(c explanation.Content) explanation.Content {
	for i := range c.Roadmap {
		if c.Roadmap[i].ID == "" {
			c.Roadmap[i].ID = uuid.NewString()
		}
	}
	return c
}

// SaveDraft replaces the owning unit's content (Art. 16). etag, when given, is the
// explanation's as the writer read it.
func (s *Explanations) SaveDraft(ctx context.Context, actor Actor, id, etag string, content explanation.Content) (explanation.Explanation, error) {
	content = withActionIDs(content)
	return s.change(ctx, id, etag, Change{Action: "draft_saved", Actor: actor},
		func(e explanation.Explanation) bool { return isOwner(actor, e) },
		func(e *explanation.Explanation) error { return e.SaveDraft(content, s.clock()) })
}

// SavePart replaces a cooperating unit's part; only that unit writes it (Art. 21.3). etag,
// when given, is the part's as the writer read it.
func (s *Explanations) SavePart(ctx context.Context, actor Actor, id, unitID, etag string, content explanation.Content) (explanation.Explanation, error) {
	unitID = strings.ToLower(unitID)
	content = withActionIDs(content)
	return s.change(ctx, id, "", Change{Action: "part_saved", Actor: actor, Reason: unitID},
		func(explanation.Explanation) bool {
			return actor.UnitID == unitID && actor.Has(roleUnitHead, roleUnitStaff)
		},
		func(e *explanation.Explanation) error {
			return e.SavePart(unitID, content, actor.Name, s.clock(), etag)
		})
}

// Submit sends the explanation to the secretariat; only the owning unit.
func (s *Explanations) Submit(ctx context.Context, actor Actor, id, etag string) (explanation.Explanation, error) {
	return s.change(ctx, id, etag, Change{Action: "submitted", Actor: actor, Event: EventSubmitted},
		func(e explanation.Explanation) bool { return isOwner(actor, e) },
		func(e *explanation.Explanation) error { return e.Submit(s.clock()) })
}

// Return sends a submitted explanation back with comments; secretariat only.
func (s *Explanations) Return(ctx context.Context, actor Actor, id, etag, comment string) (explanation.Explanation, error) {
	return s.change(ctx, id, etag, Change{Action: "returned", Actor: actor, Reason: comment, Event: EventReturned},
		func(explanation.Explanation) bool { return actor.Has(roleSecretariat) },
		func(e *explanation.Explanation) error { return e.Return(comment, s.clock()) })
}

// Conclude records the determined causes and the conclusion; secretariat only. The store
// records ExplanationConcluded and, when the roadmap has actions, RoadmapCommitted.
func (s *Explanations) Conclude(ctx context.Context, actor Actor, id, etag string, causes []explanation.DeterminedCause, conclusion, assigningUnitID string) (explanation.Explanation, error) {
	if assigningUnitID == "" {
		assigningUnitID = actor.UnitID
	}
	return s.change(ctx, id, etag, Change{Action: "concluded", Actor: actor, Reason: conclusion, Event: EventConcluded, AssigningUnitID: strings.ToLower(assigningUnitID)},
		func(explanation.Explanation) bool { return actor.Has(roleSecretariat) },
		func(e *explanation.Explanation) error { return e.Conclude(causes, conclusion, s.clock()) })
}

// Publish makes a concluded explanation public (Art. 12.2); secretariat only. etag, when
// given, is the explanation's as the secretariat read it: what is made public is what it
// read.
func (s *Explanations) Publish(ctx context.Context, actor Actor, id, etag string) (explanation.Explanation, error) {
	return s.change(ctx, id, etag, Change{Action: "published", Actor: actor, Reason: explanation.BasisPublic},
		func(explanation.Explanation) bool { return actor.Has(roleSecretariat) },
		func(e *explanation.Explanation) error { return e.Publish(s.clock()) })
}

// MarkOverdue marks every explanation whose due date passed without a submission, once
// each, recording ExplanationOverdue; it returns how many it marked. Safe to run from
// several replicas: rows are locked and skipped by the others.
func (s *Explanations) MarkOverdue(ctx context.Context) (int, error) {
	now := s.clock()
	today := vntime.Today(now).ISO()
	n := 0
	err := s.store.InTx(ctx, func(tx Tx) error {
		due, err := tx.DueForOverdue(ctx, today, 500)
		if err != nil {
			return err
		}
		for _, e := range due {
			if err := tx.MarkOverdue(ctx, e, now); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}

// RunOverdueScheduler calls MarkOverdue every interval until ctx ends.
func (s *Explanations) RunOverdueScheduler(ctx context.Context, interval time.Duration) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if n, err := s.MarkOverdue(ctx); err != nil && ctx.Err() == nil {
			s.log.ErrorContext(ctx, "mark overdue explanations", slog.Any("error", err))
		} else if n > 0 {
			s.log.InfoContext(ctx, "explanations overdue", slog.Int("count", n))
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// AuditRecord is one state change as kept in the trail.
type AuditRecord struct {
	ID          int64
	Entity      string
	EntityID    string
	Action      string
	ActorUserID string
	ActorName   string
	Time        time.Time
	Before      string // JSON, "" on creation
	After       string
	Reason      string
}

// RemediationTask is one remediation task made from a roadmap action, as task tracking
// reports it.
type RemediationTask struct {
	TaskID   string
	ActionID string
	Title    string
	Status   string // task tracking's occurrence state, e.g. "in_progress", "done"
	DueDate  string // ISO
}

// RemediationTracker reads remediation progress from task tracking (RoadmapCommitted
// turned into tasks, filtered by explanation id).
type RemediationTracker interface {
	Progress(ctx context.Context, explanationID string) ([]RemediationTask, error)
}

// SetRemediationTracker wires task tracking in; without it explanations show no progress.
func (s *Explanations) SetRemediationTracker(t RemediationTracker) { s.tasks = t }

// Remediation returns the progress of a concluded explanation's remediation tasks; nil
// when task tracking is not wired or the explanation has no roadmap. A task tracking
// failure is logged and shown as no progress: it must not hide the explanation itself.
func (s *Explanations) Remediation(ctx context.Context, e explanation.Explanation) []RemediationTask {
	if s.tasks == nil || e.Status != explanation.StatusConcluded {
		return nil
	}
	out, err := s.tasks.Progress(ctx, e.ID)
	if err != nil {
		s.log.WarnContext(ctx, "remediation progress unavailable", slog.String("explanation", e.ID), slog.Any("error", err))
		return nil
	}
	return out
}
