package tracking

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/parindex/platform/services/kit/vntext"
	"github.com/parindex/platform/services/kit/vntime"
)

// ReportingCycle is how often a document asks for progress reports (000 and 004 closing
// paragraphs: quarterly, 6-monthly, yearly). It sets the periods of continuous tasks.
type ReportingCycle string

// Reporting cycles. The values are stored, so they never change.
const (
	// CycleYearly is one report a year; the default.
	CycleYearly ReportingCycle = "yearly"
	// CycleHalfYearly is one report every six months.
	CycleHalfYearly ReportingCycle = "half_yearly"
	// CycleQuarterly is one report every quarter.
	CycleQuarterly ReportingCycle = "quarterly"
)

// Valid reports whether c is a known cycle.
func (c ReportingCycle) Valid() bool {
	switch c {
	case CycleYearly, CycleHalfYearly, CycleQuarterly:
		return true
	}
	return false
}

// PeriodKind is what an occurrence covers.
type PeriodKind string

// Period kinds. The values are stored, so they never change.
const (
	// PeriodWhole is the whole of a one-off task.
	PeriodWhole PeriodKind = "whole"
	// PeriodYear is one year.
	PeriodYear PeriodKind = "year"
	// PeriodHalfYear is one half-year (Number 1 or 2).
	PeriodHalfYear PeriodKind = "half_year"
	// PeriodQuarter is one quarter (Number 1–4).
	PeriodQuarter PeriodKind = "quarter"
)

// Period is what one occurrence of a task covers. A task has at most one occurrence per
// period.
type Period struct {
	Kind   PeriodKind
	Year   int
	Number int
}

// State is where an occurrence stands. Overdue and on time/late are derived (Overdue,
// Outcome), never states: they depend on the clock, and a stored flag would go stale.
type State string

// States. The values are stored, so they never change.
const (
	StateNotStarted         State = "not_started"
	StateReceived           State = "received"
	StateInProgress         State = "in_progress"
	StateCompletionReported State = "completion_reported"
	StateDone               State = "done"
	StateCancelled          State = "cancelled"
	StateRecalled           State = "recalled"
)

// States lists every state, in lifecycle order.
var States = []State{StateNotStarted, StateReceived, StateInProgress, StateCompletionReported, StateDone, StateCancelled, StateRecalled}

// stateNames are the names people read, used in refusal messages.
var stateNames = map[State]string{
	StateNotStarted:         "Chưa tiếp nhận",
	StateReceived:           "Đã tiếp nhận",
	StateInProgress:         "Đang thực hiện",
	StateCompletionReported: "Chờ xác nhận hoàn thành",
	StateDone:               "Đã hoàn thành",
	StateCancelled:          "Đã hủy",
	StateRecalled:           "Đã thu hồi",
}

// Name returns the Vietnamese name of the state.
func (s State) Name() string {
	if n, ok := stateNames[s]; ok {
		return n
	}
	return string(s)
}

// Terminal reports whether nothing more can happen to an occurrence in state s.
func (s State) Terminal() bool {
	return s == StateDone || s == StateCancelled || s == StateRecalled
}

// Action is something done to an occurrence.
type Action string

// Actions. The values are stored in the history, so they never change.
const (
	ActionReceive          Action = "receive"
	ActionStart            Action = "start"
	ActionReport           Action = "report"
	ActionConfirm          Action = "confirm"
	ActionReturn           Action = "return"
	ActionRequestExtension Action = "request_extension"
	ActionApproveExtension Action = "approve_extension"
	ActionRefuseExtension  Action = "refuse_extension"
	ActionRecall           Action = "recall"
	ActionCancel           Action = "cancel"
)

// Actions lists every action.
var Actions = []Action{ActionReceive, ActionStart, ActionReport, ActionConfirm, ActionReturn,
	ActionRequestExtension, ActionApproveExtension, ActionRefuseExtension, ActionRecall, ActionCancel}

// actionNames are the verbs people read in refusal messages.
var actionNames = map[Action]string{
	ActionReceive:          "tiếp nhận",
	ActionStart:            "bắt đầu thực hiện",
	ActionReport:           "báo cáo hoàn thành",
	ActionConfirm:          "xác nhận hoàn thành",
	ActionReturn:           "trả lại để làm tiếp",
	ActionRequestExtension: "đề nghị gia hạn",
	ActionApproveExtension: "duyệt gia hạn",
	ActionRefuseExtension:  "từ chối gia hạn",
	ActionRecall:           "thu hồi",
	ActionCancel:           "hủy",
}

