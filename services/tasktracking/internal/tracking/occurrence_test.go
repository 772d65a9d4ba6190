package tracking_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/parindex/platform/services/kit/vntime"
	"github.com/parindex/platform/services/tasktracking/internal/tracking"
)

var (
	leadActor     = tracking.Actor{Subject: "s-lead", UserID: "u-lead", UnitID: "stc"}
	assignerActor = tracking.Actor{Subject: "s-snv", UserID: "u-snv", UnitID: "snv"}
	lead          = tracking.Relation{Lead: true}
	assigner      = tracking.Relation{Assigner: true}
	due2021       = vntime.YearEnd(2021).EndOfDay().Truncate(time.Microsecond)
	clock         = time.Date(2021, 6, 1, 3, 0, 0, 0, time.UTC)
)

// allowedTable is the lifecycle as the issue states it, written out independently of the
// package's rules: action → states it may be applied in → state after ("" = unchanged).
var allowedTable = map[tracking.Action]map[tracking.State]tracking.State{
	tracking.ActionReceive: {tracking.StateNotStarted: tracking.StateReceived},
	tracking.ActionStart:   {tracking.StateReceived: tracking.StateInProgress},
	tracking.ActionReport:  {tracking.StateInProgress: tracking.StateCompletionReported},
	tracking.ActionConfirm: {tracking.StateCompletionReported: tracking.StateDone},
	tracking.ActionReturn:  {tracking.StateCompletionReported: tracking.StateInProgress},
	tracking.ActionRequestExtension: {
		tracking.StateNotStarted: "", tracking.StateReceived: "", tracking.StateInProgress: "",
	},
	tracking.ActionApproveExtension: {
		tracking.StateNotStarted: "", tracking.StateReceived: "", tracking.StateInProgress: "", tracking.StateCompletionReported: "",
	},
	tracking.ActionRefuseExtension: {
		tracking.StateNotStarted: "", tracking.StateReceived: "", tracking.StateInProgress: "", tracking.StateCompletionReported: "",
	},
	tracking.ActionRecall: {
		tracking.StateNotStarted: tracking.StateRecalled, tracking.StateReceived: tracking.StateRecalled,
		tracking.StateInProgress: tracking.StateRecalled, tracking.StateCompletionReported: tracking.StateRecalled,
	},
	tracking.ActionCancel: {
		tracking.StateNotStarted: tracking.StateCancelled, tracking.StateReceived: tracking.StateCancelled,
		tracking.StateInProgress: tracking.StateCancelled, tracking.StateCompletionReported: tracking.StateCancelled,
	},
}

var sides = map[tracking.Action]tracking.Relation{
	tracking.ActionReceive: lead, tracking.ActionStart: lead, tracking.ActionReport: lead,
	tracking.ActionRequestExtension: lead,
	tracking.ActionConfirm:          assigner, tracking.ActionReturn: assigner,
	tracking.ActionApproveExtension: assigner, tracking.ActionRefuseExtension: assigner,
	tracking.ActionRecall: assigner, tracking.ActionCancel: assigner,
}

func newOcc(state tracking.State) tracking.Occurrence {
	return tracking.Occurrence{ID: "o1", TaskID: "t1", State: state, Due: due2021, OriginalDue: due2021}
}

// command returns a well-formed command for action by its proper side.
func command(action tracking.Action) tracking.Command {
	by := leadActor
	if sides[action] == assigner {
		by = assignerActor
	}
	n := 0
	return tracking.Command{
		Action: action, By: by, Relation: sides[action], Reason: "Lý do " + string(action),
		ProposedDue: vntime.Date{Year: 2022, Month: 3, Day: 31}, MaxExtensions: 2, Now: clock,
		NewID: func() string { n++; return fmt.Sprintf("ext-%d", n) },
	}
}

