// Package protoconv maps the task-tracking domain to and from its protobuf contract. Both
// the gRPC API and the outbox (which publishes TaskAssigned) use it, so the event carries
// exactly the task the API returns.
package protoconv

import (
	"fmt"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	tasktrackingv1 "github.com/parindex/platform/proto/gen/go/par/tasktracking/v1"
	"github.com/parindex/platform/services/kit/vntime"
	"github.com/parindex/platform/services/tasktracking/internal/tracking"
)

var documentKinds = map[tasktrackingv1.DocumentKind]tracking.DocumentKind{
	tasktrackingv1.DocumentKind_DOCUMENT_KIND_PLAN:      tracking.KindPlan,
	tasktrackingv1.DocumentKind_DOCUMENT_KIND_DIRECTIVE: tracking.KindDirective,
	tasktrackingv1.DocumentKind_DOCUMENT_KIND_DECISION:  tracking.KindDecision,
	tasktrackingv1.DocumentKind_DOCUMENT_KIND_LETTER:    tracking.KindLetter,
}

var documentStatuses = map[tracking.DocumentStatus]tasktrackingv1.DocumentStatus{
	tracking.StatusIssued:     tasktrackingv1.DocumentStatus_DOCUMENT_STATUS_ISSUED,
	tracking.StatusSuperseded: tasktrackingv1.DocumentStatus_DOCUMENT_STATUS_SUPERSEDED,
}

var taskGroups = map[tasktrackingv1.TaskGroup]tracking.TaskGroup{
	tasktrackingv1.TaskGroup_TASK_GROUP_UNSPECIFIED:        tracking.GroupNone,
	tasktrackingv1.TaskGroup_TASK_GROUP_DIRECTION:          tracking.GroupDirection,
	tasktrackingv1.TaskGroup_TASK_GROUP_INSTITUTIONS:       tracking.GroupInstitutions,
	tasktrackingv1.TaskGroup_TASK_GROUP_PROCEDURES:         tracking.GroupProcedures,
	tasktrackingv1.TaskGroup_TASK_GROUP_ORGANISATION:       tracking.GroupOrganisation,
	tasktrackingv1.TaskGroup_TASK_GROUP_CIVIL_SERVICE:      tracking.GroupCivilService,
	tasktrackingv1.TaskGroup_TASK_GROUP_PUBLIC_FINANCE:     tracking.GroupPublicFinance,
	tasktrackingv1.TaskGroup_TASK_GROUP_DIGITAL_GOVERNMENT: tracking.GroupDigitalGovernment,
	tasktrackingv1.TaskGroup_TASK_GROUP_IMPACT:             tracking.GroupImpact,
}

var timingKinds = map[tasktrackingv1.TimingKind]tracking.TimingKind{
	tasktrackingv1.TimingKind_TIMING_KIND_DATE:        tracking.TimingDate,
	tasktrackingv1.TimingKind_TIMING_KIND_QUARTER:     tracking.TimingQuarter,
	tasktrackingv1.TimingKind_TIMING_KIND_YEAR:        tracking.TimingYear,
	tasktrackingv1.TimingKind_TIMING_KIND_YEARLY:      tracking.TimingYearly,
	tasktrackingv1.TimingKind_TIMING_KIND_CONTINUOUS:  tracking.TimingContinuous,
	tasktrackingv1.TimingKind_TIMING_KIND_CONDITIONAL: tracking.TimingConditional,
}

// invert returns the reverse of a one-to-one map.
func invert[K, V comparable](m map[K]V) map[V]K {
	out := make(map[V]K, len(m))
	for k, v := range m {
		out[v] = k
	}
	return out
}

var (
	documentKindsPB = invert(documentKinds)
	taskGroupsPB    = invert(taskGroups)
	timingKindsPB   = invert(timingKinds)
)

// DocumentKind returns the domain kind of k; an unknown or unset kind maps to "", which the
// domain rejects.
func DocumentKind(k tasktrackingv1.DocumentKind) tracking.DocumentKind {
	return documentKinds[k]
}

// DocumentFromProto returns the draft described by a CreateDocument request. Ids, status and
// times are ignored. Dates that are not real days are reported as ValidationErrors on their
// field paths; everything else is left for tracking.NewDocument to check.
func DocumentFromProto(pb *tasktrackingv1.Document) (tracking.Document, error) {
	var v tracking.ValidationErrors
	d := tracking.Document{
		Number:          pb.GetNumber(),
		Kind:            documentKinds[pb.GetKind()],
		IssuerUnitID:    pb.GetIssuerUnitId(),
		SignedOn:        parseDate(&v, "signed_on", pb.GetSignedOn()),
		Title:           pb.GetTitle(),
		PeriodStartYear: int(pb.GetPeriodStartYear()),
		PeriodEndYear:   int(pb.GetPeriodEndYear()),
		ReportingCycle:  reportingCycles[pb.GetReportingCycle()],
	}
	if _, ok := reportingCycles[pb.GetReportingCycle()]; !ok {
		d.ReportingCycle = "unknown"
	}
	for i, t := range pb.GetTasks() {
		field := fmt.Sprintf("tasks[%d]", i)
		group, ok := taskGroups[t.GetGroup()]
		if !ok {
			group = "unknown"
		}
		d.Tasks = append(d.Tasks, tracking.Task{
			Code:               t.GetCode(),
			Group:              group,
			Content:            t.GetContent(),
			LeadUnitIDs:        t.GetLeadUnitIds(),
			CooperatingUnitIDs: t.GetCooperatingUnitIds(),
			Start:              timingFromProto(&v, field+".start", t.GetStart()),
			Deadline:           timingFromProto(&v, field+".deadline", t.GetDeadline()),
			ExpectedProduct:    t.GetExpectedProduct(),
			CriteriaCodes:      t.GetCriteriaCodes(),
			LeadText:           t.GetLeadText(),
			CooperatingText:    t.GetCooperatingText(),
		})
	}
	return d, v.Err()
}