// Side is who, in a task, performs an action.
type Side int

const (
	// SideLead is the lead unit (its head and staff, or its agency system).
	SideLead Side = iota + 1
	// SideAssigner is the assigning side: the secretariat, or the issuer's head and the
	// provincial leadership.
	SideAssigner
)

// rule is one row of the state machine: who performs the action, from which states, and
// to which state (empty To: the state does not change).
type rule struct {
	side Side
	from []State
	to   State
}

// openStates are the states in which work is still expected.
var openStates = []State{StateNotStarted, StateReceived, StateInProgress, StateCompletionReported}

// rules is the whole lifecycle (issue 3, item 3): not started → received → in progress →
// completion reported → done, or returned (back to in progress); extensions asked while
// work is open and not yet reported; recall and cancel of anything not finished.
var rules = map[Action]rule{
	ActionReceive: {side: SideLead, from: []State{StateNotStarted}, to: StateReceived},
	ActionStart:   {side: SideLead, from: []State{StateReceived}, to: StateInProgress},
	ActionReport:  {side: SideLead, from: []State{StateInProgress}, to: StateCompletionReported},
	ActionConfirm: {side: SideAssigner, from: []State{StateCompletionReported}, to: StateDone},
	ActionReturn:  {side: SideAssigner, from: []State{StateCompletionReported}, to: StateInProgress},
	// Once completion is reported the deadline question is settled by the report's time,
	// so extensions are asked only before that.
	ActionRequestExtension: {side: SideLead, from: []State{StateNotStarted, StateReceived, StateInProgress}},
	ActionApproveExtension: {side: SideAssigner, from: openStates},
	ActionRefuseExtension:  {side: SideAssigner, from: openStates},
	ActionRecall:           {side: SideAssigner, from: openStates, to: StateRecalled},
	ActionCancel:           {side: SideAssigner, from: openStates, to: StateCancelled},
}

// Allowed reports whether action may be applied in state s (ignoring who asks and the
// extension conditions).
func Allowed(action Action, s State) bool {
	r, ok := rules[action]
	if !ok {
		return false
	}
	for _, f := range r.from {
		if f == s {
			return true
		}
	}
	return false
}

// ActionSide returns who performs action.
func ActionSide(action Action) Side { return rules[action].side }

// DefaultMaxExtensions is how many extensions an occurrence may be granted when the
// configuration does not say (the provincial systems in DOMAIN.md allow at most 2).
const DefaultMaxExtensions = 2

// Actor is who did something: the caller's token subject, directory user and unit.
type Actor struct {
	Subject, UserID, UnitID, Name string
}

// Relation is how a caller stands to a task. A caller with no relation may not learn that
// the task exists.
type Relation struct {
	// Lead: the caller's unit leads the task.
	Lead bool
	// Cooperating: the caller's unit cooperates on it.
	Cooperating bool
	// Assigner: the caller is on the assigning side (secretariat, leadership, issuer's head).
	Assigner bool
	// Observer: the caller reads everything but acts on nothing (platform services).
	Observer bool
}

// CanRead reports whether the caller may see the task at all.
func (r Relation) CanRead() bool { return r.Lead || r.Cooperating || r.Assigner || r.Observer }

// Is reports whether the caller is on side.
func (r Relation) Is(side Side) bool {
	switch side {
	case SideLead:
		return r.Lead
	case SideAssigner:
		return r.Assigner
	}
	return false
}

// TaskScope is what decides a caller's relation to a task.
type TaskScope struct {
	TaskID, TaskCode, DocumentID, IssuerUnitID string
	LeadUnitIDs, CooperatingUnitIDs            []string
}

// ExtensionDecision is where an extension request stands.
type ExtensionDecision string

// Decisions. The values are stored, so they never change.
const (
	ExtensionPending  ExtensionDecision = "pending"
	ExtensionApproved ExtensionDecision = "approved"
	ExtensionRefused  ExtensionDecision = "refused"
	// ExtensionLapsed closes a request left undecided when the occurrence finished.
	ExtensionLapsed ExtensionDecision = "lapsed"
)