// TestEveryTransition applies every action in every state: allowed pairs move to the state
// the issue names and record it; every other pair is refused with FailedPrecondition
// naming the current state, and leaves the occurrence untouched.
func TestEveryTransition(t *testing.T) {
	for _, action := range tracking.Actions {
		for _, state := range tracking.States {
			t.Run(fmt.Sprintf("%s from %s", action, state), func(t *testing.T) {
				o := newOcc(state)
				if action == tracking.ActionApproveExtension || action == tracking.ActionRefuseExtension {
					o.Pending = &tracking.Extension{ID: "e0", ProposedDue: vntime.Date{Year: 2022, Month: 3, Day: 31}, Decision: tracking.ExtensionPending}
				}
				before := o
				c, err := o.Apply(command(action))
				to, ok := allowedTable[action][state]
				if !ok {
					var de *tracking.Error
					if !errors.As(err, &de) || !errors.Is(err, tracking.ErrFailedPrecondition) {
						t.Fatalf("Apply = %v, want FailedPrecondition", err)
					}
					if want := "«" + state.Name() + "»"; !strings.Contains(de.Message, want) {
						t.Errorf("message %q does not name the state %s", de.Message, want)
					}
					if diff := cmp.Diff(before, o); diff != "" {
						t.Errorf("refused change altered the occurrence:\n%s", diff)
					}
					return
				}
				if err != nil {
					t.Fatalf("Apply: %v", err)
				}
				if to == "" {
					to = state
				}
				want := tracking.Change{Action: action, From: state, To: to, By: command(action).By,
					Reason: "Lý do " + string(action), Time: clock, Extension: c.Extension, Lapsed: c.Lapsed}
				if diff := cmp.Diff(want, c); diff != "" {
					t.Errorf("change (-want +got):\n%s", diff)
				}
				if o.State != to || !o.UpdateTime.Equal(clock) {
					t.Errorf("state %s at %v, want %s at %v", o.State, o.UpdateTime, to, clock)
				}
			})
		}
	}
}

// TestWrongSide: every action asked by the other side, or by a cooperating unit or an
// observer, is forbidden, whatever the state.
func TestWrongSide(t *testing.T) {
	others := map[string]tracking.Relation{
		"cooperating": {Cooperating: true},
		"observer":    {Observer: true},
	}
	for _, action := range tracking.Actions {
		rels := map[string]tracking.Relation{"cooperating": others["cooperating"], "observer": others["observer"]}
		if sides[action] == lead {
			rels["assigner"] = assigner
		} else {
			rels["lead"] = lead
		}
		for name, rel := range rels {
			t.Run(string(action)+" by "+name, func(t *testing.T) {
				o := newOcc(tracking.StateInProgress)
				cmd := command(action)
				cmd.Relation = rel
				_, err := o.Apply(cmd)
				if !errors.Is(err, tracking.ErrForbidden) {
					t.Errorf("Apply = %v, want ErrForbidden", err)
				}
			})
		}
	}
}

func TestReasonsRequired(t *testing.T) {
	for _, action := range []tracking.Action{tracking.ActionReport, tracking.ActionReturn, tracking.ActionRecall,
		tracking.ActionCancel, tracking.ActionRequestExtension, tracking.ActionRefuseExtension} {
		t.Run(string(action), func(t *testing.T) {
			var from tracking.State
			for s := range allowedTable[action] {
				from = s
				break
			}
			o := newOcc(from)
			o.Pending = &tracking.Extension{ID: "e0", Decision: tracking.ExtensionPending}
			if action == tracking.ActionRequestExtension {
				o.Pending = nil
			}
			cmd := command(action)
			cmd.Reason = "   "
			if _, err := o.Apply(cmd); err == nil {
				t.Fatal("accepted without a reason")
			} else if _, ok := tracking.AsValidation(err); !ok {
				t.Errorf("Apply = %v, want a validation error", err)
			}
		})
	}
}