// timingFromProto reads a timing; nil (or an all-empty message) is the zero Timing.
func timingFromProto(v *tracking.ValidationErrors, field string, pb *tasktrackingv1.Timing) tracking.Timing {
	if pb == nil {
		return tracking.Timing{}
	}
	kind, ok := timingKinds[pb.GetKind()]
	if !ok && pb.GetKind() != tasktrackingv1.TimingKind_TIMING_KIND_UNSPECIFIED {
		kind = "unknown"
	}
	return tracking.Timing{
		Kind:    kind,
		Date:    parseDate(v, field+".date", pb.GetDate()),
		Quarter: int(pb.GetQuarter()),
		Year:    int(pb.GetYear()),
		EndYear: int(pb.GetEndYear()),
		Text:    pb.GetText(),
	}
}

// ParseDate reads an ISO date of a request field; "" is the zero Date.
func ParseDate(field, s string) (vntime.Date, error) {
	var v tracking.ValidationErrors
	d := parseDate(&v, field, s)
	return d, v.Err()
}

// parseDate reads an ISO date; "" is the zero Date, a day that does not exist is reported.
func parseDate(v *tracking.ValidationErrors, field, s string) vntime.Date {
	if s == "" {
		return vntime.Date{}
	}
	d, err := vntime.ParseISO(s)
	if err != nil {
		v.Add(field, "Ngày không hợp lệ (cần dạng YYYY-MM-DD và là một ngày có thật)")
		return vntime.Date{}
	}
	return d
}

// DocumentToProto returns the contract form of d; tasks are included when d has them.
func DocumentToProto(d tracking.Document) *tasktrackingv1.Document {
	pb := &tasktrackingv1.Document{
		Id:              d.ID,
		Number:          d.Number,
		Kind:            documentKindsPB[d.Kind],
		IssuerUnitId:    d.IssuerUnitID,
		SignedOn:        d.SignedOn.ISO(),
		Title:           d.Title,
		PeriodStartYear: int32(d.PeriodStartYear), // #nosec G115 -- year, rank, count or row number of this service: far below 2^31
		PeriodEndYear:   int32(d.PeriodEndYear),   // #nosec G115 -- year, rank, count or row number of this service: far below 2^31
		Status:          documentStatuses[d.Status],
		ReportingCycle:  reportingCyclesPB[d.ReportingCycle],
		CreatedBy:       d.CreatedBy,
		CreateTime:      timestamp(d.CreateTime),
		UpdateTime:      timestamp(d.UpdateTime),
	}
	for _, t := range d.Tasks {
		pb.Tasks = append(pb.Tasks, TaskToProto(t))
	}
	return pb
}

// TaskToProto returns the contract form of t, with the computed due times.
func TaskToProto(t tracking.Task) *tasktrackingv1.Task {
	return &tasktrackingv1.Task{
		Id:                 t.ID,
		DocumentId:         t.DocumentID,
		Code:               t.Code,
		Group:              taskGroupsPB[t.Group],
		Content:            t.Content,
		LeadUnitIds:        t.LeadUnitIDs,
		CooperatingUnitIds: t.CooperatingUnitIDs,
		Start:              timingToProto(t.Start),
		Deadline:           timingToProto(t.Deadline),
		ExpectedProduct:    t.ExpectedProduct,
		CriteriaCodes:      t.CriteriaCodes,
		CreateTime:         timestamp(t.CreateTime),
		LeadText:           t.LeadText,
		CooperatingText:    t.CooperatingText,
		Remediation:        RemediationToProto(t.Remediation),
	}
}

// timingToProto returns nil for the zero Timing, so an omitted start stays omitted.
func timingToProto(t tracking.Timing) *tasktrackingv1.Timing {
	if t.IsZero() {
		return nil
	}
	pb := &tasktrackingv1.Timing{
		Kind:    timingKindsPB[t.Kind],
		Quarter: int32(t.Quarter), // #nosec G115 -- year, rank, count or row number of this service: far below 2^31
		Year:    int32(t.Year),    // #nosec G115 -- year, rank, count or row number of this service: far below 2^31
		EndYear: int32(t.EndYear), // #nosec G115 -- year, rank, count or row number of this service: far below 2^31
		Text:    t.Text,
	}
	if !t.Date.IsZero() {
		pb.Date = t.Date.ISO()
	}
	if due, ok := t.Due(); ok {
		pb.DueTime = timestamppb.New(due)
	}
	return pb
}

// TaskAssigned returns the event published when task t of document d is assigned.
func TaskAssigned(d tracking.Document, t tracking.Task) *tasktrackingv1.TaskAssigned {
	return &tasktrackingv1.TaskAssigned{
		Task:           TaskToProto(t),
		DocumentNumber: d.Number,
		DocumentTitle:  d.Title,
		IssuerUnitId:   d.IssuerUnitID,
	}
}

func timestamp(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}