// Extension is a request for a later deadline (gia hạn).
type Extension struct {
	ID, OccurrenceID string
	Reason           string
	ProposedDue      vntime.Date
	PreviousDue      time.Time
	RequestedBy      Actor
	RequestTime      time.Time
	Decision         ExtensionDecision
	DecisionReason   string
	DecidedBy        Actor
	DecideTime       time.Time
}

// Occurrence is one tracked instance of a task.
type Occurrence struct {
	ID         string
	TaskID     string
	DocumentID string
	Period     Period
	// Due is the deadline in force; zero for a conditional deadline.
	Due time.Time
	// OriginalDue is the deadline as first assigned; extensions never change it.
	OriginalDue        time.Time
	State              State
	ExtensionsApproved int
	// Pending is the extension request waiting for a decision, or nil.
	Pending        *Extension
	CompletionNote string
	// Times of the lifecycle steps; zero until they happen. ReportTime is the last report.
	ReceiveTime, StartTime, ReportTime, ConfirmTime, CloseTime time.Time
	CreateTime, UpdateTime                                     time.Time
	// Scope is the task the occurrence belongs to, loaded with it.
	Scope TaskScope
}

// Overdue reports whether the occurrence is open and past its deadline at now. Work reported
// complete by the deadline and waiting for confirmation is not overdue: the unit did its part
// and the confirmation delay is not theirs (003 item 9). The store's overdue filter mirrors
// this rule.
func (o Occurrence) Overdue(now time.Time) bool {
	if o.Due.IsZero() {
		return false
	}
	switch o.State {
	case StateNotStarted, StateReceived, StateInProgress:
		return now.After(o.Due)
	case StateCompletionReported:
		return o.ReportTime.After(o.Due)
	}
	return false
}

// Outcome is the Government Office's split of task statistics.
type Outcome string

// Outcomes.
const (
	OutcomeOpenWithinDeadline Outcome = "open_within_deadline"
	OutcomeOpenOverdue        Outcome = "open_overdue"
	OutcomeDoneOnTime         Outcome = "done_on_time"
	OutcomeDoneLate           Outcome = "done_late"
	OutcomeClosed             Outcome = "closed"
)

// Outcome derives the split at now. Done on time or late compares the deadline in force
// with the time completion was last reported, not confirmed: the secretariat's confirmation
// delay must not make a unit late (003 item 9). A conditional deadline is never missed.
func (o Occurrence) Outcome(now time.Time) Outcome {
	switch o.State {
	case StateDone:
		if !o.Due.IsZero() && o.ReportTime.After(o.Due) {
			return OutcomeDoneLate
		}
		return OutcomeDoneOnTime
	case StateCancelled, StateRecalled:
		return OutcomeClosed
	}
	if o.Overdue(now) {
		return OutcomeOpenOverdue
	}
	return OutcomeOpenWithinDeadline
}

// Command is one request to change an occurrence.
type Command struct {
	Action Action
	// By is who asks; Relation is how they stand to the task.
	By       Actor
	Relation Relation
	// Reason is why (required to return, recall, cancel, request or refuse an extension), or
	// the completion note for ActionReport (required).
	Reason string
	// ProposedDue is the day asked for, for ActionRequestExtension.
	ProposedDue vntime.Date
	// MaxExtensions is the configured limit of approved extensions per occurrence.
	MaxExtensions int
	// Now is the time of the change; NewID makes ids (extension requests).
	Now   time.Time
	NewID func() string
}

// Change is what applying a command did, for the history, the events and the store.
type Change struct {
	Action   Action
	From, To State
	By       Actor
	Reason   string
	Time     time.Time
	// Extension is the request created or decided, for extension actions; Lapsed is a
	// request closed undecided by this change.
	Extension *Extension
	Lapsed    *Extension
}

// StateChanged reports whether the change moved the occurrence to another state.
func (c Change) StateChanged() bool { return c.From != c.To }

const maxReasonLen = 2000