// TestExtensions follows requests, approvals and refusals up to the limit.
func TestExtensions(t *testing.T) {
	o := newOcc(tracking.StateInProgress)
	req := func(day vntime.Date) error {
		cmd := command(tracking.ActionRequestExtension)
		cmd.ProposedDue = day
		_, err := o.Apply(cmd)
		return err
	}
	decide := func(approve bool) (tracking.Change, error) {
		cmd := command(tracking.ActionRefuseExtension)
		if approve {
			cmd = command(tracking.ActionApproveExtension)
		}
		return o.Apply(cmd)
	}

	if _, err := decide(true); !errors.Is(err, tracking.ErrFailedPrecondition) {
		t.Errorf("decide with nothing pending = %v, want FailedPrecondition", err)
	}
	if err := req(vntime.Date{Year: 2021, Month: 12, Day: 31}); err == nil {
		t.Error("request for the current deadline accepted")
	} else if _, ok := tracking.AsValidation(err); !ok {
		t.Errorf("request for the current deadline = %v, want validation", err)
	}
	if err := req(vntime.Date{Year: 2022, Month: 3, Day: 31}); err != nil {
		t.Fatal(err)
	}
	if err := req(vntime.Date{Year: 2022, Month: 4, Day: 30}); !errors.Is(err, tracking.ErrFailedPrecondition) {
		t.Errorf("second pending request = %v, want FailedPrecondition", err)
	}
	c, err := decide(true)
	if err != nil {
		t.Fatal(err)
	}
	if c.Extension.Decision != tracking.ExtensionApproved || !c.Extension.PreviousDue.Equal(due2021) {
		t.Errorf("decided %+v", c.Extension)
	}
	want := vntime.Date{Year: 2022, Month: 3, Day: 31}.EndOfDay().Truncate(time.Microsecond)
	if !o.Due.Equal(want) || !o.OriginalDue.Equal(due2021) || o.ExtensionsApproved != 1 || o.Pending != nil {
		t.Errorf("after approval due %v original %v approved %d pending %v", o.Due, o.OriginalDue, o.ExtensionsApproved, o.Pending)
	}
	// A refusal does not count towards the limit.
	if err := req(vntime.Date{Year: 2022, Month: 6, Day: 30}); err != nil {
		t.Fatal(err)
	}
	if c, err := decide(false); err != nil || c.Extension.Decision != tracking.ExtensionRefused || !o.Due.Equal(want) {
		t.Fatalf("refusal = %+v, %v; due %v", c.Extension, err, o.Due)
	}
	if err := req(vntime.Date{Year: 2022, Month: 6, Day: 30}); err != nil {
		t.Fatal(err)
	}
	if _, err := decide(true); err != nil {
		t.Fatal(err)
	}
	if err := req(vntime.Date{Year: 2022, Month: 9, Day: 30}); !errors.Is(err, tracking.ErrFailedPrecondition) {
		t.Errorf("third request after two approvals = %v, want FailedPrecondition (limit)", err)
	}

	// The limit is checked again at approval, and lowered limits hold.
	o2 := newOcc(tracking.StateReceived)
	o2.Pending = &tracking.Extension{ID: "e", ProposedDue: vntime.Date{Year: 2022, Month: 1, Day: 31}, Decision: tracking.ExtensionPending}
	o2.ExtensionsApproved = 1
	cmd := command(tracking.ActionApproveExtension)
	cmd.MaxExtensions = 1
	if _, err := o2.Apply(cmd); !errors.Is(err, tracking.ErrFailedPrecondition) {
		t.Errorf("approval over a lowered limit = %v, want FailedPrecondition", err)
	}

	// A conditional deadline cannot be extended.
	o3 := newOcc(tracking.StateReceived)
	o3.Due, o3.OriginalDue = time.Time{}, time.Time{}
	if _, err := o3.Apply(command(tracking.ActionRequestExtension)); !errors.Is(err, tracking.ErrFailedPrecondition) {
		t.Errorf("extension of a conditional deadline = %v, want FailedPrecondition", err)
	}

	// A pending request lapses when the occurrence is cancelled.
	o4 := newOcc(tracking.StateInProgress)
	if _, err := o4.Apply(command(tracking.ActionRequestExtension)); err != nil {
		t.Fatal(err)
	}
	c, err = o4.Apply(command(tracking.ActionCancel))
	if err != nil || c.Lapsed == nil || c.Lapsed.Decision != tracking.ExtensionLapsed || o4.Pending != nil {
		t.Errorf("cancel with a pending request: %+v %v", c, err)
	}
}

