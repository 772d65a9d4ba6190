package grpcapi

import (
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	accountabilityv1 "github.com/parindex/platform/proto/gen/go/par/accountability/v1"
	"github.com/parindex/platform/services/accountability/internal/explanation"
	"github.com/parindex/platform/services/accountability/internal/postgres"
)

func ts(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

var statusToProto = map[explanation.Status]accountabilityv1.ExplanationStatus{
	explanation.StatusRequested: accountabilityv1.ExplanationStatus_EXPLANATION_STATUS_REQUESTED,
	explanation.StatusSubmitted: accountabilityv1.ExplanationStatus_EXPLANATION_STATUS_SUBMITTED,
	explanation.StatusReturned:  accountabilityv1.ExplanationStatus_EXPLANATION_STATUS_RETURNED,
	explanation.StatusConcluded: accountabilityv1.ExplanationStatus_EXPLANATION_STATUS_CONCLUDED,
}

func statusFromProto(s accountabilityv1.ExplanationStatus) explanation.Status {
	for k, v := range statusToProto {
		if v == s {
			return k
		}
	}
	return ""
}

func causeToProto(c explanation.CauseKind) accountabilityv1.CauseKind {
	switch c {
	case explanation.CauseObjective:
		return accountabilityv1.CauseKind_CAUSE_KIND_OBJECTIVE
	case explanation.CauseSubjective:
		return accountabilityv1.CauseKind_CAUSE_KIND_SUBJECTIVE
	}
	return accountabilityv1.CauseKind_CAUSE_KIND_UNSPECIFIED
}

func causeFromProto(c accountabilityv1.CauseKind) explanation.CauseKind {
	switch c {
	case accountabilityv1.CauseKind_CAUSE_KIND_OBJECTIVE:
		return explanation.CauseObjective
	case accountabilityv1.CauseKind_CAUSE_KIND_SUBJECTIVE:
		return explanation.CauseSubjective
	}
	return ""
}

func contentFromProto(c *accountabilityv1.ExplanationContent) explanation.Content {
	var out explanation.Content
	for _, d := range c.GetDocuments() {
		out.Documents = append(out.Documents, explanation.Document{Number: d.GetNumber(), Date: d.GetDate(), Title: d.GetTitle()})
	}
	for _, w := range c.GetWorkAssigned() {
		out.WorkAssigned = append(out.WorkAssigned, explanation.WorkAssignment{UnitID: strings.ToLower(w.GetUnitId()), Assignee: w.GetAssignee(), Content: w.GetContent()})
	}
	out.Direction = c.GetDirection()
	for _, s := range c.GetShortcomings() {
		sc := explanation.Shortcoming{NodeCode: s.GetNodeCode(), Description: s.GetDescription()}
		for _, cause := range s.GetCauses() {
			sc.Causes = append(sc.Causes, explanation.Cause{Kind: causeFromProto(cause.GetKind()), Description: cause.GetDescription()})
		}
		out.Shortcomings = append(out.Shortcomings, sc)
	}
	out.Solutions = c.GetSolutions()
	out.Proposals = c.GetProposals()
	for _, a := range c.GetRoadmap() {
		out.Roadmap = append(out.Roadmap, explanation.Action{
			ID: strings.ToLower(a.GetId()), Content: a.GetContent(), OwnerUnitID: strings.ToLower(a.GetOwnerUnitId()),
			CooperatingUnitIDs: a.GetCooperatingUnitIds(), DueDate: a.GetDueDate(), CriteriaCodes: a.GetCriteriaCodes(),
			ExpectedProduct: a.GetExpectedProduct(),
		})
	}
	return out
}

func contentToProto(c explanation.Content) *accountabilityv1.ExplanationContent {
	out := &accountabilityv1.ExplanationContent{Direction: c.Direction, Solutions: c.Solutions, Proposals: c.Proposals}
	for _, d := range c.Documents {
		out.Documents = append(out.Documents, &accountabilityv1.IssuedDocument{Number: d.Number, Date: d.Date, Title: d.Title})
	}
	for _, w := range c.WorkAssigned {
		out.WorkAssigned = append(out.WorkAssigned, &accountabilityv1.WorkAssignment{UnitId: w.UnitID, Assignee: w.Assignee, Content: w.Content})
	}
	for _, s := range c.Shortcomings {
		sc := &accountabilityv1.Shortcoming{NodeCode: s.NodeCode, Description: s.Description}
		for _, cause := range s.Causes {
			sc.Causes = append(sc.Causes, &accountabilityv1.Cause{Kind: causeToProto(cause.Kind), Description: cause.Description})
		}
		out.Shortcomings = append(out.Shortcomings, sc)
	}
	for _, a := range c.Roadmap {
		out.Roadmap = append(out.Roadmap, postgres.RoadmapActionToProto(a))
	}
	return out
}

var scopeToProto = map[explanation.Scope]accountabilityv1.ExplanationScope{
	explanation.ScopeProvincialIndex: accountabilityv1.ExplanationScope_EXPLANATION_SCOPE_PROVINCIAL_INDEX,
	explanation.ScopeOwnIndex:        accountabilityv1.ExplanationScope_EXPLANATION_SCOPE_OWN_INDEX,
	explanation.ScopeCommittee:       accountabilityv1.ExplanationScope_EXPLANATION_SCOPE_COMMITTEE,
	explanation.ScopeConduct:         accountabilityv1.ExplanationScope_EXPLANATION_SCOPE_CONDUCT,
}

func explanationToProto(e explanation.Explanation) *accountabilityv1.Explanation {
	kind := accountabilityv1.ExplanationKind_EXPLANATION_KIND_MANUAL
	if e.Kind == explanation.KindScoreFell {
		kind = accountabilityv1.ExplanationKind_EXPLANATION_KIND_SCORE_FELL
	}
	pb := &accountabilityv1.Explanation{
		Id: e.ID, ProvinceUnitId: e.ProvinceUnitID, Year: int32(e.Year), Kind: kind, NodeCode: e.NodeCode, Title: e.Title, // #nosec G115 -- year, rank, count or row number of this service: far below 2^31
		Reason: e.Reason, LegalBasis: e.LegalBasis, UnitId: e.UnitID, HeadUserId: e.HeadUserID, HeadName: e.HeadName,
		CooperatingUnitIds: e.CooperatingUnitIDs, Score: e.Score, PreviousScore: e.PreviousScore, DueDate: e.DueDate,
		Status: statusToProto[e.Status], Content: contentToProto(e.Content), ReviewComment: e.ReviewComment,
		Conclusion: e.Conclusion, Overdue: !e.OverdueTime.IsZero(), SubmitTime: ts(e.SubmitTime), ConcludeTime: ts(e.ConcludeTime),
		PublishTime: ts(e.PublishTime), CreateTime: ts(e.CreateTime), UpdateTime: ts(e.UpdateTime),
		IndexUnitId: e.IndexUnitID, IndexKind: e.IndexKind, Etag: e.ETag(), Scope: scopeToProto[e.Scope()],
	}
	for _, p := range e.Parts {
		pb.Parts = append(pb.Parts, &accountabilityv1.ExplanationPart{UnitId: p.UnitID, Content: contentToProto(p.Content), UpdatedBy: p.UpdatedBy, UpdateTime: ts(p.UpdateTime), Etag: p.ETag()})
	}
	for _, dc := range e.DeterminedCauses {
		pb.DeterminedCauses = append(pb.DeterminedCauses, &accountabilityv1.DeterminedCause{NodeCode: dc.NodeCode, Cause: causeToProto(dc.Cause), Note: dc.Note})
	}
	return pb
}
