package protoconv

import (
	"strconv"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	tasktrackingv1 "github.com/parindex/platform/proto/gen/go/par/tasktracking/v1"
	"github.com/parindex/platform/services/tasktracking/internal/tracking"
)

var reportingCycles = map[tasktrackingv1.ReportingCycle]tracking.ReportingCycle{
	tasktrackingv1.ReportingCycle_REPORTING_CYCLE_UNSPECIFIED: "",
	tasktrackingv1.ReportingCycle_REPORTING_CYCLE_QUARTERLY:   tracking.CycleQuarterly,
	tasktrackingv1.ReportingCycle_REPORTING_CYCLE_HALF_YEARLY: tracking.CycleHalfYearly,
	tasktrackingv1.ReportingCycle_REPORTING_CYCLE_YEARLY:      tracking.CycleYearly,
}

var reportingCyclesPB = invert(reportingCycles)

var documentStatusesIn = invert(documentStatuses)

// DocumentStatus returns the domain status of s; unset or unknown maps to "", which the
// domain rejects.
func DocumentStatus(s tasktrackingv1.DocumentStatus) tracking.DocumentStatus {
	return documentStatusesIn[s]
}

var states = map[tracking.State]tasktrackingv1.OccurrenceState{
	tracking.StateNotStarted:         tasktrackingv1.OccurrenceState_OCCURRENCE_STATE_NOT_STARTED,
	tracking.StateReceived:           tasktrackingv1.OccurrenceState_OCCURRENCE_STATE_RECEIVED,
	tracking.StateInProgress:         tasktrackingv1.OccurrenceState_OCCURRENCE_STATE_IN_PROGRESS,
	tracking.StateCompletionReported: tasktrackingv1.OccurrenceState_OCCURRENCE_STATE_COMPLETION_REPORTED,
	tracking.StateDone:               tasktrackingv1.OccurrenceState_OCCURRENCE_STATE_DONE,
	tracking.StateCancelled:          tasktrackingv1.OccurrenceState_OCCURRENCE_STATE_CANCELLED,
	tracking.StateRecalled:           tasktrackingv1.OccurrenceState_OCCURRENCE_STATE_RECALLED,
}

var statesIn = invert(states)

// State returns the domain state of s ("" when unset or unknown).
func State(s tasktrackingv1.OccurrenceState) tracking.State { return statesIn[s] }

// StateToProto returns the contract form of s.
func StateToProto(s tracking.State) tasktrackingv1.OccurrenceState { return states[s] }

var outcomes = map[tracking.Outcome]tasktrackingv1.OccurrenceOutcome{
	tracking.OutcomeOpenWithinDeadline: tasktrackingv1.OccurrenceOutcome_OCCURRENCE_OUTCOME_OPEN_WITHIN_DEADLINE,
	tracking.OutcomeOpenOverdue:        tasktrackingv1.OccurrenceOutcome_OCCURRENCE_OUTCOME_OPEN_OVERDUE,
	tracking.OutcomeDoneOnTime:         tasktrackingv1.OccurrenceOutcome_OCCURRENCE_OUTCOME_DONE_ON_TIME,
	tracking.OutcomeDoneLate:           tasktrackingv1.OccurrenceOutcome_OCCURRENCE_OUTCOME_DONE_LATE,
	tracking.OutcomeClosed:             tasktrackingv1.OccurrenceOutcome_OCCURRENCE_OUTCOME_CLOSED,
}

var periodKinds = map[tracking.PeriodKind]tasktrackingv1.PeriodKind{
	tracking.PeriodWhole:    tasktrackingv1.PeriodKind_PERIOD_KIND_WHOLE,
	tracking.PeriodYear:     tasktrackingv1.PeriodKind_PERIOD_KIND_YEAR,
	tracking.PeriodHalfYear: tasktrackingv1.PeriodKind_PERIOD_KIND_HALF_YEAR,
	tracking.PeriodQuarter:  tasktrackingv1.PeriodKind_PERIOD_KIND_QUARTER,
}

var actions = map[tracking.Action]tasktrackingv1.OccurrenceAction{
	tracking.ActionReceive:          tasktrackingv1.OccurrenceAction_OCCURRENCE_ACTION_RECEIVE,
	tracking.ActionStart:            tasktrackingv1.OccurrenceAction_OCCURRENCE_ACTION_START,
	tracking.ActionReport:           tasktrackingv1.OccurrenceAction_OCCURRENCE_ACTION_REPORT,
	tracking.ActionConfirm:          tasktrackingv1.OccurrenceAction_OCCURRENCE_ACTION_CONFIRM,
	tracking.ActionReturn:           tasktrackingv1.OccurrenceAction_OCCURRENCE_ACTION_RETURN,
	tracking.ActionRequestExtension: tasktrackingv1.OccurrenceAction_OCCURRENCE_ACTION_REQUEST_EXTENSION,
	tracking.ActionApproveExtension: tasktrackingv1.OccurrenceAction_OCCURRENCE_ACTION_APPROVE_EXTENSION,
	tracking.ActionRefuseExtension:  tasktrackingv1.OccurrenceAction_OCCURRENCE_ACTION_REFUSE_EXTENSION,
	tracking.ActionRecall:           tasktrackingv1.OccurrenceAction_OCCURRENCE_ACTION_RECALL,
	tracking.ActionCancel:           tasktrackingv1.OccurrenceAction_OCCURRENCE_ACTION_CANCEL,
}