func TestDerivedOutcome(t *testing.T) {
	before := due2021.Add(-time.Hour)
	after := due2021.Add(time.Second)
	tests := []struct {
		name        string
		state       tracking.State
		due         time.Time
		report      time.Time
		now         time.Time
		overdue     bool
		wantOutcome tracking.Outcome
	}{
		{"not started before deadline", tracking.StateNotStarted, due2021, time.Time{}, before, false, tracking.OutcomeOpenWithinDeadline},
		{"not started at the last instant", tracking.StateNotStarted, due2021, time.Time{}, due2021, false, tracking.OutcomeOpenWithinDeadline},
		{"not started after deadline", tracking.StateNotStarted, due2021, time.Time{}, after, true, tracking.OutcomeOpenOverdue},
		{"received after deadline", tracking.StateReceived, due2021, time.Time{}, after, true, tracking.OutcomeOpenOverdue},
		{"in progress after deadline", tracking.StateInProgress, due2021, time.Time{}, after, true, tracking.OutcomeOpenOverdue},
		{"reported on time, confirmation pending after deadline", tracking.StateCompletionReported, due2021, before, after, false, tracking.OutcomeOpenWithinDeadline},
		{"reported late", tracking.StateCompletionReported, due2021, after, after, true, tracking.OutcomeOpenOverdue},
		{"done on time, confirmed late", tracking.StateDone, due2021, before, after.Add(48 * time.Hour), false, tracking.OutcomeDoneOnTime},
		{"done late", tracking.StateDone, due2021, after, after, false, tracking.OutcomeDoneLate},
		{"conditional never overdue", tracking.StateInProgress, time.Time{}, time.Time{}, after.AddDate(10, 0, 0), false, tracking.OutcomeOpenWithinDeadline},
		{"conditional done", tracking.StateDone, time.Time{}, after, after, false, tracking.OutcomeDoneOnTime},
		{"cancelled after deadline", tracking.StateCancelled, due2021, time.Time{}, after, false, tracking.OutcomeClosed},
		{"recalled", tracking.StateRecalled, due2021, time.Time{}, after, false, tracking.OutcomeClosed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := tracking.Occurrence{State: tt.state, Due: tt.due, ReportTime: tt.report}
			if got := o.Overdue(tt.now); got != tt.overdue {
				t.Errorf("Overdue = %v, want %v", got, tt.overdue)
			}
			if got := o.Outcome(tt.now); got != tt.wantOutcome {
				t.Errorf("Outcome = %v, want %v", got, tt.wantOutcome)
			}
		})
	}
}

// TestOnTimeAfterExtension: a report after the original deadline but before the extended
// one is on time.
func TestOnTimeAfterExtension(t *testing.T) {
	o := newOcc(tracking.StateInProgress)
	for _, a := range []tracking.Action{tracking.ActionRequestExtension, tracking.ActionApproveExtension} {
		if _, err := o.Apply(command(a)); err != nil {
			t.Fatal(err)
		}
	}
	for _, step := range []struct {
		a   tracking.Action
		now time.Time
	}{{tracking.ActionReport, due2021.AddDate(0, 1, 0)}, {tracking.ActionConfirm, due2021.AddDate(0, 6, 0)}} {
		cmd := command(step.a)
		cmd.Now = step.now
		if _, err := o.Apply(cmd); err != nil {
			t.Fatal(err)
		}
	}
	if got := o.Outcome(due2021.AddDate(1, 0, 0)); got != tracking.OutcomeDoneOnTime {
		t.Errorf("Outcome = %v, want done on time", got)
	}
}