// Apply checks cmd against the lifecycle and, when allowed, changes o and returns what
// changed. The checks run in this order: the caller must be on the action's side
// (ErrForbidden), the action allowed in the current state (ErrFailedPrecondition naming it),
// the text and dates well-formed (ValidationErrors), then the extension rules.
func (o *Occurrence) Apply(cmd Command) (Change, error) {
	r, ok := rules[cmd.Action]
	if !ok {
		return Change{}, fmt.Errorf("tracking: unknown action %q", cmd.Action)
	}
	if !cmd.Relation.Is(r.side) {
		return Change{}, forbidden(cmd.Action, r.side)
	}
	if !Allowed(cmd.Action, o.State) {
		return Change{}, &Error{Kind: ErrFailedPrecondition, Message: fmt.Sprintf(
			"Không thể %s khi nhiệm vụ đang ở trạng thái «%s»", actionNames[cmd.Action], o.State.Name())}
	}
	reason := strings.TrimSpace(vntext.NFC(cmd.Reason))
	var v ValidationErrors
	switch cmd.Action {
	case ActionReport:
		checkText(&v, "note", reason, maxContentLen, "Cần ghi nội dung đã thực hiện")
	case ActionReturn, ActionRecall, ActionCancel, ActionRequestExtension, ActionRefuseExtension:
		checkText(&v, "reason", reason, maxReasonLen, "Cần ghi lý do")
	default:
		if utf8.RuneCountInString(reason) > maxReasonLen {
			v.Add("reason", fmt.Sprintf("Dài tối đa %d ký tự", maxReasonLen))
		}
	}
	if cmd.Action == ActionRequestExtension && cmd.ProposedDue.IsZero() {
		v.Add("proposed_due_date", "Cần ghi thời hạn đề nghị")
	}
	if err := v.Err(); err != nil {
		return Change{}, err
	}

	c := Change{Action: cmd.Action, From: o.State, To: o.State, By: cmd.By, Reason: reason, Time: cmd.Now}
	switch cmd.Action {
	case ActionReceive:
		o.ReceiveTime = cmd.Now
	case ActionStart:
		o.StartTime = cmd.Now
	case ActionReport:
		o.ReportTime = cmd.Now
		o.CompletionNote = reason
	case ActionConfirm:
		o.ConfirmTime = cmd.Now
	case ActionReturn:
		// The report did not stand; a later report is what counts for on time or late.
	case ActionRecall, ActionCancel:
		o.CloseTime = cmd.Now
	case ActionRequestExtension:
		ext, err := o.requestExtension(cmd, reason)
		if err != nil {
			return Change{}, err
		}
		c.Extension = ext
	case ActionApproveExtension, ActionRefuseExtension:
		ext, err := o.decideExtension(cmd, reason)
		if err != nil {
			return Change{}, err
		}
		c.Extension = ext
	}
	if r.to != "" {
		o.State = r.to
		c.To = r.to
	}
	// A request still waiting when the work finishes can no longer be decided usefully.
	if o.State.Terminal() && o.Pending != nil {
		lapsed := *o.Pending
		lapsed.Decision = ExtensionLapsed
		lapsed.DecideTime = cmd.Now
		c.Lapsed = &lapsed
		o.Pending = nil
	}
	o.UpdateTime = cmd.Now
	return c, nil
}

func (o *Occurrence) requestExtension(cmd Command, reason string) (*Extension, error) {
	switch {
	case o.Due.IsZero():
		return nil, &Error{Kind: ErrFailedPrecondition, Message: "Nhiệm vụ có thời hạn theo điều kiện, không có ngày để gia hạn"}
	case o.Pending != nil:
		return nil, &Error{Kind: ErrFailedPrecondition, Message: "Đã có một đề nghị gia hạn đang chờ quyết định"}
	case o.ExtensionsApproved >= cmd.MaxExtensions:
		return nil, extensionLimit(cmd.MaxExtensions)
	case !endOf(cmd.ProposedDue).After(o.Due):
		return nil, ValidationErrors{{Field: "proposed_due_date", Reason: fmt.Sprintf(
			"Thời hạn đề nghị phải sau thời hạn hiện tại (%s)", vntime.DateOf(o.Due).VN())}}
	}
	ext := &Extension{
		ID: cmd.NewID(), OccurrenceID: o.ID, Reason: reason, ProposedDue: cmd.ProposedDue,
		PreviousDue: o.Due, RequestedBy: cmd.By, RequestTime: cmd.Now, Decision: ExtensionPending,
	}
	o.Pending = ext
	return ext, nil
}

