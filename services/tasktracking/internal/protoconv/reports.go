package protoconv

import (
	"encoding/hex"
	"time"

	tasktrackingv1 "github.com/parindex/platform/proto/gen/go/par/tasktracking/v1"
	"github.com/parindex/platform/services/tasktracking/internal/tracking"
)

var periodKindsIn = invert(periodKinds)

// PeriodToProto returns the contract's period.
func PeriodToProto(p tracking.Period) *tasktrackingv1.Period {
	return &tasktrackingv1.Period{Kind: periodKinds[p.Kind], Year: int32(p.Year), Number: int32(p.Number)} // #nosec G115 -- year, rank, count or row number of this service: far below 2^31
}

// ReportPeriod returns the domain period of a progress report request; an unknown kind maps
// to "", which the domain rejects.
func ReportPeriod(p *tasktrackingv1.ReportPeriod) tracking.Period {
	return tracking.Period{Kind: periodKindsIn[p.GetKind()], Year: int(p.GetYear()), Number: int(p.GetNumber())}
}

// ReportingCycle returns the domain cycle of c; unset maps to "", which obligations reject.
func ReportingCycle(c tasktrackingv1.ReportingCycle) tracking.ReportingCycle {
	return reportingCycles[c]
}

// ProgressReportToProto returns the contract's progress report.
func ProgressReportToProto(r tracking.ProgressReport) *tasktrackingv1.ProgressReport {
	pb := &tasktrackingv1.ProgressReport{
		Id: r.ID, OccurrenceId: r.OccurrenceID, TaskId: r.Scope.TaskID, DocumentId: r.Scope.DocumentID,
		UnitId: r.UnitID, Period: PeriodToProto(r.Period), PercentDone: int32(r.PercentDone), // #nosec G115 -- year, rank, count or row number of this service: far below 2^31
		Narrative: r.Narrative, EvidenceIds: r.EvidenceIDs, ReportedBy: ActorToProto(r.ReportedBy),
		Revision: int32(r.Revision), CreateTime: timestamp(r.CreateTime), UpdateTime: timestamp(r.UpdateTime), // #nosec G115 -- year, rank, count or row number of this service: far below 2^31
	}
	for _, f := range r.Figures {
		pb.Figures = append(pb.Figures, &tasktrackingv1.Figure{Name: f.Name, Value: f.Value, Unit: f.Unit})
	}
	return pb
}

// FiguresFromProto returns the domain figures.
func FiguresFromProto(fs []*tasktrackingv1.Figure) []tracking.Figure {
	out := make([]tracking.Figure, 0, len(fs))
	for _, f := range fs {
		out = append(out, tracking.Figure{Name: f.GetName(), Value: f.GetValue(), Unit: f.GetUnit()})
	}
	return out
}

// EvidenceToProto returns the contract's evidence.
func EvidenceToProto(e tracking.Evidence) *tasktrackingv1.Evidence {
	return &tasktrackingv1.Evidence{
		Id: e.ID, OccurrenceId: e.OccurrenceID, UnitId: e.UnitID, FileName: e.FileName,
		MediaType: e.MediaType, SizeBytes: e.Size, Sha256: hex.EncodeToString(e.SHA256[:]),
		Description: e.Description, UploadedBy: ActorToProto(e.UploadedBy), CreateTime: timestamp(e.CreateTime),
	}
}

// ObligationToProto returns the contract's reporting obligation.
func ObligationToProto(o tracking.ReportingObligation) *tasktrackingv1.ReportingObligation {
	return &tasktrackingv1.ReportingObligation{
		Id: o.ID, DocumentId: o.DocumentID, Cycle: reportingCyclesPB[o.Cycle], RecipientUnitId: o.RecipientUnitID,
		ReporterUnitIds: o.ReporterUnitIDs, DueOffsetDays: int32(o.DueOffsetDays), Text: o.Text, // #nosec G115 -- year, rank, count or row number of this service: far below 2^31
		CreateTime: timestamp(o.CreateTime),
	}
}

// ObligationFromProto returns the draft of a CreateReportingObligation request.
func ObligationFromProto(pb *tasktrackingv1.ReportingObligation) tracking.ReportingObligation {
	return tracking.ReportingObligation{
		Cycle: ReportingCycle(pb.GetCycle()), RecipientUnitID: pb.GetRecipientUnitId(),
		ReporterUnitIDs: pb.GetReporterUnitIds(), DueOffsetDays: int(pb.GetDueOffsetDays()), Text: pb.GetText(),
	}
}

var dueReportStates = map[tracking.DueReportState]tasktrackingv1.DueReportState{
	tracking.DueReportOpen:      tasktrackingv1.DueReportState_DUE_REPORT_STATE_OPEN,
	tracking.DueReportSubmitted: tasktrackingv1.DueReportState_DUE_REPORT_STATE_SUBMITTED,
}

var dueReportStatesIn = invert(dueReportStates)

// DueReportState returns the domain state of s; unset maps to "" (no filter).
func DueReportState(s tasktrackingv1.DueReportState) tracking.DueReportState {
	return dueReportStatesIn[s]
}

// DueReportToProto returns the contract's due report, late derived at now.
func DueReportToProto(r tracking.DueReport, now time.Time) *tasktrackingv1.DueReport {
	pb := &tasktrackingv1.DueReport{
		Id: r.ID, ObligationId: r.ObligationID, DocumentId: r.DocumentID, UnitId: r.UnitID,
		Period: PeriodToProto(r.Period), DueTime: timestamp(r.Due), State: dueReportStates[r.State],
		Late: r.Late(now), SubmitTime: timestamp(r.SubmitTime), Narrative: r.Narrative,
		RecipientUnitId: r.RecipientUnitID,
	}
	if r.State == tracking.DueReportSubmitted {
		pb.SubmittedBy = ActorToProto(r.SubmittedBy)
	}
	return pb
}