func TestPlanOccurrences(t *testing.T) {
	doc := func(cycle tracking.ReportingCycle) tracking.Document {
		return tracking.Document{ID: "d", PeriodStartYear: 2021, PeriodEndYear: 2022, ReportingCycle: cycle}
	}
	end := func(y int, m time.Month, d int) time.Time {
		return vntime.Date{Year: y, Month: m, Day: d}.EndOfDay().Truncate(time.Microsecond)
	}
	type occ struct {
		P   tracking.Period
		Due time.Time
	}
	tests := []struct {
		name     string
		cycle    tracking.ReportingCycle
		deadline tracking.Timing
		want     []occ
	}{
		{"date", "", tracking.Timing{Kind: tracking.TimingDate, Date: vntime.Date{Year: 2018, Month: 11, Day: 30}},
			[]occ{{tracking.Period{Kind: tracking.PeriodWhole}, end(2018, 11, 30)}}},
		{"quarter", "", tracking.Timing{Kind: tracking.TimingQuarter, Quarter: 4, Year: 2018},
			[]occ{{tracking.Period{Kind: tracking.PeriodWhole}, end(2018, 12, 31)}}},
		{"year range", "", tracking.Timing{Kind: tracking.TimingYear, Year: 2021, EndYear: 2025},
			[]occ{{tracking.Period{Kind: tracking.PeriodWhole}, end(2025, 12, 31)}}},
		{"conditional", "", tracking.Timing{Kind: tracking.TimingConditional, Text: "Theo hướng dẫn của Bộ Nội vụ"},
			[]occ{{tracking.Period{Kind: tracking.PeriodWhole}, time.Time{}}}},
		{"yearly", tracking.CycleQuarterly, tracking.Timing{Kind: tracking.TimingYearly},
			[]occ{{tracking.Period{Kind: tracking.PeriodYear, Year: 2021}, end(2021, 12, 31)}, {tracking.Period{Kind: tracking.PeriodYear, Year: 2022}, end(2022, 12, 31)}}},
		{"continuous, default cycle", "", tracking.Timing{Kind: tracking.TimingContinuous},
			[]occ{{tracking.Period{Kind: tracking.PeriodYear, Year: 2021}, end(2021, 12, 31)}, {tracking.Period{Kind: tracking.PeriodYear, Year: 2022}, end(2022, 12, 31)}}},
		{"continuous, half-yearly", tracking.CycleHalfYearly, tracking.Timing{Kind: tracking.TimingContinuous},
			[]occ{
				{tracking.Period{Kind: tracking.PeriodHalfYear, Year: 2021, Number: 1}, end(2021, 6, 30)},
				{tracking.Period{Kind: tracking.PeriodHalfYear, Year: 2021, Number: 2}, end(2021, 12, 31)},
				{tracking.Period{Kind: tracking.PeriodHalfYear, Year: 2022, Number: 1}, end(2022, 6, 30)},
				{tracking.Period{Kind: tracking.PeriodHalfYear, Year: 2022, Number: 2}, end(2022, 12, 31)},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []occ
			for _, o := range tracking.PlanOccurrences(doc(tt.cycle), tracking.Task{ID: "t", Deadline: tt.deadline}) {
				if o.State != tracking.StateNotStarted || !o.Due.Equal(o.OriginalDue) || o.TaskID != "t" || o.DocumentID != "d" {
					t.Errorf("occurrence %+v", o)
				}
				got = append(got, occ{o.Period, o.Due})
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	// Quarterly continuous: four a year, the last due at the end of 31/12 in Vietnam (UTC+7).
	got := tracking.PlanOccurrences(doc(tracking.CycleQuarterly), tracking.Task{Deadline: tracking.Timing{Kind: tracking.TimingContinuous}})
	if len(got) != 8 || !got[7].Due.Equal(time.Date(2022, 12, 31, 16, 59, 59, 999999000, time.UTC)) || got[0].Period != (tracking.Period{Kind: tracking.PeriodQuarter, Year: 2021, Number: 1}) {
		t.Errorf("quarterly = %+v", got)
	}
}

func TestAmend(t *testing.T) {
	base := tracking.Document{Title: "Cũ", SignedOn: vntime.Date{Year: 2020, Month: 5, Day: 20},
		PeriodStartYear: 2021, PeriodEndYear: 2025, Status: tracking.StatusIssued}
	now := clock
	tests := []struct {
		name      string
		patch     tracking.Document
		paths     []string
		want      []string
		wantField []string
	}{
		{"title", tracking.Document{Title: "  Mới  "}, []string{"title"}, []string{"title"}, nil},
		{"same title changes nothing", tracking.Document{Title: "Cũ"}, []string{"title"}, nil, nil},
		{"period and status", tracking.Document{PeriodEndYear: 2026, Status: tracking.StatusSuperseded},
			[]string{"period_end_year", "status"}, []string{"period_end_year", "status"}, nil},
		{"unknown path", tracking.Document{}, []string{"number"}, nil, []string{"update_mask"}},
		{"empty mask", tracking.Document{}, nil, nil, []string{"update_mask"}},
		{"empty title and reversed period", tracking.Document{PeriodStartYear: 2030}, []string{"title", "period_start_year"}, nil,
			[]string{"title", "period_end_year"}},
		{"bad status", tracking.Document{Status: "x"}, []string{"status"}, nil, []string{"status"}},
		{"missing signing date", tracking.Document{}, []string{"signed_on"}, nil, []string{"signed_on"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := base
			changed, err := d.Amend(tt.patch, tt.paths, now)
			if tt.wantField != nil {
				ves, ok := tracking.AsValidation(err)
				if !ok {
					t.Fatalf("Amend = %v, want validation errors", err)
				}
				var fields []string
				for _, ve := range ves {
					fields = append(fields, ve.Field)
				}
				if diff := cmp.Diff(tt.wantField, fields); diff != "" {
					t.Errorf("fields (-want +got):\n%s", diff)
				}
				if diff := cmp.Diff(base, d); diff != "" {
					t.Errorf("refused amendment changed the document:\n%s", diff)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, changed); diff != "" {
				t.Errorf("changed (-want +got):\n%s", diff)
			}
			if len(changed) > 0 != d.UpdateTime.Equal(now) {
				t.Errorf("update time %v", d.UpdateTime)
			}
		})
	}
}

func TestReconcileOccurrences(t *testing.T) {
	d := tracking.Document{ID: "d", PeriodStartYear: 2021, PeriodEndYear: 2022,
		Tasks: []tracking.Task{{ID: "yearly", Deadline: tracking.Timing{Kind: tracking.TimingYearly}},
			{ID: "once", Deadline: tracking.Timing{Kind: tracking.TimingYear, Year: 2021}}}}
	existing := func(states ...tracking.State) []tracking.Occurrence {
		out := []tracking.Occurrence{{ID: "o-once", TaskID: "once", Period: tracking.Period{Kind: tracking.PeriodWhole}, State: tracking.StateInProgress}}
		for i, s := range states {
			y := 2020 + i
			out = append(out, tracking.Occurrence{ID: fmt.Sprint("o", y), TaskID: "yearly", Period: tracking.Period{Kind: tracking.PeriodYear, Year: y}, State: s})
		}
		return out
	}
	// 2020–2021 existed; the period becomes 2021–2022: 2022 added, 2020 (not started) dropped.
	add, drop, err := tracking.ReconcileOccurrences(d, existing(tracking.StateNotStarted, tracking.StateInProgress))
	if err != nil {
		t.Fatal(err)
	}
	if len(add) != 1 || add[0].Period.Year != 2022 || len(drop) != 1 || drop[0].ID != "o2020" {
		t.Errorf("add %+v drop %+v", add, drop)
	}
	// Work received for 2020 blocks the amendment.
	_, _, err = tracking.ReconcileOccurrences(d, existing(tracking.StateReceived, tracking.StateInProgress))
	if !errors.Is(err, tracking.ErrFailedPrecondition) {
		t.Errorf("shrinking over received work = %v, want FailedPrecondition", err)
	}
	// Already cancelled years are left alone.
	if add, drop, err := tracking.ReconcileOccurrences(d, existing(tracking.StateCancelled, tracking.StateDone)); err != nil || len(drop) != 0 || len(add) != 1 {
		t.Errorf("add %v drop %v err %v", add, drop, err)
	}
}