func (o *Occurrence) decideExtension(cmd Command, reason string) (*Extension, error) {
	if o.Pending == nil {
		return nil, &Error{Kind: ErrFailedPrecondition, Message: "Không có đề nghị gia hạn nào đang chờ quyết định"}
	}
	ext := *o.Pending
	ext.DecisionReason, ext.DecidedBy, ext.DecideTime = reason, cmd.By, cmd.Now
	if cmd.Action == ActionRefuseExtension {
		ext.Decision = ExtensionRefused
	} else {
		// The limit is checked again: the configuration may have been lowered since the
		// request was made.
		if o.ExtensionsApproved >= cmd.MaxExtensions {
			return nil, extensionLimit(cmd.MaxExtensions)
		}
		ext.Decision = ExtensionApproved
		o.Due = endOf(ext.ProposedDue)
		o.ExtensionsApproved++
	}
	o.Pending = nil
	return &ext, nil
}

func extensionLimit(limit int) error {
	return &Error{Kind: ErrFailedPrecondition, Message: fmt.Sprintf("Đã đạt số lần gia hạn tối đa (%d lần)", limit)}
}

func forbidden(action Action, side Side) error {
	who := "cơ quan chủ trì"
	if side == SideAssigner {
		who = "cơ quan giao nhiệm vụ (Sở Nội vụ hoặc lãnh đạo cơ quan ban hành)"
	}
	return &Error{Kind: ErrForbidden, Message: fmt.Sprintf("Chỉ %s mới được %s", who, actionNames[action])}
}

// endOf returns the last instant of local day d that PostgreSQL can hold (it keeps
// microseconds), so a deadline reads back equal to the one computed.
func endOf(d vntime.Date) time.Time {
	return d.EndOfDay().Truncate(time.Microsecond)
}

// PlanOccurrences returns the occurrences a task of d must have, in period order, not yet
// given ids: one for a one-off task (date, quarter, year, conditional); one per year of the
// document's period for a yearly task, due 31/12; one per reporting period for a continuous
// task.
//
// Continuous tasks ("Thường xuyên") have no end, but the documents that assign them ask for
// progress reports on a cycle (000 and 004 closing paragraphs), so each reporting period is
// when the assigning side can judge whether the unit kept the work up: the period follows
// the document's reporting cycle. Yearly is the default because every PAR plan at least
// reports yearly (the PAR index is scored per year), so yearly never invents deadlines the
// document did not set.
func PlanOccurrences(d Document, t Task) []Occurrence {
	one := func(p Period, due time.Time) Occurrence {
		return Occurrence{TaskID: t.ID, DocumentID: d.ID, Period: p, Due: due, OriginalDue: due, State: StateNotStarted}
	}
	var out []Occurrence
	switch t.Deadline.Kind {
	case TimingYearly:
		for y := d.PeriodStartYear; y <= d.PeriodEndYear; y++ {
			out = append(out, one(Period{Kind: PeriodYear, Year: y}, endOf(vntime.YearEnd(y))))
		}
	case TimingContinuous:
		for y := d.PeriodStartYear; y <= d.PeriodEndYear; y++ {
			switch d.ReportingCycle {
			case CycleQuarterly:
				for q := 1; q <= 4; q++ {
					out = append(out, one(Period{Kind: PeriodQuarter, Year: y, Number: q}, endOf(vntime.QuarterEnd(y, q))))
				}
			case CycleHalfYearly:
				for h := 1; h <= 2; h++ {
					out = append(out, one(Period{Kind: PeriodHalfYear, Year: y, Number: h}, endOf(vntime.QuarterEnd(y, 2*h))))
				}
			default:
				out = append(out, one(Period{Kind: PeriodYear, Year: y}, endOf(vntime.YearEnd(y))))
			}
		}
	default:
		due, _ := t.Deadline.Due() // zero for a conditional deadline
		out = append(out, one(Period{Kind: PeriodWhole}, due.Truncate(time.Microsecond)))
	}
	return out
}

// NewOccurrences returns the occurrences of every task of a new document, with ids and
// creation times.
func NewOccurrences(d Document, now time.Time, newID func() string) []Occurrence {
	var out []Occurrence
	for _, t := range d.Tasks {
		for _, o := range PlanOccurrences(d, t) {
			o.ID = newID()
			o.CreateTime, o.UpdateTime = now, now
			out = append(out, o)
		}
	}
	return out
}