var decisions = map[tracking.ExtensionDecision]tasktrackingv1.ExtensionDecision{
	tracking.ExtensionPending:  tasktrackingv1.ExtensionDecision_EXTENSION_DECISION_PENDING,
	tracking.ExtensionApproved: tasktrackingv1.ExtensionDecision_EXTENSION_DECISION_APPROVED,
	tracking.ExtensionRefused:  tasktrackingv1.ExtensionDecision_EXTENSION_DECISION_REFUSED,
	tracking.ExtensionLapsed:   tasktrackingv1.ExtensionDecision_EXTENSION_DECISION_LAPSED,
}

// ActorToProto returns the contract form of a.
func ActorToProto(a tracking.Actor) *tasktrackingv1.Actor {
	if a == (tracking.Actor{}) {
		return nil
	}
	return &tasktrackingv1.Actor{Subject: a.Subject, UserId: a.UserID, UnitId: a.UnitID, Name: a.Name}
}

// OccurrenceToProto returns the contract form of o, with overdue and outcome derived at now.
func OccurrenceToProto(o tracking.Occurrence, now time.Time) *tasktrackingv1.Occurrence {
	pb := &tasktrackingv1.Occurrence{
		Id:                 o.ID,
		TaskId:             o.TaskID,
		DocumentId:         o.DocumentID,
		TaskCode:           o.Scope.TaskCode,
		Period:             &tasktrackingv1.Period{Kind: periodKinds[o.Period.Kind], Year: int32(o.Period.Year), Number: int32(o.Period.Number)}, // #nosec G115 -- year, rank, count or row number of this service: far below 2^31
		DueTime:            timestamp(o.Due),
		OriginalDueTime:    timestamp(o.OriginalDue),
		State:              states[o.State],
		Overdue:            o.Overdue(now),
		Outcome:            outcomes[o.Outcome(now)],
		ExtensionsApproved: int32(o.ExtensionsApproved), // #nosec G115 -- year, rank, count or row number of this service: far below 2^31
		CompletionNote:     o.CompletionNote,
		ReceiveTime:        timestamp(o.ReceiveTime),
		StartTime:          timestamp(o.StartTime),
		ReportTime:         timestamp(o.ReportTime),
		ConfirmTime:        timestamp(o.ConfirmTime),
		CloseTime:          timestamp(o.CloseTime),
		LeadUnitIds:        o.Scope.LeadUnitIDs,
		CooperatingUnitIds: o.Scope.CooperatingUnitIDs,
		CreateTime:         timestamp(o.CreateTime),
		UpdateTime:         timestamp(o.UpdateTime),
	}
	if o.Pending != nil {
		pb.PendingExtension = ExtensionToProto(*o.Pending)
	}
	return pb
}

// ExtensionToProto returns the contract form of e.
func ExtensionToProto(e tracking.Extension) *tasktrackingv1.Extension {
	return &tasktrackingv1.Extension{
		Id:              e.ID,
		OccurrenceId:    e.OccurrenceID,
		Reason:          e.Reason,
		ProposedDueDate: e.ProposedDue.ISO(),
		PreviousDueTime: timestamp(e.PreviousDue),
		RequestedBy:     ActorToProto(e.RequestedBy),
		RequestTime:     timestamp(e.RequestTime),
		Decision:        decisions[e.Decision],
		DecisionReason:  e.DecisionReason,
		DecidedBy:       ActorToProto(e.DecidedBy),
		DecideTime:      timestamp(e.DecideTime),
	}
}

// HistoryEntryToProto returns the contract form of one recorded change.
func HistoryEntryToProto(id int64, occurrenceID string, c tracking.Change) *tasktrackingv1.HistoryEntry {
	return &tasktrackingv1.HistoryEntry{
		Id:           strconv.FormatInt(id, 10),
		OccurrenceId: occurrenceID,
		Action:       actions[c.Action],
		FromState:    states[c.From],
		ToState:      states[c.To],
		Actor:        ActorToProto(c.By),
		Reason:       c.Reason,
		Time:         timestamppb.New(c.Time),
	}
}

// OccurrenceStatusChanged returns the event of change c of o (o as after the change).
func OccurrenceStatusChanged(o tracking.Occurrence, c tracking.Change) *tasktrackingv1.OccurrenceStatusChanged {
	return &tasktrackingv1.OccurrenceStatusChanged{
		Occurrence: OccurrenceToProto(o, c.Time),
		From:       states[c.From],
		To:         states[c.To],
		Actor:      ActorToProto(c.By),
		Reason:     c.Reason,
		Action:     actions[c.Action],
	}
}

// ExtensionRequested returns the event of a new extension request.
func ExtensionRequested(o tracking.Occurrence, c tracking.Change) *tasktrackingv1.ExtensionRequested {
	return &tasktrackingv1.ExtensionRequested{Occurrence: OccurrenceToProto(o, c.Time), Extension: ExtensionToProto(*c.Extension)}
}

// ExtensionDecided returns the event of a decided extension request.
func ExtensionDecided(o tracking.Occurrence, c tracking.Change) *tasktrackingv1.ExtensionDecided {
	return &tasktrackingv1.ExtensionDecided{Occurrence: OccurrenceToProto(o, c.Time), Extension: ExtensionToProto(*c.Extension)}
}

// DocumentUpdated returns the event of an amendment of d (sent without its tasks).
func DocumentUpdated(d tracking.Document, changed []string, by tracking.Actor) *tasktrackingv1.DocumentUpdated {
	d.Tasks = nil
	return &tasktrackingv1.DocumentUpdated{Document: DocumentToProto(d), ChangedFields: changed, Actor: ActorToProto(by)}
}
